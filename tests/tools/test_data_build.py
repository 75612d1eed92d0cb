"""`datasets build` specs end to end: local files of each format, mixing, dedupe, length filter, the
decontamination gate on planted benchmark items, teacher generation with the tiny model, and spec validation."""

import json
import re

import pyarrow.parquet as pq
import pytest
import yaml

from posttrain.tools.data.build import build_dataset
from posttrain.tools.data.card import read_card
from posttrain.tools.data.spec import load_spec
from posttrain.tools.errors import ConfigError


def _spec(tmp_path, own_fixtures, body: dict):
    for name in ("qa.jsonl", "qa.parquet", "qa.csv", "prefs.jsonl"):
        (tmp_path / name).write_bytes((own_fixtures / "data" / name).read_bytes())
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(body))
    return load_spec(path)


@pytest.fixture
def planted(tmp_path):
    """A local source hiding 4 arithmetic eval items among 20 clean rows."""
    from posttrain.tools.evaluation import get_benchmark

    items = get_benchmark("arithmetic").eval_items(limit=4)
    rows = [{"question": f"{a}*{b}=", "answer": str(a * b)} for a in range(4) for b in range(5)]
    rows += [{"question": item.prompt, "answer": item.answer} for item in items]
    (tmp_path / "planted.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return items


def test_local_formats_mixed_into_grpo_with_the_gate(tmp_path, own_fixtures, tiny_model_path, planted):
    spec, base = _spec(
        tmp_path,
        own_fixtures,
        {
            "name": "mix",
            "format": "grpo",
            "tokenizer": str(tiny_model_path),
            "chat_template": True,
            "sources": [
                {"path": "qa.jsonl"},
                {"path": "qa.parquet", "upsample": 2.0},
                {"path": "planted.jsonl", "mapping": {"prompt": "question", "answer": "answer"}},
            ],
            "decontaminate_against": ["arithmetic"],
            "dedupe": "exact",
            "test_size": 0.2,
            "license": "mit",
        },
    )
    artifact = build_dataset(spec, tmp_path / "out", base_dir=base)

    c = artifact.counts
    assert (c["source:qa.jsonl"], c["non_empty:qa.jsonl"]) == (6, 5)  # the empty question is dropped
    # qa.parquet repeats qa.jsonl and row 4 is row 0 up to case/spacing: 5 + 5 + 24 → 4 + 0 + 24 unique
    assert c["after_dedupe"] == 28 and c["after_mix"] == 28
    assert c["after_decontam"] == 24 and artifact.contamination.dropped == 4
    assert artifact.contamination.per_benchmark == {"arithmetic": 4}
    assert (c["train"], c["test"]) == (19, 5) and artifact.n_rows == 19
    rows = pq.read_table(artifact.path).to_pylist() + pq.read_table(artifact.splits["test"]).to_pylist()
    assert all(r["prompt"].startswith("user: ") and r["prompt"].endswith("assistant: ") for r in rows)
    assert not any(item.prompt in r["prompt"] for item in planted for r in rows)
    assert {r["answer"] for r in rows} >= {"7", "36", "45", "18"}  # '#### n' extracted
    card = read_card(artifact.card_path)
    assert card["license"] == "mit" and card["posttrain"]["contamination"]["dropped"] == 4
    assert [f["split"] for f in card["configs"][0]["data_files"]] == ["train", "test"]
    assert any(s.startswith("qa.jsonl@sha256:") for s in artifact.sources)
    assert "4 rows dropped" in (tmp_path / "out" / "README.md").read_text()


def test_weights_total_and_length_filter(tmp_path, own_fixtures, tiny_model_path):
    spec, base = _spec(
        tmp_path,
        own_fixtures,
        {
            "name": "weighted",
            "format": "sft",
            "tokenizer": str(tiny_model_path),
            "max_tokens": 12,
            "sources": [
                {"benchmark": "arithmetic", "n": 300, "weight": 3},
                {"benchmark": "caesar", "n": 50, "weight": 1},
            ],
            "total": 200,
            "decontaminate_against": ["arithmetic", "caesar"],
        },
    )
    artifact = build_dataset(spec, tmp_path / "out", base_dir=base)
    rows = pq.read_table(artifact.path).to_pylist()
    assert artifact.counts["after_mix"] == 200
    caesar = [r for r in rows if r["prompt"].endswith(">")]
    # 150 arithmetic + 50 caesar drawn; the length filter counts prompt + "\n" + completion in characters (the
    # tokenizer is char-level): every caesar row (6 + 1 + 5) stays, sums of 1000 or more (8 + 1 + 4) go
    assert all(len(r["prompt"]) + 1 + len(r["completion"]) <= 12 for r in rows)
    assert len(caesar) == 50 and 50 < artifact.counts["after_length_filter"] == len(rows) < 200


def test_teacher_source_reports_acceptance(tmp_path, own_fixtures, tiny_model_path):
    spec, base = _spec(
        tmp_path,
        own_fixtures,
        {
            "name": "distilled",
            "format": "sft",
            "sources": [
                {
                    "teacher": {
                        "model": str(tiny_model_path),
                        "prompts_from": "arithmetic:digits=1,n_eval=20",
                        "n_prompts": 10,
                        "samples_per_prompt": 4,
                        "keep_per_prompt": 4,
                        "checks": [r"regex:\S*\d\S*"],
                        "max_new_tokens": 2,
                        "temperature": 1.0,
                        "backend": "transformers",
                    }
                }
            ],
            "decontaminate_against": [],
            "dedupe": "none",
        },
    )
    artifact = build_dataset(spec, tmp_path / "out", base_dir=base)
    label = f"teacher:{tiny_model_path}"
    accepted = artifact.counts[f"teacher_accepted:{label}"]
    assert artifact.counts[f"teacher_samples:{label}"] == 40 and accepted >= artifact.n_rows > 0
    assert artifact.generation["acceptance_rate"] == pytest.approx(accepted / 40, abs=1e-4)
    assert artifact.generation["backend"] == "transformers" and "hosted_api" not in artifact.generation
    assert artifact.label_accuracy is None  # a format check says nothing about correctness
    assert (
        read_card(artifact.card_path)["posttrain"]["generation"]["acceptance_rate"]
        == artifact.generation["acceptance_rate"]
    )


def test_dpo_from_a_preference_file(tmp_path, own_fixtures):
    spec, base = _spec(
        tmp_path,
        own_fixtures,
        {
            "name": "prefs",
            "format": "dpo",
            "sources": [{"path": "prefs.jsonl"}],
            "decontaminate_against": ["arithmetic"],
        },
    )
    artifact = build_dataset(spec, tmp_path / "out", base_dir=base)
    assert artifact.columns == ["prompt", "chosen", "rejected"] and artifact.n_rows == 2


@pytest.mark.parametrize(
    "body, message",
    [
        ({"sources": [{"path": "qa.jsonl", "hub": "openai/gsm8k"}]}, "exactly one of"),
        ({"sources": [{"benchmark": "arithmetic"}]}, "needs n"),
        ({"chat_template": True, "sources": [{"path": "qa.jsonl"}]}, "need a tokenizer"),
        ({"sources": [{"teacher": {"model": "m", "prompts_from": "arithmetic", "backend": "hosted"}}]}, "hosted_api"),
        ({"sources": [{"path": "qa.jsonl"}], "decontaminate_against": None}, "decontaminate_against"),
    ],
)
def test_spec_validation_names_the_fix(tmp_path, own_fixtures, body, message):
    full = {"name": "x", "format": "sft", "decontaminate_against": []} | body
    with pytest.raises(ConfigError, match=message):
        _spec(tmp_path, own_fixtures, full)


def test_sources_with_different_shapes_are_refused(tmp_path, own_fixtures):
    (tmp_path / "chat.jsonl").write_bytes((own_fixtures / "data" / "chat.jsonl").read_bytes())
    spec, base = _spec(
        tmp_path,
        own_fixtures,
        {
            "name": "x",
            "format": "sft",
            "sources": [{"path": "qa.jsonl"}, {"path": "chat.jsonl"}],
            "decontaminate_against": [],
        },
    )
    with pytest.raises(ConfigError, match="different columns"):
        build_dataset(spec, tmp_path / "out", base_dir=base)


def test_a_source_that_does_not_fit_says_what_is_missing(tmp_path, own_fixtures):
    spec, base = _spec(
        tmp_path,
        own_fixtures,
        {
            "name": "x",
            "format": "dpo",
            "sources": [{"path": "qa.jsonl"}],
            "decontaminate_against": [],
        },
    )
    with pytest.raises(ConfigError, match="missing chosen, rejected"):
        build_dataset(spec, tmp_path / "out", base_dir=base)


def test_hub_source_offline_is_a_tool_error_with_the_fix(tmp_path, own_fixtures):
    from posttrain.tools.errors import ToolError

    spec, base = _spec(
        tmp_path,
        own_fixtures,
        {
            "name": "x",
            "format": "sft",
            "sources": [{"hub": "openai/gsm8k", "config": "main"}],
            "decontaminate_against": [],
        },
    )
    with pytest.raises(ToolError, match="could not load openai/gsm8k .*local file"):
        build_dataset(spec, tmp_path / "out", base_dir=base)


def test_push_is_refused_offline_before_any_request(tmp_path, own_fixtures):
    spec, base = _spec(
        tmp_path,
        own_fixtures,
        {
            "name": "x",
            "format": "dpo",
            "sources": [{"path": "prefs.jsonl"}],
            "decontaminate_against": [],
            "push_to_hub": "someone/x",
        },
    )
    with pytest.raises(ConfigError, match="POSTTRAIN_OFFLINE"):
        build_dataset(spec, tmp_path / "out", base_dir=base)
    assert (tmp_path / "out" / "x.parquet").is_file()  # the local artifact is kept


def test_teacher_prompts_from_a_local_file(tmp_path, own_fixtures, tiny_model_path):
    spec, base = _spec(
        tmp_path,
        own_fixtures,
        {
            "name": "distilled",
            "format": "dpo",
            "sources": [
                {
                    "teacher": {
                        "model": str(tiny_model_path),
                        "prompts_from": "qa.jsonl",
                        "n_prompts": 5,
                        "samples_per_prompt": 8,
                        "checks": [r"regex:\S*\d\S*"],
                        "max_new_tokens": 2,
                        "temperature": 1.0,
                        "backend": "transformers",
                    }
                }
            ],
            "decontaminate_against": [],
            "dedupe": "none",
        },
    )
    artifact = build_dataset(spec, tmp_path / "out", base_dir=base)
    rows = pq.read_table(artifact.path).to_pylist()
    assert any(s.startswith("prompts:qa.jsonl@sha256:") for s in artifact.sources)
    assert artifact.columns == ["prompt", "chosen", "rejected"] and rows
    digit = re.compile(r"\S*\d\S*")
    assert all(digit.fullmatch(r["chosen"].strip()) and not digit.fullmatch(r["rejected"].strip()) for r in rows)
    assert {r["prompt"] for r in rows} <= {json.loads(line)["question"] for line in open(tmp_path / "qa.jsonl")}
    with pytest.raises(ConfigError, match="benchmark"):
        bad, base = _spec(
            tmp_path,
            own_fixtures,
            {
                "name": "x",
                "format": "sft",
                "decontaminate_against": [],
                "sources": [
                    {
                        "teacher": {
                            "model": str(tiny_model_path),
                            "prompts_from": "qa.jsonl",
                            "n_prompts": 2,
                            "max_new_tokens": 1,
                            "backend": "transformers",
                        }
                    }
                ],
            },
        )
        build_dataset(bad, tmp_path / "out2", base_dir=base)


def test_the_artifact_measures_what_it_saved(tmp_path, own_fixtures, tiny_model_path):
    spec, base = _spec(
        tmp_path,
        own_fixtures,
        {
            "name": "measured",
            "format": "sft",
            "tokenizer": str(tiny_model_path),
            "sources": [{"benchmark": "caesar", "n": 40}],
            "decontaminate_against": ["caesar"],
        },
    )
    artifact = build_dataset(spec, tmp_path / "out", base_dir=base)
    lengths = artifact.quality.token_lengths
    assert artifact.quality.n_rows == 40 and artifact.quality.exact_duplicates == 0
    assert (lengths["prompt"].max, lengths["completion"].max, lengths["prompt"].unit) == (6, 5, "tokens")
    assert read_card(artifact.card_path)["posttrain"]["quality"]["token_lengths"]["prompt"]["max"] == 6


def test_a_hosted_teacher_is_recorded_in_the_card(tmp_path, own_fixtures, loopback_server, monkeypatch):
    from tests.conftest import Recorded

    def answer(request):
        body = json.loads(request.body)
        a, b = body["messages"][0]["content"].rstrip("=").split("+")
        choices = [{"index": 0, "message": {"role": "assistant", "content": str(int(a) + int(b))}}]
        return Recorded(200, json.dumps({"choices": choices}).encode())

    loopback_server.route("/v1/chat/completions", answer, method="POST")
    api = {"base_url": loopback_server.url + "/v1", "model": "big-teacher"}  # keyless: a spec cannot name a secret
    spec, base = _spec(
        tmp_path,
        own_fixtures,
        {
            "name": "hosted",
            "format": "sft",
            "label_check": "arithmetic",
            "decontaminate_against": ["arithmetic"],
            "sources": [
                {
                    "teacher": {
                        "model": "big-teacher",
                        "prompts_from": "arithmetic",
                        "n_prompts": 6,
                        "samples_per_prompt": 1,
                        "backend": "hosted",
                        "hosted_api": api,
                    }
                }
            ],
        },
    )
    artifact = build_dataset(spec, tmp_path / "out", base_dir=base)
    assert artifact.n_rows == 6 and artifact.generation["acceptance_rate"] == 1.0
    assert artifact.label_accuracy == 1.0  # the label check scored every kept sample against its gold answer
    assert artifact.label_check.checked == 6 and artifact.counts["after_label_check"] == 6
    assert read_card(artifact.card_path)["posttrain"]["generation"]["hosted_api"] == api["base_url"]
    assert "teacher:big-teacher@backend=hosted,seed=0" in artifact.sources
    assert "hosted_api" in (tmp_path / "out" / "README.md").read_text()

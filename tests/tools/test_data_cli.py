"""`posttrain datasets search|inspect|build|synth` through main(), with exit codes and --json output."""

import json

import yaml

from posttrain.orchestrator.cli import main
from tests.conftest import Recorded
from tests.fixtures.hub.online import online  # noqa: F401 - fixture


def test_search_json_is_one_object(online, own_fixtures, capsys):  # noqa: F811
    online.route(
        "/api/datasets", Recorded(200, (own_fixtures / "hub" / "list_datasets_search_gsm8k_full.json").read_bytes())
    )
    assert main(["datasets", "search", "gsm8k", "--limit", "3", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["query"] == "gsm8k" and payload["datasets"][0]["id"] == "openai/gsm8k"


def test_search_and_inspect_offline_exit_1_with_one_line(capsys):
    """Every source failed (offline): the search did not happen, so exit 1 with one line (as `papers search`)."""
    assert main(["datasets", "search", "gsm8k"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("error: no datasets for 'gsm8k': offline mode is on (POSTTRAIN_OFFLINE=1)")
    assert main(["datasets", "search", "gsm8k", "--json"]) == 1  # the JSON still says why
    assert json.loads(capsys.readouterr().out)["offline"] is True
    assert main(["datasets", "inspect", "openai/gsm8k"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("error: could not inspect openai/gsm8k: offline mode is on")
    assert main(["datasets", "inspect", "openai/gsm8k", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["offline"] is True


def test_search_with_a_hub_down_exits_1(monkeypatch, capsys):
    from huggingface_hub import constants

    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: connection refused at once
    assert main(["datasets", "search", "gsm8k"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unreachable" in err and "127.0.0.1:9" in err


def test_search_with_no_match_is_not_a_failure(online, capsys):  # noqa: F811
    online.route("/api/datasets", Recorded(200, b"[]"))
    assert main(["datasets", "search", "no-such-words"]) == 0
    assert capsys.readouterr().out == "no datasets matched\n"


def test_search_bad_sort_exits_2(capsys):
    assert main(["datasets", "search", "gsm8k", "--sort", "stars"]) == 2
    assert "fix" in capsys.readouterr().err


def test_inspect_text_and_json(online, own_fixtures, capsys):  # noqa: F811
    hub = own_fixtures / "hub"
    online.route("/api/datasets/openai/gsm8k", Recorded(200, (hub / "dataset_info_openai_gsm8k.json").read_bytes()))
    online.route("/viewer/splits", Recorded(200, (hub / "viewer_splits_openai_gsm8k.json").read_bytes()))
    online.route(
        "/viewer/first-rows", Recorded(200, (hub / "viewer_first_rows_openai_gsm8k_main_train.json").read_bytes())
    )
    assert main(["datasets", "inspect", "openai/gsm8k"]) == 0
    captured = capsys.readouterr()
    assert "license=mit" in captured.out and "grpo: fits" in captured.out and "[size]" in captured.err
    assert main(["datasets", "inspect", "openai/gsm8k", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fits"][1]["answer_extract"] == "gsm8k"


def test_build_and_synth(tmp_path, own_fixtures, capsys):
    (tmp_path / "qa.jsonl").write_bytes((own_fixtures / "data" / "qa.jsonl").read_bytes())
    spec = {"name": "qa", "format": "grpo", "sources": [{"path": "qa.jsonl"}], "decontaminate_against": ["arithmetic"]}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    assert main(["datasets", "build", str(tmp_path / "spec.yaml"), "-o", str(tmp_path / "out"), "--json"]) == 0
    artifact = json.loads(capsys.readouterr().out)
    assert artifact["n_rows"] == 4 and artifact["contamination"]["checked_against"] == ["arithmetic"]

    assert main(["datasets", "synth", "caesar", "-n", "50", "--format", "grpo", "-o", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "50 rows (grpo)" in out and "decontamination vs caesar: 0 rows dropped" in out


def test_bad_spec_and_format_exit_2(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("name: x\nformat: sft\nsources: []\ndecontaminate_against: []\n")
    assert main(["datasets", "build", str(tmp_path / "bad.yaml"), "-o", str(tmp_path)]) == 2
    assert "sources" in capsys.readouterr().err
    assert main(["datasets", "synth", "arithmetic", "--format", "dpo", "-o", str(tmp_path)]) == 2


def _hosted_teacher_spec(tmp_path, url: str) -> str:
    teacher = {"model": "big-teacher", "prompts_from": "arithmetic", "n_prompts": 2, "samples_per_prompt": 1,
               "backend": "hosted", "hosted_api": {"base_url": url + "/v1", "model": "big-teacher"}}
    spec = {"name": "hosted", "format": "sft", "label_check": "arithmetic", "decontaminate_against": ["arithmetic"],
            "sources": [{"teacher": teacher}]}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    return str(tmp_path / "spec.yaml")


def test_build_sends_a_provider_key_only_with_hosted_teacher(tmp_path, loopback_server, monkeypatch, capsys):
    from posttrain.tools.data import teacher

    def answer(request):
        a, b = json.loads(request.body)["messages"][0]["content"].rstrip("=").split("+")
        choices = [{"index": 0, "message": {"role": "assistant", "content": str(int(a) + int(b))}}]
        return Recorded(200, json.dumps({"choices": choices}).encode())

    loopback_server.route("/v1/chat/completions", answer, method="POST")
    port = int(loopback_server.url.rsplit(":", 1)[1])  # the loopback server stands in for the provider's address
    stand_in = teacher.Provider("openai", "OPENAI_API_KEY", "127.0.0.1", "http", port)
    monkeypatch.setitem(teacher.PROVIDERS, "openai", stand_in)
    monkeypatch.setattr(teacher, "_ALLOWED", set())
    monkeypatch.setenv("OPENAI_API_KEY", "sk-clitestclitestclitest")
    spec = _hosted_teacher_spec(tmp_path, loopback_server.url)

    assert main(["datasets", "build", spec, "-o", str(tmp_path / "a")]) == 2  # the spec alone cannot use the key
    assert "--hosted-teacher openai" in capsys.readouterr().err and loopback_server.requests == []
    assert main(["datasets", "build", spec, "-o", str(tmp_path / "b"), "--hosted-teacher", "evil"]) == 2
    assert "unknown hosted teacher provider 'evil'" in capsys.readouterr().err and loopback_server.requests == []

    allowed = ["--hosted-teacher", "hf", "--hosted-teacher", "openai"]  # repeatable
    assert main(["datasets", "build", spec, "-o", str(tmp_path / "c"), *allowed, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_rows"] == 2
    assert {r.headers["authorization"] for r in loopback_server.requests} == {"Bearer sk-clitestclitestclitest"}

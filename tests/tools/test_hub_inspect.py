"""inspect_dataset against recorded viewer responses (../shared/fixtures) and our Hub/viewer bodies on loopback."""

from posttrain.tools.hub import inspect_dataset
from tests.conftest import Recorded
from tests.fixtures.hub.online import online  # noqa: F401 - fixture


def _serve_gsm8k(server, hub_dir, *, first_rows: Recorded | None = None) -> None:
    def body(name: str) -> bytes:
        return (hub_dir / name).read_bytes()

    server.route("/api/datasets/openai/gsm8k", Recorded(200, body("dataset_info_openai_gsm8k.json")))
    server.route("/viewer/is-valid", Recorded(200, body("viewer_is_valid_openai_gsm8k.json")))
    server.route("/viewer/splits", Recorded(200, body("viewer_splits_openai_gsm8k.json")))
    server.route("/viewer/size", Recorded(200, body("viewer_size_openai_gsm8k.json")))
    server.route(
        "/viewer/first-rows", first_rows or Recorded(200, body("viewer_first_rows_openai_gsm8k_main_train.json"))
    )


def test_full_report_for_a_math_dataset(online, own_fixtures, tiny_model_path):  # noqa: F811
    _serve_gsm8k(online, own_fixtures / "hub")

    report = inspect_dataset("openai/gsm8k", sample_rows=2, tokenizer=str(tiny_model_path))

    assert report.errors == {} and not report.offline
    assert (report.license, report.gated, report.revision) == (
        "mit",
        False,
        "e53f048856ff4f594e959d75785d2c2d37b678ee",
    )
    assert report.configs == ["main", "socratic"] and report.viewer["preview"] is True
    train = next(s for s in report.splits if (s.config, s.split) == ("main", "train"))
    assert (train.num_rows, train.num_bytes_parquet) == (7473, 2306545)
    assert report.sampled == "main/train" and report.column_types == {"question": "string", "answer": "string"}
    assert len(report.sample_rows) == 2
    fits = {f.method: f for f in report.fits}
    assert fits["sft"].fits and fits["sft"].mapping == {"prompt": "question", "completion": "answer"}
    assert fits["grpo"].fits and fits["grpo"].answer_extract == "gsm8k"
    assert not fits["dpo"].fits and "chosen" in fits["dpo"].reason
    # the char-level tokenizer: one token per character, so token lengths equal character counts
    assert report.quality.token_lengths["prompt"].unit == "tokens"
    assert report.quality.token_lengths["prompt"].max == max(len(r["question"]) for r in report.sample_rows)
    assert report.quality.empty_rows == 0 and report.quality.exact_duplicates == 0
    viewer_calls = [(r.path, r.query.get("config"), r.query.get("split")) for r in online.requests]
    assert ("/viewer/first-rows", "main", "train") in viewer_calls


def test_not_ready_first_rows_leaves_the_rest(online, own_fixtures, shared_fixtures):  # noqa: F811
    not_ready = (shared_fixtures / "dataset_viewer" / "error_500_first_rows_response_not_ready.json").read_bytes()
    _serve_gsm8k(
        online, own_fixtures / "hub", first_rows=Recorded(500, not_ready, {"X-Error-Code": "ResponseNotReady"})
    )

    report = inspect_dataset("openai/gsm8k")

    assert list(report.errors) == ["first-rows"]
    assert "not ready" in report.errors["first-rows"] and "Retry" in report.errors["first-rows"]
    assert report.license == "mit" and len(report.splits) == 4 and report.sample_rows == [] and report.quality is None


def test_error_in_the_dataset_itself_is_reported_with_its_cause(online, own_fixtures, shared_fixtures):  # noqa: F811
    broken = (shared_fixtures / "dataset_viewer" / "error_500_first_rows_error_in_dataset.json").read_bytes()
    _serve_gsm8k(online, own_fixtures / "hub", first_rows=Recorded(500, broken))
    report = inspect_dataset("openai/gsm8k")
    assert (
        "FileNotFoundError" in report.errors["first-rows"]
        and "Cannot load the dataset split" in report.errors["first-rows"]
    )


def test_recorded_viewer_bodies(online, shared_fixtures):  # noqa: F811
    viewer = shared_fixtures / "dataset_viewer"
    online.route("/api/datasets/stanfordnlp/imdb", Recorded(500, b'{"error":"Internal Error"}'))
    online.route(
        "/viewer/splits", Recorded(200, (viewer / "splits_single_config_dair-ai_emotion_unsplit.json").read_bytes())
    )
    online.route(
        "/viewer/first-rows",
        Recorded(200, (viewer / "first_rows_stanfordnlp_imdb_plain_text_train_abridged.json").read_bytes()),
    )

    report = inspect_dataset("stanfordnlp/imdb")

    assert "hub" in report.errors and "is-valid" in report.errors and "size" in report.errors
    assert report.column_types == {"text": "string", "label": "ClassLabel(neg,pos)"}
    assert len(report.sample_rows) == 3 and report.sample_rows[0]["text"].endswith("…[truncated]")
    fits = {f.method: f for f in report.fits}
    assert fits["sft"].fits and fits["sft"].mapping == {"text": "text"}
    assert not fits["grpo"].fits and not fits["dpo"].fits
    assert report.quality.token_lengths["text"].unit == "chars"


def test_gated_dataset_without_token(online, own_fixtures, shared_fixtures):  # noqa: F811
    dataset = "meta-llama/Llama-3.1-8B-Instruct-evals"
    denied = (shared_fixtures / "dataset_viewer" / "error_404_rows_inexistent_dataset.json").read_bytes()
    online.route(
        f"/api/datasets/{dataset}",
        Recorded(200, (own_fixtures / "hub" / "dataset_info_gated_manual_llama_evals.json").read_bytes()),
    )
    for endpoint in ("is-valid", "splits"):
        online.route(f"/viewer/{endpoint}", Recorded(404, denied, {"X-Error-Code": "DatasetNotFoundError"}))

    report = inspect_dataset(dataset)

    assert report.gated == "manual" and report.license == "llama3.1"
    assert "set HF_TOKEN" in report.errors["splits"] and dataset in report.errors["splits"]
    assert report.splits == [] and report.fits == []


def test_unknown_dataset_hub_401(online, own_fixtures):  # noqa: F811
    online.route(
        "/api/datasets/nobody/nothing",
        Recorded(
            401,
            (own_fixtures / "hub" / "error_401_repo_not_found.json").read_bytes(),
            {"X-Error-Code": "RepoNotFound"},
        ),
    )
    report = inspect_dataset("nobody/nothing")
    assert "not found" in report.errors["hub"] and report.revision is None


def test_dpo_dataset_fits_dpo_with_implicit_prompt(online, own_fixtures):  # noqa: F811
    hub = own_fixtures / "hub"
    online.route(
        "/viewer/splits",
        Recorded(
            200,
            b'{"splits":[{"dataset":"trl-lib/ultrafeedback_binarized","config":"default","split":"train"}],"pending":[],"failed":[]}',
        ),
    )
    online.route(
        "/viewer/first-rows",
        Recorded(200, (hub / "viewer_first_rows_trl-lib_ultrafeedback_binarized_default_train.json").read_bytes()),
    )
    report = inspect_dataset("trl-lib/ultrafeedback_binarized")
    fits = {f.method: f for f in report.fits}
    assert fits["dpo"].fits and fits["dpo"].mapping == {"chosen": "chosen", "rejected": "rejected"}
    assert report.column_types["chosen"] == "list[struct{content:string,role:string}]"
    assert report.quality.malformed_rows == 0


def test_offline_report_is_empty_with_reasons():
    report = inspect_dataset("openai/gsm8k")
    assert report.offline and set(report.errors) >= {"hub", "splits"} and report.splits == []


def test_local_file_is_inspected_without_network(own_fixtures):
    report = inspect_dataset(str(own_fixtures / "data" / "qa.parquet"), sample_rows=50)
    assert report.errors == {} and report.revision.startswith("sha256:")
    assert report.splits[0].num_rows == 6 and report.column_types == {"question": "str", "answer": "str"}
    assert {f.method: f.fits for f in report.fits} == {"sft": True, "grpo": True, "dpo": False}
    assert (report.quality.empty_rows, report.quality.exact_duplicates) == (1, 1)
    assert report.quality.answer_formats == {"gsm8k_hash": 1.0}


def test_chosen_config_and_split_are_sampled(online, own_fixtures):  # noqa: F811
    _serve_gsm8k(online, own_fixtures / "hub")
    report = inspect_dataset("openai/gsm8k", config="socratic", split="test")
    assert report.sampled == "socratic/test"
    assert ("socratic", "test") in [(r.query.get("config"), r.query.get("split")) for r in online.requests]

    missing = inspect_dataset("openai/gsm8k", config="nope")
    assert "choose one of: main/train" in missing.errors["first-rows"] and missing.sample_rows == []

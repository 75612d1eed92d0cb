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


def test_search_offline_is_not_a_failure(capsys):
    assert main(["datasets", "search", "gsm8k"]) == 0
    assert "POSTTRAIN_OFFLINE" in capsys.readouterr().err


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

"""`posttrain eval` through the real CLI entry point (`decontam`: test_decontam_cli.py)."""

import json

from posttrain.orchestrator.cli import main


def test_eval_json(tiny_model_path, tmp_path, capsys):
    code = main(["eval", str(tiny_model_path), "--benchmark", "caesar:n_eval=20", "--limit", "5",
                 "--backend", "transformers", "--out-dir", str(tmp_path), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)  # exactly one JSON object on stdout
    assert {"benchmark", "model", "n", "score", "ci95", "backend", "path"} <= set(data)
    assert (data["benchmark"], data["n"], data["backend"]) == ("caesar", 5, "transformers")
    assert len(data["ci95"]) == 2 and data["path"] == str(tmp_path / "caesar.json")
    assert len(json.loads((tmp_path / "caesar.json").read_text())["records"]) == 5


def test_eval_text_output(tiny_model_path, tmp_path, capsys):
    assert main(["eval", str(tiny_model_path), "-b", "arithmetic:digits=2", "--limit", "3",
                 "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "arithmetic:" in out and "95% CI" in out and "per-item records:" in out


def test_eval_bad_input_exits_2(tiny_model_path, tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nope"), "--benchmark", "caesar"]) == 2
    assert main(["eval", str(tiny_model_path), "--benchmark", "mmlu", "--out-dir", str(tmp_path)]) == 2
    assert main(["eval", str(tiny_model_path), "--benchmark", "caesar", "--backend", "tpu"]) == 2
    assert main(["eval", str(tiny_model_path), "--benchmark", "caesar", "--backend", "vllm",
                 "--out-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown benchmark 'mmlu'" in err and "Traceback" not in err

"""`posttrain eval` and `posttrain decontam` through the real CLI entry point."""

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


def test_decontam_json_finds_planted_items(tmp_path, capsys):
    from posttrain.tools.evaluation import get_benchmark

    evals = get_benchmark("caesar:n_eval=50").eval_items()
    rows = [{"prompt": item.prompt, "completion": item.answer} for item in
            get_benchmark("caesar:n_eval=50").train_items(200)]
    rows[3] = {"messages": [{"role": "user", "content": evals[4].prompt.upper()},
                            {"role": "assistant", "content": evals[4].answer}]}
    data_file = tmp_path / "train.jsonl"
    data_file.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    assert main(["decontam", str(data_file), "--benchmark", "caesar:n_eval=50", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"benchmark": "caesar", "ngram": 8, "n_eval": 50, "n_train": 200,
                    "contaminated_eval_ids": [evals[4].id], "contaminated_train_rows": [3], "rate": 0.02,
                    "template_ngrams": 0}


def test_decontam_parquet_and_text_output(tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from posttrain.tools.evaluation import get_benchmark

    item = get_benchmark("caesar").eval_items(limit=1)[0]
    pq.write_table(pa.table({"text": ["nothing here", f"leak: {item.prompt}"]}), tmp_path / "d.parquet")
    assert main(["decontam", str(tmp_path / "d.parquet"), "--benchmark", "caesar"]) == 0
    out = capsys.readouterr().out
    assert "1/300 eval items" in out and "1/2 training rows" in out


def test_decontam_bad_input_exits_2(tmp_path, capsys):
    assert main(["decontam", str(tmp_path / "missing.jsonl"), "--benchmark", "caesar"]) == 2
    assert main(["decontam", str(tmp_path / "missing.jsonl"), "--benchmark", "nope"]) == 2
    assert "does not exist" in capsys.readouterr().err

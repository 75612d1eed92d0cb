"""`posttrain decontam` through the real entry point: exit 1 on contamination, 0 clean, 2 on bad input naming the
line; matches name the test item, field, rule and real line number; the judges' checker run beside it."""

import json
import subprocess
import sys

import pytest

from posttrain.orchestrator.cli import main
from posttrain.tools.evaluation import get_benchmark


def _caesar_rows(n: int = 200) -> list[dict]:
    return [{"prompt": item.prompt, "completion": item.answer}
            for item in get_benchmark("caesar:n_eval=50").train_items(n)]


def _write(path, rows) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def test_contaminated_exits_1_and_names_the_item_and_real_line(tmp_path, capsys):
    evals = get_benchmark("caesar:n_eval=50").eval_items()
    rows = _caesar_rows()
    rows[3] = {"messages": [{"role": "user", "content": evals[4].prompt.upper()},
                            {"role": "assistant", "content": evals[4].answer}]}
    text = "".join(json.dumps(row) + "\n" + ("\n" if i == 1 else "") for i, row in enumerate(rows))  # a blank line
    (tmp_path / "train.jsonl").write_text(text, encoding="utf-8")
    assert main(["decontam", str(tmp_path / "train.jsonl"), "--benchmark", "caesar:n_eval=50", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["contaminated_eval_ids"] == [evals[4].id] and data["contaminated_train_rows"] == [3]
    assert data["matches"] == [{"row": 3, "line": 5, "eval_id": evals[4].id, "field": "question",
                                "rule": "overlap", "score": 1.0}]  # line 5: the blank line 3 is counted
    assert text.splitlines()[4] == json.dumps(rows[3])


def test_clean_exits_0(tmp_path, capsys):
    assert main(["decontam", _write(tmp_path / "t.jsonl", _caesar_rows()), "-b", "caesar:n_eval=50"]) == 0
    assert "0/50 test items" in capsys.readouterr().out


def test_parquet_and_text_output(tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    item = get_benchmark("caesar").eval_items(limit=1)[0]
    pq.write_table(pa.table({"text": ["nothing here", f"leak: {item.prompt}"]}), tmp_path / "d.parquet")
    assert main(["decontam", str(tmp_path / "d.parquet"), "--benchmark", "caesar"]) == 1
    out = capsys.readouterr().out
    assert "1/300 test items" in out and "1/2 training rows" in out
    assert f"row 2: {item.id} (question, overlap, score 1.00)" in out


def test_a_json_array_is_read_whatever_its_suffix(tmp_path, capsys):
    item = get_benchmark("caesar").eval_items(limit=1)[0]
    for name in ("rows.jsonl", "rows.json"):
        (tmp_path / name).write_text(json.dumps([{"text": "clean"}, {"text": f"Q: {item.prompt}"}]))
        assert main(["decontam", str(tmp_path / name), "-b", "caesar", "--json"]) == 1
        assert json.loads(capsys.readouterr().out)["contaminated_train_rows"] == [1]


@pytest.mark.parametrize(("content", "args", "message"), [
    (b'{"text": "fine"}\n{"text": "caf\xe9"}\n', [], "rows.jsonl:2: byte 0xe9 is not UTF-8"),
    (b'{"text": "fine"}\n42\n', ["--field", "text"], "rows.jsonl:2: the row is a number, not a JSON object"),
    (b'["just a string"]', [], "rows.jsonl row 1: the row is a string, not a JSON object"),
    (b'{"text": "fine"}\n', ["--field", "nosuchfield"], "no row of"),
    (b'{"text": "fine"}\n\n{"text": " -- "}\n', [], "rows.jsonl:3: the row has no text"),
    (b'{"text": "fine"}\n{"question": "x", "text": ""}\n', ["--field", "text"], "rows.jsonl:2: the row has no text"),
    (b"", [], "has no rows"),
    (b"\n\n", [], "has no rows"),
    (b'{"text": "fine"}\n{"text": \n', [], "rows.jsonl:2: not valid JSON"),
])
def test_bad_input_exits_2_with_one_line_naming_it(tmp_path, capsys, content, args, message):
    (tmp_path / "rows.jsonl").write_bytes(content)
    assert main(["decontam", str(tmp_path / "rows.jsonl"), "-b", "caesar", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_file_and_unknown_benchmark_exit_2(tmp_path, capsys):
    assert main(["decontam", str(tmp_path / "missing.jsonl"), "--benchmark", "caesar"]) == 2
    assert main(["decontam", str(tmp_path / "missing.jsonl"), "--benchmark", "nope"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_installed_command_gives_the_same_exit_codes(tmp_path):
    """The real `posttrain` process: a traceback or a wrong code here is what a shell script would see."""
    item = get_benchmark("caesar").eval_items(limit=1)[0]
    dirty = _write(tmp_path / "dirty.jsonl", [{"text": "clean row"}, {"text": item.prompt.upper()}])
    (tmp_path / "bad.jsonl").write_bytes(b'{"text": "\xff"}\n')
    command = [sys.executable, "-m", "posttrain.orchestrator.cli", "decontam"]
    done = subprocess.run([*command, dirty, "-b", "caesar"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and f"line 2: {item.id}" in done.stdout
    done = subprocess.run([*command, str(tmp_path / "bad.jsonl"), "-b", "caesar"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "bad.jsonl:1: byte 0xff is not UTF-8" in done.stderr
    assert "Traceback" not in done.stderr


# A stand-in for the judges' checker (their tool is not in the repository): flags rows holding a test question
# verbatim (normalised), so it misses the solution-only leak posttrain catches.
CHECKER = '''\
import argparse, json, re, sys
parser = argparse.ArgumentParser()
parser.add_argument("--reference", required=True)
parser.add_argument("--input", required=True)
args = parser.parse_args()
norm = lambda t: " ".join(re.findall(r"[a-z0-9]+", str(t).lower()))
questions = [norm(item["question"]) for item in json.load(open(args.reference))]
found = 0
for n, line in enumerate(open(args.input), start=1):
    text = " " + norm(json.loads(line)["text"]) + " "
    if any(" " + q + " " in text for q in questions if q):
        found += 1
        print(json.dumps({"source": f"line:{n}"}))
sys.exit(1 if found else 0)
'''


def test_the_judges_checker_runs_too_and_disagreements_are_listed(tmp_path, capsys):
    items = [{"question": f"Mila packs {a} boxes with {b} jars each and sells {c} jars. How many jars are left?",
              "answer": f"She packs {a} x {b} = {a * b} jars. After selling {c}, {a * b} - {c} = {a * b - c} are left."
                        f" #### {a * b - c}"} for a, b, c in [(12, 24, 31), (17, 36, 45), (23, 14, 52)]]
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps(it) + "\n" for it in items), encoding="utf-8")
    rows = [{"text": "An unrelated row about gardening."}, {"text": items[0]["question"]},
            {"text": "Worked: " + items[1]["answer"].split("####")[0]}]
    (tmp_path / "check.py").write_text(CHECKER)
    data = _write(tmp_path / "rows.jsonl", rows)
    assert main(["decontam", data, "-b", str(bench), "--checker", str(tmp_path / "check.py"), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["contaminated_train_rows"] == [1, 2] and out["matches"][1]["field"] == "answer"
    assert out["agreement"]["only_posttrain"] == [2] and out["agreement"]["only_checker"] == []
    assert main(["decontam", data, "-b", str(bench), "--checker", str(tmp_path / "check.py")]) == 1
    assert "disagreement, posttrain only: line 3" in capsys.readouterr().out
    (tmp_path / "broken.py").write_text("import sys; sys.exit(3)")
    assert main(["decontam", data, "-b", str(bench), "--checker", str(tmp_path / "broken.py")]) == 1
    assert "the judges' checker" in capsys.readouterr().err


def test_the_test_file_too_may_be_a_json_array_in_jsonl_and_must_be_utf8(tmp_path, capsys):
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps([{"question": "What is the capital of Varnosia?", "answer": "Kel"}]))
    rows = _write(tmp_path / "t.jsonl", [{"text": "trivia: what is the capital of VARNOSIA"}])
    assert main(["decontam", rows, "-b", str(bench)]) == 1
    assert "line 1: 0 (question, overlap, score 1.00)" in capsys.readouterr().out
    bench.write_bytes(b'{"question": "caf\xe9?", "answer": "x"}\n')
    assert main(["decontam", rows, "-b", str(bench)]) == 2
    assert "bench.jsonl:1: byte 0xe9 is not UTF-8" in capsys.readouterr().err

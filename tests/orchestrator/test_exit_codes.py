"""Exit codes through the real entry point, one test per command family: 0 success, 1 the work failed, 2 bad
input (one line, no traceback), 130 interrupted. (3, blocked, belongs to `posttrain run`: test_blocked_run.py.)"""

import json

import pytest

from posttrain.orchestrator.cli import main


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_usage_errors_are_one_line_exit_2(capsys):
    assert main(["run", "GOAL", "--no-such-flag"]) == 2
    assert one_line(capsys) == "error: No such option: --no-such-flag; fix: see `posttrain run --help`"
    assert main(["train", "sft", "--max-steps", "many"]) == 2
    assert "--max-steps" in one_line(capsys)
    assert main(["no-such-command"]) == 2
    one_line(capsys)


@pytest.mark.parametrize("as_json", [False, True])
def test_failed_training_exits_1(as_json, ray_cluster, tiny_model_path, tmp_path, capsys):
    from pathlib import Path

    config = tmp_path / "oom.yaml"
    config.write_text("max_memory_gb: 0.5\n")  # training crashes: out of memory under its declared limit
    data = Path(__file__).parents[1] / "fixtures" / "training" / "sft_caesar.jsonl"
    args = ["train", "sft", "--base-model", str(tiny_model_path), "--dataset", str(data), "--config", str(config),
            "--out", str(tmp_path / "oom"), "--max-steps", "5"] + (["--json"] if as_json else [])
    assert main(args) == 1
    out = capsys.readouterr().out
    assert json.loads(out)["status"] == "failed" if as_json else "sft failed" in out


def test_train_bad_model_is_exit_2_before_ray(tmp_path, monkeypatch, capsys):
    from posttrain.tools.training import launcher

    monkeypatch.setattr(launcher, "ensure_ray", lambda *a: pytest.fail("Ray must not start for bad input"))
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "a", "completion": "b"}\n')
    for model in ("missing/dir/model", "./missing", "nope"):
        assert main(["train", "sft", "--base-model", model, "--dataset", str(data), "--out", str(tmp_path / "o")]) == 2
        assert "fix:" in one_line(capsys)


def test_eval_family(tiny_model_path, tmp_path, monkeypatch, capsys):
    import posttrain.tools.evaluation as evaluation

    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert main(["eval", str(tiny_model_path), "-b", "arithmetic:digits=2", "--limit", "3",
                     "--out-dir", str(out)]) == 0
    assert main(["eval-compare", str(a), str(b)]) == 0
    assert main(["eval-compare", str(a), str(tmp_path / "missing")]) == 2
    one_line(capsys)
    assert main(["eval", "nope", "-b", "arithmetic"]) == 2
    one_line(capsys)
    assert main(["eval", str(tiny_model_path), "-b", "no-such-benchmark"]) == 2
    one_line(capsys)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluation, "evaluate_model", interrupted)
    assert main(["eval", str(tiny_model_path), "-b", "arithmetic"]) == 130
    assert "Traceback" not in capsys.readouterr().err  # typer turns KeyboardInterrupt into Exit(130)


def test_decontam_family(tmp_path, capsys):
    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "hello world"}\n')
    assert main(["decontam", str(data), "-b", "arithmetic"]) == 0
    assert main(["decontam", str(tmp_path / "missing.jsonl"), "-b", "arithmetic"]) == 2
    one_line(capsys)
    assert main(["decontam", str(data), "-b", "gsm8k"]) == 1  # offline here (conftest): the Hub data is missing
    assert "offline mode is on" in one_line(capsys)


def test_papers_family(capsys):
    assert main(["papers", "search", "GRPO", "--source", "all"]) == 1  # offline, nothing cached: every source failed
    assert "no papers" in one_line(capsys)
    assert main(["papers", "search", "GRPO", "--source", "all", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["errors"]
    assert main(["papers", "search", "GRPO", "--limit", "0"]) == 2


def test_datasets_family(tmp_path, capsys):
    assert main(["datasets", "synth", "arithmetic", "-n", "20", "-o", str(tmp_path / "s")]) == 0
    assert main(["datasets", "synth", "arithmetic", "--format", "dpo", "-o", str(tmp_path)]) == 2
    assert main(["datasets", "build", str(tmp_path / "missing.yaml"), "-o", str(tmp_path)]) == 2
    capsys.readouterr()
    assert main(["datasets", "search", "gsm8k", "--sort", "stars"]) == 2
    one_line(capsys)


def test_transcript_family(tmp_path, monkeypatch, capsys):
    from tests.orchestrator.test_transcript import write_sample

    run = str(write_sample(tmp_path / "run").root)
    monkeypatch.chdir(tmp_path)
    assert main(["transcript", "list", "--runs-root", str(tmp_path)]) == 0
    assert main(["transcript", "list", "--runs-root", str(tmp_path / "none")]) == 2
    assert main(["transcript", "show", str(tmp_path / "none")]) == 2
    capsys.readouterr()
    assert main(["transcript", "export", run, "--format", "json"]) == 0  # the name follows the format
    assert len(json.loads((tmp_path / "transcript.json").read_text())) == 5
    assert not (tmp_path / "transcript.md").exists()
    (tmp_path / "transcript.md").write_text("mine")
    assert main(["transcript", "export", run]) == 2  # never overwrites without --force
    assert "--force" in one_line(capsys) and (tmp_path / "transcript.md").read_text() == "mine"
    assert main(["transcript", "export", run, "-o", "transcript.json"]) == 2
    assert main(["transcript", "export", run, "--force"]) == 0
    assert (tmp_path / "transcript.md").read_text().startswith("# posttrain transcript")
    assert main(["transcript", "export", run, "-o", "out.json"]) == 0  # the format follows the name
    json.loads((tmp_path / "out.json").read_text())


def test_doctor_exits_0(capsys):
    assert main(["doctor"]) == 0

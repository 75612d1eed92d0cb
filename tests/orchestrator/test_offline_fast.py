"""Offline trouble is fast and honest: one probe, one line, the right exit code, well under the retry times
(46 s for `eval nope`, 24 s for `decontam --benchmark gsm8k` before). The subprocess tests run the real console
entry point with the offline variables unset and every endpoint pointing at a closed local port."""

import os
import socket
import subprocess
import sys
import time

from posttrain.orchestrator.cli import main
from posttrain.tools import network


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def cli(args, tmp_path, **extra) -> tuple[int, str, float]:
    """Run `posttrain ARGS` in a fresh process as a user without network would; (exit code, stderr, seconds)."""
    env = {k: v for k, v in os.environ.items() if k not in (
        "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "POSTTRAIN_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE",
        "HF_DATASETS_CACHE", "POSTTRAIN_DATASETS_MIRROR")}
    dead = closed_port_url()
    env.update(HF_HOME=str(tmp_path / "hf-home"), HF_ENDPOINT=dead, POSTTRAIN_ARXIV_API_URL=f"{dead}/api/query",
               POSTTRAIN_S2_API_URL=dead, POSTTRAIN_CACHE_DIR=str(tmp_path / "http-cache"), **extra)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "posttrain.orchestrator.cli", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stderr.strip(), time.monotonic() - started


def test_mistyped_model_is_exit_2_at_once(tmp_path):
    for name, says in (("nope", "is not an existing folder, 'tiny' or a Hub id"), ("./nope", "does not exist")):
        code, err, seconds = cli(["eval", name, "-b", "arithmetic"], tmp_path)
        assert code == 2 and seconds < 8, (code, err, seconds)
        assert len(err.splitlines()) == 1 and says in err and "fix:" in err


def test_uncached_hub_model_offline_is_one_line_exit_1(tmp_path):
    code, err, seconds = cli(["eval", "owner/model", "-b", "arithmetic"], tmp_path)
    assert code == 1 and seconds < 8, (code, err, seconds)
    assert len(err.splitlines()) == 1 and "Hugging Face Hub is unreachable (offline)" in err


def test_decontam_hub_benchmark_offline_fails_fast(tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "hello world"}\n')
    code, err, seconds = cli(["decontam", str(data), "--benchmark", "gsm8k"], tmp_path)
    assert code == 1 and seconds < 8, (code, err, seconds)
    assert len(err.splitlines()) == 1 and err.startswith("error: the Hugging Face Hub is unreachable (offline)")


def test_papers_search_every_source_down_exits_1_fast(tmp_path):
    code, err, seconds = cli(["papers", "search", "grpo", "--source", "all"], tmp_path)
    assert code == 1 and seconds < 8, (code, err, seconds)
    assert len(err.splitlines()) == 1 and "arXiv, Semantic Scholar, HF Papers unreachable (offline" in err


def test_train_uncached_hub_model_offline_stops_before_ray(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "a", "completion": "b"}\n')
    code, err, seconds = cli(["train", "sft", "--base-model", "owner/model", "--dataset", str(data), "--out",
                              str(tmp_path / "out")], tmp_path)
    assert code == 1 and seconds < 8 and "Hugging Face Hub is unreachable" in err, (code, err, seconds)


def test_doctor_measures_reachability(loopback_server, monkeypatch, capsys):
    dead = closed_port_url()
    monkeypatch.setenv("HF_ENDPOINT", dead)
    monkeypatch.setenv("POSTTRAIN_ARXIV_API_URL", dead)
    monkeypatch.setenv("POSTTRAIN_S2_API_URL", dead)
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "│ network " in out and "offline" in out.split("│ network ")[1].splitlines()[0]
    for key in ("HF_ENDPOINT", "POSTTRAIN_ARXIV_API_URL", "POSTTRAIN_S2_API_URL"):
        monkeypatch.setenv(key, loopback_server.url)
    assert main(["doctor"]) == 0
    line = capsys.readouterr().out.split("│ network ")[1].splitlines()[0]
    assert "online" in line and "3/3" in line
    assert len(loopback_server.requests) == 0 or all(r.path == "/" for r in loopback_server.requests)


def test_probe_is_fast_and_cached(loopback_server, monkeypatch):
    dead = closed_port_url()
    started = time.monotonic()
    assert "ConnectionRefusedError" in network.unreachable(dead)
    assert network.unreachable(loopback_server.url) is None
    assert time.monotonic() - started < 1.0


def test_unreachable_hub_switches_the_process_offline(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(network, "_switched", {})
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())
    reason = network.go_offline_if_unreachable()
    assert reason.startswith("the Hugging Face Hub is unreachable (offline)")
    assert constants.HF_HUB_OFFLINE and os.environ["HF_HUB_OFFLINE"] == "1"
    assert network.hub_offline_reason() == reason  # the outage stays the reason, not "offline mode is on"


def test_reachable_hub_changes_nothing(loopback_server, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", loopback_server.url)
    assert network.go_offline_if_unreachable() is None and constants.HF_HUB_OFFLINE is False


def test_tiny_is_built_locally_not_a_hub_id(tmp_path):
    """`train --base-model tiny` means the same as in `run`: the tiny model, built in the run folder."""
    from posttrain.orchestrator.commands.train import resolve_model

    path = resolve_model("tiny", tmp_path / "base-model")
    assert (tmp_path / "base-model" / "config.json").exists() and path == str((tmp_path / "base-model").resolve())

"""No phoning home: a real training run through `posttrain train sft` (CLI → Ray task → TRL trainer) with
HF_ENDPOINT aimed at the loopback server sends no `/api/telemetry/...` request, unless the user turns it on.

TRL's trainers call ``huggingface_hub.send_telemetry("trl/SFTTrainer", ...)`` in ``__init__``
(trl/trainer/base_trainer.py); it is skipped only in offline mode, with ``HF_HUB_DISABLE_TELEMETRY=1`` (or
DISABLE_TELEMETRY / DO_NOT_TRACK), or when ``CI`` is set. So both tests lift offline mode for the worker.
"""

import os
import time
from pathlib import Path

import pytest

from posttrain.orchestrator.cli import main
from posttrain.tools.network import TELEMETRY_DEFAULTS, disable_telemetry


@pytest.fixture
def sft_data() -> str:
    return str(Path(__file__).resolve().parents[1] / "fixtures" / "training" / "sft_caesar.jsonl")


@pytest.fixture
def hub(loopback_server):
    """The loopback server, also recording HEAD requests (send_telemetry is a HEAD)."""
    handler = loopback_server.httpd.RequestHandlerClass
    handler.do_HEAD = handler.do_GET
    return loopback_server


def _train_and_collect(server, tiny_model_path, sft_data, out, monkeypatch) -> list[str]:
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # forwarded to the worker, whose raylet was started offline
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    code = main(["train", "sft", "--base-model", str(tiny_model_path), "--dataset", sft_data, "--out", str(out),
                 "--max-steps", "2", "--json"])
    assert code == 0
    time.sleep(2.0)  # huggingface_hub sends telemetry from a background thread
    return [f"{r.method} {r.path}" for r in server.requests]


def test_training_sends_no_telemetry(ray_cluster, hub, tiny_model_path, sft_data, tmp_path, monkeypatch):
    for key in ("HF_HUB_DISABLE_TELEMETRY", "DISABLE_TELEMETRY", "DO_NOT_TRACK"):
        monkeypatch.delenv(key, raising=False)
    paths = _train_and_collect(hub, tiny_model_path, sft_data, tmp_path / "sft", monkeypatch)
    assert not [p for p in paths if "/api/telemetry" in p], paths
    assert os.environ["HF_HUB_DISABLE_TELEMETRY"] == "1" and os.environ["RAY_USAGE_STATS_ENABLED"] == "0"


@pytest.mark.skipif(bool(os.environ.get("CI")), reason="TRL sends no telemetry when CI is set: no control possible")
def test_user_opt_in_is_respected(ray_cluster, hub, tiny_model_path, sft_data, tmp_path, monkeypatch):
    """The control: with telemetry turned on by the user, the same run does ping the endpoint."""
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "0")
    paths = _train_and_collect(hub, tiny_model_path, sft_data, tmp_path / "sft", monkeypatch)
    assert [p for p in paths if p.startswith("HEAD /api/telemetry/trl/")], paths


def test_defaults_never_override_the_user():
    env = disable_telemetry({"HF_HUB_DISABLE_TELEMETRY": "0"})
    assert env["HF_HUB_DISABLE_TELEMETRY"] == "0"
    assert {k: v for k, v in env.items() if k != "HF_HUB_DISABLE_TELEMETRY"} == {
        k: v for k, v in TELEMETRY_DEFAULTS.items() if k != "HF_HUB_DISABLE_TELEMETRY"}


def _headers_in_a_fresh_process(server, tmp_path, telemetry_off: bool) -> list[str]:
    """Build the headers every Hub request carries, in a process that starts as the CLI does."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in TELEMETRY_DEFAULTS and k != "HF_HUB_OFFLINE"}
    env.update(HF_ENDPOINT=server.url, HF_HOME=str(tmp_path / "hf"), AI_AGENT="someone")
    code = ("from posttrain.tools.network import disable_telemetry; disable_telemetry(); " if telemetry_off else "")
    code += "from huggingface_hub.utils import build_hf_headers; build_hf_headers()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    return [r.path for r in server.requests]


def test_no_agent_registry_lookup_with_telemetry_off(loopback_server, tmp_path):
    """huggingface_hub looks up `/api/agent-harnesses` to tag its user agent, only when telemetry is on."""
    assert not [p for p in _headers_in_a_fresh_process(loopback_server, tmp_path, True) if "agent-harnesses" in p]
    assert [p for p in _headers_in_a_fresh_process(loopback_server, tmp_path, False) if "agent-harnesses" in p]

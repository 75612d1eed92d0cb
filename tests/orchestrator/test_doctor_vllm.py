"""`posttrain doctor` shows the vLLM verdict of `tools/vllm_support.py`: not installed (with the extra to install,
which rich must not eat as a style tag), or installed but ignored because TRL does not support it."""

from posttrain.orchestrator.cli import main
from tests.orchestrator.test_offline_fast import closed_port_url


def _doctor(monkeypatch, capsys) -> str:
    dead = closed_port_url()
    for key in ("HF_ENDPOINT", "POSTTRAIN_ARXIV_API_URL", "POSTTRAIN_S2_API_URL"):
        monkeypatch.setenv(key, dead)
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["doctor"]) == 0
    row = capsys.readouterr().out.split("│ vLLM ", 1)[1].split("│ ray ")[0]  # the row, wrapped over lines
    return " ".join(row.replace("│", " ").split())


def test_doctor_without_vllm_names_the_extra(monkeypatch, capsys):
    monkeypatch.setattr("posttrain.tools.vllm_support.installed_version", lambda: None)
    row = _doctor(monkeypatch, capsys)
    assert row.startswith("no ") and "pip install 'posttrain[gpu]'" in row


def test_doctor_says_a_container_vllm_is_ignored(monkeypatch, capsys):
    monkeypatch.setattr("posttrain.tools.vllm_support.installed_version", lambda: "0.11.0")
    row = _doctor(monkeypatch, capsys)
    assert row.startswith("ignored ") and "vLLM 0.11.0 is installed but TRL" in row and "transformers generates" in row

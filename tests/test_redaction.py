"""Secrets never leak: credentials in URLs are masked where they are stored or shown, and a hosted teacher sends a
key only to its own provider, only when the user allowed that provider on the command line."""

import json

import pytest
import yaml
from pydantic import ValidationError

from posttrain.orchestrator.brains.endpoints import parse_brain
from posttrain.tools.data import teacher
from posttrain.tools.data.teacher import HostedAPI, Provider, generate_samples
from posttrain.tools.errors import ConfigError
from posttrain.tools.redact import is_sealed, redact, redact_url, reveal, seal
from tests.conftest import Recorded


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("https://bob:hunter2secret@example.com/v1", "hunter2secret"),
        ("http://justatoken@10.0.0.1:8000", "justatoken"),
        ("https://h/v1?token=abc123def&model=x", "abc123def"),
        ("https://h/v1?x=1&api_key=abc123def", "abc123def"),
        ("https://bucket/file?X-Amz-Signature=abc123def&X-Amz-Credential=AKIAxyz", "abc123def"),
        ("key is sk-proj-AbCdEfGhIjKlMnOpQrStUv", "AbCdEfGhIjKlMnOpQrStUv"),
        ("token hf_AbCdEfGhIjKlMnOpQrStUvWx in text", "AbCdEfGhIjKlMnOpQrStUvWx"),
        ("Authorization: Bearer abcdef123456", "abcdef123456"),
    ],
)
def test_credentials_are_masked(text, secret):
    masked = redact(text)
    assert secret not in masked and "***" in masked


def test_what_is_not_a_credential_is_kept():
    for text in ("vllm:Qwen/Qwen3-8B@http://localhost:8000/v1", "https://h/v1?model=x&n=2", "task-force hf_hub",
                 "openai:gpt-4o-mini", "offline"):
        assert redact(text) == text
    assert redact_url("https://u:p@host:8443/path?q=1") == "https://***@host:8443/path?q=1"


def test_brain_label_masks_and_the_sealed_url_still_works_in_this_process():
    text = "vllm:Qwen/Qwen3-8B@https://bob:hunter2secret@gpu-box:8000"
    spec = parse_brain(text)
    assert spec.base_url == "https://bob:hunter2secret@gpu-box:8000/v1" and spec.model == "Qwen/Qwen3-8B"
    assert "hunter2secret" not in spec.label and "gpu-box:8000" in spec.label
    stored = seal(text)  # what a run config keeps
    assert "hunter2secret" not in stored and reveal(stored) == text
    assert parse_brain(stored).base_url == spec.base_url  # the same process can still reach the endpoint


def test_a_masked_brain_from_another_process_asks_for_the_url_again():
    stored = "vllm:m@https://***@elsewhere:8000"
    assert is_sealed(stored)
    with pytest.raises(ConfigError, match="pass the full --brain again"):
        parse_brain(stored)


def test_unreachable_brain_error_does_not_print_the_password():
    from posttrain.orchestrator.brains.endpoints import check_endpoint

    spec = parse_brain("vllm:m@http://bob:hunter2secret@127.0.0.1:9")
    with pytest.raises(ConfigError) as failed:
        check_endpoint(spec, timeout_s=2)
    assert "hunter2secret" not in str(failed.value) and "127.0.0.1:9" in str(failed.value)


def test_run_config_stores_no_url_credentials(tmp_path):
    from posttrain.run.config import RunConfig

    config = RunConfig(goal="g", benchmark="arithmetic", run_dir=str(tmp_path),
                       brain="vllm:m@https://bob:hunter2secret@gpu-box:8000/v1?token=t0ken")
    dumped = json.dumps(config.model_dump())
    assert "hunter2secret" not in dumped and "t0ken" not in dumped  # state.json, summary.json
    assert "hunter2secret" in parse_brain(config.brain).base_url  # still usable in this process


# -- hosted teachers ------------------------------------------------------------------------------------------------


def _answering(loopback_server):
    def answer(request):
        body = json.loads(request.body)
        choices = [{"index": i, "message": {"role": "assistant", "content": "42"}} for i in range(body["n"])]
        return Recorded(200, json.dumps({"choices": choices}).encode())

    loopback_server.route("/v1/chat/completions", answer, method="POST")


def test_a_spec_cannot_name_any_variable_as_the_key(tmp_path, loopback_server, monkeypatch):
    from posttrain.tools.data.spec import load_spec

    _answering(loopback_server)
    monkeypatch.setenv("SECRET_X", "sk-secretxsecretxsecretx")
    spec = {"name": "x", "format": "sft", "sources": [{"teacher": {
        "model": "m", "prompts_from": "arithmetic", "n_prompts": 2, "samples_per_prompt": 1, "backend": "hosted",
        "hosted_api": {"base_url": loopback_server.url + "/v1", "model": "m", "api_key_env": "SECRET_X"}}}]}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(ConfigError, match="api_key_env 'SECRET_X'"):
        load_spec(path)
    with pytest.raises(ValidationError, match="a key goes only to its provider"):  # a provider's key elsewhere
        HostedAPI(base_url=loopback_server.url + "/v1", model="m", api_key_env="OPENAI_API_KEY")
    assert loopback_server.requests == []


def test_a_keyless_server_gets_no_key(loopback_server, monkeypatch):
    _answering(loopback_server)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-shouldnotleaveshouldnotleave")
    api = HostedAPI(base_url=loopback_server.url + "/v1", model="m")  # e.g. a local vLLM server
    out = generate_samples("ignored", ["1+1="], n=2, backend="hosted", hosted_api=api)
    assert out.samples == [["42", "42"]]
    assert all("authorization" not in request.headers for request in loopback_server.requests)


def test_a_provider_key_goes_only_after_the_command_line_allows_it(loopback_server, monkeypatch):
    _answering(loopback_server)
    port = int(loopback_server.url.rsplit(":", 1)[1])
    monkeypatch.setitem(teacher.PROVIDERS, "openai", Provider("openai", "OPENAI_API_KEY", "127.0.0.1", "http", port))
    monkeypatch.setattr(teacher, "_ALLOWED", set())
    monkeypatch.setenv("OPENAI_API_KEY", "sk-providerkeyproviderkey")
    api = HostedAPI(base_url=loopback_server.url + "/v1", model="m")  # the (stand-in) provider's own address
    with pytest.raises(ConfigError, match="pass --hosted-teacher openai on the command line"):
        generate_samples("ignored", ["1+1="], n=1, backend="hosted", hosted_api=api)
    assert loopback_server.requests == []  # the spec alone sent nothing
    teacher.allow_hosted_teacher("openai")  # what `--hosted-teacher openai` does
    generate_samples("ignored", ["1+1="], n=1, backend="hosted", hosted_api=api)
    assert loopback_server.requests[0].headers["authorization"] == "Bearer sk-providerkeyproviderkey"
    with pytest.raises(ConfigError, match="unknown hosted teacher provider"):
        teacher.allow_hosted_teacher("evil")


def test_recorded_hosted_url_is_masked(loopback_server):
    _answering(loopback_server)
    url = loopback_server.url.replace("http://", "http://bob:hunter2secret@") + "/v1"
    out = generate_samples("ignored", ["1+1="], n=1, backend="hosted", hosted_api=HostedAPI(base_url=url, model="m"))
    assert "hunter2secret" not in out.hosted_api and "127.0.0.1" in out.hosted_api  # what the card records

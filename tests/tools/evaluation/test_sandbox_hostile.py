"""Hostile programs in the code sandbox: each is contained, and honest programs beside them still score right."""

import json
import os
import time
import uuid

import pytest

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation import code_exec, get_benchmark
from posttrain.tools.evaluation.code_exec import build_humaneval_program, run_program, run_programs


def _sandboxed() -> bool:
    return code_exec.sandbox_problem() is None


needs_sandbox = pytest.mark.skipif(not _sandboxed(), reason="bubblewrap sandbox unavailable here (see .ci/run)")


def _leftovers() -> list[int]:
    """Host processes still running a sandboxed program."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if b"/sandbox/program.py" in handle.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def _humaneval_program(own_fixtures, body: str) -> str:
    row = json.loads((own_fixtures / "evaluation" / "humaneval_rows.jsonl").read_text().splitlines()[0])
    return build_humaneval_program(body, get_benchmark("humaneval").item_from_row(row, 0))


@needs_sandbox
def test_writes_outside_its_temp_folder_do_not_land(tmp_path):
    target, host_tmp = tmp_path / "written-by-sandbox", f"/tmp/posttrain-leak-{uuid.uuid4().hex}"
    code = (
        "import os\n"
        f"open({host_tmp!r}, 'w').write('x')\n"  # its own /tmp: allowed, private, gone afterwards
        "errors = []\n"
        f"for path in ({str(target)!r}, '/usr/posttrain-leak', {os.getcwd() + '/leak'!r}, '/leak'):\n"
        "    try:\n        open(path, 'w').write('x')\n    except OSError as exc:\n        errors.append(exc.errno)\n"
        "assert len(errors) == 4, errors\n"
    )
    result = run_program(code)
    assert result.passed, result.error  # every write outside /tmp failed inside the sandbox
    assert not target.exists() and not os.path.exists(host_tmp) and not os.path.exists("leak")


@needs_sandbox
def test_planted_token_in_home_and_the_checkout_are_unreadable(tmp_path, monkeypatch):
    home = tmp_path / "home"
    token = home / ".cache" / "huggingface" / "token"
    token.parent.mkdir(parents=True)
    token.write_text("hf_plantedsecretplantedsecret")
    monkeypatch.setenv("HOME", str(home))
    code = (
        "import os\nseen = []\n"
        f"for path in ({str(token)!r}, os.path.expanduser('~/.cache/huggingface/token'), {__file__!r},\n"
        "             '/etc/passwd', '/proc/1/environ'):\n"
        "    try:\n        seen.append(open(path).read())\n    except OSError:\n        pass\n"
        "print(seen)\nraise SystemExit(3 if any('planted' in s or 'root:' in s for s in seen) else 0)\n"
    )
    result = run_program(code)
    assert result.passed, result.error
    assert "planted" not in result.error


@needs_sandbox
def test_fork_bomb_is_bounded_and_leaves_nothing_behind():
    assert _leftovers() == []
    counted = (
        "import os, sys, time\nn = 0\n"
        "while True:\n"
        "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
        "    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n    n += 1\n"
        "sys.stderr.write(f'forked {n}\\n')\nraise SystemExit(7)\n"
    )
    started = time.perf_counter()
    result = run_program(counted, max_processes=16)
    assert result.returncode == 7 and time.perf_counter() - started < 10
    assert 0 < int(result.error.split("forked ")[1].split()[0]) < 16
    spinning = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = run_program(spinning, timeout_s=2.0)
    assert result.status == "timeout"
    deadline = time.time() + 5
    while _leftovers() and time.time() < deadline:
        time.sleep(0.1)
    assert _leftovers() == []  # the sleeping children died with the sandbox, the spinning ones with the timeout


@needs_sandbox
def test_bomb_beside_honest_programs_does_not_change_their_scores(own_fixtures):
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    right = _humaneval_program(own_fixtures, "    return sum(numbers)\n")
    wrong = _humaneval_program(own_fixtures, "    return max(numbers)\n")
    looping = _humaneval_program(own_fixtures, "    while True:\n        pass\n")
    results = run_programs([bomb, right, wrong, looping], timeout_s=3.0, workers=4)
    assert [r.status for r in results] == ["timeout", "passed", "failed", "timeout"]
    assert "AssertionError" in results[2].error or "ValueError" in results[2].error


@needs_sandbox
def test_raw_socket_through_underscore_socket_cannot_connect(loopback_server):
    from tests.conftest import Recorded

    loopback_server.route("/leak", Recorded(200, b"{}"))
    port = int(loopback_server.url.rsplit(":", 1)[1])
    code = (
        "import _socket\nfailures = []\n"
        f"for address in (('127.0.0.1', {port}), ('1.1.1.1', 80)):\n"
        "    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)\n"
        "    s.settimeout(2)\n"
        "    try:\n        s.connect(address)\n        s.send(b'GET /leak HTTP/1.0\\r\\n\\r\\n')\n"
        "    except OSError as exc:\n        failures.append(exc.errno)\n"
        "assert len(failures) == 2, failures\n"
    )
    result = run_program(code)
    assert result.passed and result.network == "namespace" and result.sandbox == "bwrap", result.error
    assert loopback_server.requests == []  # nothing reached the server


def test_no_sandbox_refuses_unless_the_user_opts_in(tmp_path, monkeypatch):
    monkeypatch.setattr(code_exec, "sandbox_problem", lambda: "bubblewrap (bwrap) is not installed")
    monkeypatch.delenv(code_exec.UNSAFE_ENV, raising=False)
    marker = tmp_path / "ran"
    with pytest.raises(ConfigError, match="POSTTRAIN_UNSAFE_CODE_EXECUTION=1") as refused:
        run_program(f"open({str(marker)!r}, 'w')")
    assert "\n" not in str(refused.value) and "apt-get install bubblewrap" in str(refused.value)
    assert not marker.exists()  # nothing ran unprotected
    monkeypatch.setenv(code_exec.UNSAFE_ENV, "1")
    result = run_program("print('ok')")
    assert result.passed and result.sandbox == "unsafe"


def test_missing_bwrap_is_named(monkeypatch):
    monkeypatch.setattr(code_exec.shutil, "which", lambda name: None)
    assert code_exec.sandbox_problem.__wrapped__() == "bubblewrap (bwrap) is not installed"


def test_eval_cli_refuses_a_code_benchmark_before_generating(own_fixtures, tmp_path, monkeypatch, capsys):
    from posttrain.orchestrator.cli import main

    monkeypatch.setattr(code_exec, "sandbox_problem", lambda: "bubblewrap (bwrap) is not installed")
    monkeypatch.delenv(code_exec.UNSAFE_ENV, raising=False)
    row = json.loads((own_fixtures / "evaluation" / "humaneval_rows.jsonl").read_text().splitlines()[0])
    rows = tmp_path / "code.jsonl"  # a file benchmark scored as code (rows carry test and entry_point)
    rows.write_text(json.dumps({"question": row["prompt"], "answer": row["canonical_solution"], "test": row["test"],
                                "entry_point": row["entry_point"]}) + "\n")
    assert main(["eval", str(tmp_path / "no-model"), "--benchmark", str(rows), "--out-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--unsafe-code-execution" in err and "bwrap" in err

"""humaneval scoring runs generated code in a sandbox: right, wrong, looping and network-hungry completions."""

import json

from posttrain.tools.evaluation import get_benchmark
from posttrain.tools.evaluation.code_exec import build_humaneval_program, run_program, run_programs


def _humaneval(own_fixtures):
    path = own_fixtures / "evaluation" / "humaneval_rows.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    bench = get_benchmark("humaneval")
    return bench, bench.item_from_row(rows[0], 0)


def test_mapping_keeps_tests_and_entry_point(own_fixtures):
    bench, item = _humaneval(own_fixtures)
    assert (item.id, item.meta["entry_point"]) == ("Own/0", "add_all")
    assert "def check(candidate)" in item.meta["test"]
    assert bench.answer_type == "code" and not bench.chat


def test_correct_completion_passes(own_fixtures):
    bench, item = _humaneval(own_fixtures)
    scored = bench.score("    return sum(numbers)\n", item)
    assert scored.correct and scored.extracted == "passed"


def test_chat_style_full_function_in_a_fence_passes(own_fixtures):
    bench, item = _humaneval(own_fixtures)
    completion = "Here:\n```python\ndef add_all(numbers: List[int]) -> int:\n    return sum(numbers)\n```"
    assert bench.score(completion, item).correct  # the prompt's `from typing import List` is kept


def test_wrong_completion_fails_on_the_asserts(own_fixtures):
    bench, item = _humaneval(own_fixtures)
    scored = bench.score("    return max(numbers)\n", item)
    assert not scored.correct and scored.extracted == "failed"
    result = run_program(build_humaneval_program("    return max(numbers)\n", item))
    assert "AssertionError" in result.error or "ValueError" in result.error


def test_infinite_loop_is_killed_by_the_timeout(own_fixtures):
    bench, item = _humaneval(own_fixtures)
    item = item.model_copy(update={"meta": item.meta | {"timeout_s": 1.5}})
    scored = bench.score("    while True:\n        pass\n", item)
    assert not scored.correct and scored.extracted == "timeout"


def test_socket_is_refused(own_fixtures, loopback_server):
    from tests.conftest import Recorded

    loopback_server.route("/leak", Recorded(200, b"{}"))
    port = loopback_server.url.rsplit(":", 1)[1]
    bench, item = _humaneval(own_fixtures)
    completion = (
        "    import socket\n"
        f"    socket.create_connection(('127.0.0.1', {port})).sendall(b'GET /leak HTTP/1.0\\r\\n\\r\\n')\n"
        "    return sum(numbers)\n"
    )
    assert not bench.score(completion, item).correct
    result = run_program(build_humaneval_program(completion, item))
    assert "network access is disabled" in result.error
    assert loopback_server.requests == []  # nothing reached the server


def test_raw_socket_bypassing_the_guard_cannot_leave_the_namespace(loopback_server):
    from tests.conftest import Recorded

    loopback_server.route("/leak", Recorded(200, b"{}"))
    port = int(loopback_server.url.rsplit(":", 1)[1])
    code = (
        f"import _socket\ns = _socket.socket()\ns.connect(('127.0.0.1', {port}))\n"
        "s.send(b'GET /leak HTTP/1.0\\r\\n\\r\\n')\n"
    )
    result = run_program(code)
    assert not result.passed
    if result.network == "namespace":  # kernels without user namespaces only get the guard
        assert "unreachable" in result.error or "refused" in result.error
    assert loopback_server.requests == []


def test_memory_limit_and_parallel_runs():
    results = run_programs(["x = bytearray(3 * 1024**3)", "print('ok')"], memory_mb=512, workers=2)
    assert [r.status for r in results] == ["failed", "passed"]
    assert "MemoryError" in results[0].error

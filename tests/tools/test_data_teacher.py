"""Teacher generation through the transformers backend with the tiny model, rejection sampling, hosted API boundary."""

import importlib.util
import json

import pytest

from posttrain.tools.data.teacher import HostedAPI, generate_samples
from posttrain.tools.data.verify import make_check, verified_generation
from posttrain.tools.errors import ConfigError
from tests.conftest import Recorded


BENCH = "arithmetic:digits=1,n_eval=20"


def _items(n: int):
    from posttrain.tools.evaluation import get_benchmark

    return [i.model_copy(update={"answer": i.meta["gold"]}) for i in get_benchmark(BENCH).train_items(n, 0)]


def test_n_seeded_samples_per_prompt(tiny_model_path):
    prompts = ["12+30=", "7+8=", "99+1="]
    first = generate_samples(str(tiny_model_path), prompts, n=3, max_new_tokens=4, seed=0, backend="transformers")
    again = generate_samples(str(tiny_model_path), prompts, n=3, max_new_tokens=4, seed=0, backend="transformers")
    other = generate_samples(str(tiny_model_path), prompts, n=3, max_new_tokens=4, seed=1, backend="transformers")
    assert first.backend == "transformers" and [len(s) for s in first.samples] == [3, 3, 3]
    assert first.samples == again.samples and first.samples != other.samples
    greedy = generate_samples(str(tiny_model_path), prompts, n=2, max_new_tokens=4, temperature=0.0)
    assert all(a == b for a, b in greedy.samples)  # greedy: every sample of a prompt is the same


def test_stop_strings_cut_completions(tiny_model_path):
    out = generate_samples(str(tiny_model_path), ["1+1="], n=4, max_new_tokens=8, seed=3, stop=["a", "e", "1"])
    assert all(not any(s in text for s in ("a", "e", "1")) for text in out.samples[0])


def test_rejection_sampling_keeps_exactly_what_the_checks_accept(tiny_model_path):
    items = _items(12)
    digit = r"regex:\S*\d\S*"
    result = verified_generation(
        str(tiny_model_path),
        items,
        checks=[digit],
        benchmark=BENCH,
        n=6,
        keep_per_prompt=6,
        max_new_tokens=2,
        temperature=1.0,
        seed=0,
    )
    check = make_check(digit)
    accepted = [
        (item.prompt, t)
        for item, group in zip(items, result.teacher.samples, strict=True)
        for t in group
        if check(t, item)
    ]
    assert result.n_samples == 72 and result.n_accepted == len(accepted) > 0
    assert result.acceptance_rate == pytest.approx(len(accepted) / 72)
    assert result.rejected_by == {digit: 72 - len(accepted)}
    assert {(r["prompt"], r["completion"]) for r in result.rows} == set(accepted)
    assert all(check(p["chosen"], None) and not check(p["rejected"], None) for p in result.pairs)

    strict = verified_generation(
        str(tiny_model_path),
        items,
        checks=["benchmark", digit],
        benchmark=BENCH,
        n=6,
        max_new_tokens=2,
        temperature=1.0,
        seed=0,
    )
    # same samples (same seed); the answer check can only remove more
    assert strict.teacher.samples == result.teacher.samples and strict.n_accepted <= result.n_accepted
    assert strict.rejected_by["benchmark"] >= 72 - result.n_accepted


def test_unknown_check_and_missing_checks():
    with pytest.raises(ConfigError, match="unknown check"):
        make_check("vibes")
    with pytest.raises(ConfigError, match="pattern"):
        make_check("regex:(")
    with pytest.raises(ConfigError, match="at least one check"):
        verified_generation("m", [], checks=[])


def test_hosted_api_only_when_configured_and_recorded(loopback_server, monkeypatch):
    def answer(request):
        body = json.loads(request.body)
        choices = [
            {"index": i, "message": {"role": "assistant", "content": str(40 + i)}, "finish_reason": "stop"}
            for i in range(body["n"])
        ]
        return Recorded(200, json.dumps({"id": "x", "object": "chat.completion", "choices": choices}).encode())

    loopback_server.route("/v1/chat/completions", answer, method="POST")
    api = HostedAPI(base_url=loopback_server.url + "/v1", model="big-teacher")
    out = generate_samples("ignored", ["12+30=", "1+1="], n=3, seed=5, backend="hosted", hosted_api=api)
    assert out.samples == [["40", "41", "42"]] * 2 and out.hosted_api == api.base_url and out.model == "big-teacher"
    sent = [json.loads(r.body) for r in loopback_server.requests]
    assert [s["seed"] for s in sent] == [5, 6] and sent[0]["messages"][0]["content"] == "12+30="
    assert "authorization" not in loopback_server.requests[0].headers  # no key for an unknown provider's URL
    with pytest.raises(ConfigError, match="hosted_api"):
        generate_samples("ignored", ["x"], backend="hosted")


@pytest.mark.skipif(
    importlib.util.find_spec("vllm") is not None, reason="vLLM is installed: bench/vllm_generation_check.py covers it"
)
def test_vllm_backend_refuses_clearly_where_it_cannot_run():
    with pytest.raises(ConfigError, match="vllm"):
        generate_samples("m", ["x"], backend="vllm")


def test_gpu_bench_script_skips_with_a_reason_here():
    import subprocess
    import sys
    from pathlib import Path

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed: run bench/vllm_generation_check.py on the GPU machine instead")
    script = Path(__file__).parents[2] / "bench" / "vllm_generation_check.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("SKIP vllm_generation_check: vllm is not installed")

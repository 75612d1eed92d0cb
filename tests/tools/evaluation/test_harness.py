"""evaluate_model end to end on the tiny model: report file, backends, generation settings, baseline vs trained."""

import json

import pytest

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation import GenerationSettings, compare_reports, evaluate_model, generate, load_records
from posttrain.tools.evaluation.backends import _sampling, auto_batch_size, resolve_backend


def test_report_file_holds_score_ci_records_and_timings(tiny_model_path, tmp_path):
    seen = []
    report = evaluate_model(str(tiny_model_path), "arithmetic:digits=2,n_eval=30", tmp_path / "eval", limit=12,
                            backend="transformers", progress=lambda task, done, total=None, **kw: seen.append(done))
    assert report.path == str(tmp_path / "eval" / "arithmetic.json")
    data = json.loads((tmp_path / "eval" / "arithmetic.json").read_text())
    assert data["n"] == 12 and len(data["records"]) == 12 and data["backend"] == "transformers"
    assert data["spec"] == "arithmetic:digits=2,ops=+,n_eval=30,seed=0"
    assert set(data["timings"]) == {"load_s", "generate_s", "score_s", "items_per_s", "mean_new_tokens"}
    assert data["settings"]["max_new_tokens"] == 4  # the benchmark's budget: digits + 2
    records = load_records(report)
    assert [r.id for r in records] == [f"arith-{r.prompt[:-1]}" for r in records]
    assert all(r.gold == str(eval(r.prompt[:-1])) for r in records)  # noqa: S307 - our own "a+b" strings
    assert report.correct == sum(r.correct for r in records)
    assert report.ci95[0] <= report.score <= report.ci95[1]
    assert seen and seen[-1] == 12


def test_baseline_vs_trained_is_significant(tiny_model_path, trained_caesar_path, tmp_path):
    base = evaluate_model(str(tiny_model_path), "caesar", tmp_path / "base", limit=100)
    trained = evaluate_model(str(trained_caesar_path), "caesar", tmp_path / "trained", limit=100)
    assert base.score < 0.05 and trained.score > 0.5  # random init vs 40 steps of clean SFT
    assert trained.ci95[0] > base.ci95[1]  # the intervals do not even overlap
    result = compare_reports(base, trained)
    assert result.n_pairs == 100 and result.significant and result.p_value < 1e-6
    assert result.ci95[0] > 0.3 and result.diff == pytest.approx(trained.score - base.score)


def test_sampled_generation_is_seeded(trained_caesar_path):
    prompts = ["abcde>", "qzmfe>", "hello>"] * 4
    settings = GenerationSettings(max_new_tokens=6, temperature=1.5, seed=7)
    first = generate(str(trained_caesar_path), prompts, settings, backend="transformers")
    again = generate(str(trained_caesar_path), prompts, settings, backend="transformers")
    greedy = generate(str(trained_caesar_path), prompts, GenerationSettings(max_new_tokens=6, batch_size=5))
    assert first.texts == again.texts
    assert greedy.texts[:3] == greedy.texts[3:6]  # greedy: the same prompt gives the same text, across batches
    assert greedy.batch_size == 5 and greedy.texts[1] == "rangf"
    stopped = generate(str(trained_caesar_path), ["qzmfe>"], GenerationSettings(max_new_tokens=6, stop=["n"]))
    assert stopped.texts == ["ran"]  # generation halts at the stop string (the harness then cuts it off)


def test_generation_config_is_respected_unless_overridden():
    class Config:
        do_sample, temperature, top_p = True, 0.6, 0.9

    assert _sampling(Config, GenerationSettings()) == (True, 0.6, 0.9)
    assert _sampling(Config, GenerationSettings(temperature=0.0)) == (False, 0.0, 0.9)
    Config.do_sample = False
    assert _sampling(Config, GenerationSettings())[0] is False
    assert _sampling(Config, GenerationSettings(temperature=1.0, top_p=0.5)) == (True, 1.0, 0.5)


def test_batch_size_follows_memory(tiny_model_path):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_path)
    from posttrain.tools.evaluation.backends import CPU_MAX_BATCH

    short, long = auto_batch_size(model, 16, "cpu"), auto_batch_size(model, 1_000_000, "cpu")
    assert 1 <= long < short <= CPU_MAX_BATCH  # on CPU a few dozen sequences is the most worth batching


def test_backend_choice_here():
    assert resolve_backend("auto") == "transformers"  # no CUDA and no vllm on this machine
    with pytest.raises(ConfigError, match="needs the vllm package and a CUDA GPU"):
        resolve_backend("vllm")


def test_chat_template_is_applied_for_chat_benchmarks(tiny_model_path):
    from transformers import AutoTokenizer

    from posttrain.tools.evaluation.backends import _chat_prompts

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_path)
    assert _chat_prompts(tokenizer, ["2+2?"], chat=True) == ["user: 2+2?\nassistant: "]
    assert _chat_prompts(tokenizer, ["2+2?"], chat=False) == ["2+2?"]


def test_bad_inputs_are_config_errors(tiny_model_path, tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        evaluate_model(str(tmp_path / "missing-model"), "caesar", tmp_path)
    with pytest.raises(ConfigError, match="no config.json"):
        evaluate_model(str(tmp_path), "caesar", tmp_path)
    with pytest.raises(ConfigError, match="gave no items"):
        evaluate_model(str(tiny_model_path), "caesar", tmp_path, limit=0)


@pytest.mark.slow
def test_arithmetic_baseline_vs_trained(tiny_model_path, tmp_path):
    # 500 steps of clean SFT on 2-digit addition (pinned seed; CPU runs are deterministic): 21/200 right vs 0/200,
    # at the start of the model's "grokking" jump, so the assertions stay loose (significant, CIs apart)
    from tests.tools.evaluation.conftest import sft_on_benchmark

    spec = "arithmetic:digits=2"
    trained_path = sft_on_benchmark(tiny_model_path, tmp_path / "arith", spec, steps=500, lr=2e-2)
    base = evaluate_model(str(tiny_model_path), spec, tmp_path / "base")
    trained = evaluate_model(str(trained_path), spec, tmp_path / "trained")
    assert base.n == trained.n == 200 and base.correct == 0
    assert trained.ci95[0] > base.ci95[1]
    result = compare_reports(base.path, trained.path)
    assert result.significant and result.only_regressed == 0 and result.ci95[0] > 0


def test_humaneval_end_to_end_scores_in_the_sandbox(tiny_model_path, own_fixtures, tmp_path):
    from posttrain.tools.evaluation.hub_benchmarks import HUB_SOURCES, HubBenchmark

    row = json.loads((own_fixtures / "evaluation" / "humaneval_rows.jsonl").read_text().splitlines()[0])
    rows = [row | {"task_id": f"Own/{i}"} for i in range(3)]
    bench = HubBenchmark(HUB_SOURCES["humaneval"], rows=rows)
    bench.max_new_tokens = 8
    report = evaluate_model(str(tiny_model_path), bench, tmp_path)
    records = load_records(report)
    assert report.path.endswith("humaneval.json") and report.n == 3 and report.score == 0.0
    assert {r.extracted for r in records} <= {"failed", "timeout"}  # random text is not a passing solution


def test_lora_adapter_folder_is_evaluated_through_peft(trained_caesar_path, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(trained_caesar_path)
    adapter = get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))  # zero-init B: no change
    adapter.save_pretrained(tmp_path / "adapter")  # adapter weights only: no config.json, no tokenizer
    assert not (tmp_path / "adapter" / "config.json").exists()
    merged = evaluate_model(str(trained_caesar_path), "caesar", tmp_path / "full", limit=20)
    via_adapter = evaluate_model(str(tmp_path / "adapter"), "caesar", tmp_path / "lora", limit=20)
    assert via_adapter.score == merged.score > 0.5

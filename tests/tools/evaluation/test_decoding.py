"""check_decoding on the tiny model: greedy vs sampled vs chat template measured, the choice saved and honoured."""

import json
import shutil

from posttrain.tools.evaluation import check_decoding, evaluate_model, get_benchmark
from posttrain.tools.evaluation.compare import Comparison
from posttrain.tools.evaluation.decoding import DecodingCandidate, choose


def test_choice_is_saved_beside_the_checkpoint_and_used_from_then_on(trained_caesar_path, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(trained_caesar_path, model)  # the session fixture stays untouched
    bench = get_benchmark("caesar")
    bench.chat = True  # as for a Hub benchmark: the default would wrap prompts in the chat template
    template_default = evaluate_model(str(model), bench, tmp_path / "before", limit=100)

    check = check_decoding(str(model), bench, tmp_path / "check", limit=100)

    scores = {c.name: c.score for c in check.candidates}
    # the benchmark's format (chat) is the default; the other format is the challenger
    assert list(scores) == ["greedy+chat", "sampled+chat", "greedy"] and all(c.n == 100 for c in check.candidates)
    assert check.candidates[0].comparison is None and all(c.comparison for c in check.candidates[1:])
    # 40 steps of SFT on raw prompts: the template (never seen in training) is no better, greedy is best
    assert check.chosen == "greedy" and scores["greedy"] > 0.5 and scores["greedy+chat"] <= scores["greedy"]
    assert scores["greedy+chat"] == template_default.score
    assert "beat greedy+chat" in check.reason and check.describe().startswith(
        f"decoding for {model} on {check.benchmark}: chose greedy")
    assert sorted(check.written) == sorted([str(model / "generation_config.json"),
                                            str(model / "posttrain_decoding.json")])
    saved = json.loads((model / "posttrain_decoding.json").read_text())
    assert saved["chat_template"] is False and saved["chosen"] == "greedy" and set(saved["scores"]) == set(scores)
    config = json.loads((model / "generation_config.json").read_text())
    assert config["do_sample"] is False and "temperature" not in config
    assert config["eos_token_id"] == 3 and config["pad_token_id"] == 0  # the tiny tokenizer's ids survive

    after = evaluate_model(str(model), bench, tmp_path / "after", limit=100)  # no settings: the saved choice rules
    assert after.settings["chat"] is False and after.settings["decoding_choice"] == "greedy"
    assert after.settings["decoding"] == {"do_sample": False, "temperature": 0.0, "top_p": 1.0}
    assert after.score == scores["greedy"] > template_default.score


def test_sampled_choice_writes_consistent_sampling_fields(trained_caesar_path, tmp_path):
    from posttrain.tools.evaluation.decoding import save_decoding

    model = tmp_path / "model"
    shutil.copytree(trained_caesar_path, model)
    sampled = DecodingCandidate(name="sampled", settings={"do_sample": True, "temperature": 0.7, "top_p": 0.95,
                                                          "chat": False}, score=0.9, n=10, ci95=(0.6, 0.98),
                                report="r.json")
    save_decoding(model, sampled, [sampled], "caesar")
    config = json.loads((model / "generation_config.json").read_text())
    assert (config["do_sample"], config["temperature"], config["top_p"]) == (True, 0.7, 0.95)
    report = evaluate_model(str(model), "caesar", tmp_path / "eval", limit=5)
    assert report.settings["decoding"] == {"do_sample": True, "temperature": 0.7, "top_p": 0.95}


def _candidate(name: str, score: float, p: float | None) -> DecodingCandidate:
    comparison = None if p is None else Comparison(
        n_pairs=100, baseline_score=0.5, candidate_score=score, diff=score - 0.5, ci95=(0.0, 0.0), p_value=p,
        significant=p < 0.05, method="test")
    return DecodingCandidate(name=name, settings={}, score=score, n=100, ci95=(0.0, 1.0), report="x",
                             comparison=comparison)


def test_rule_keeps_the_default_unless_beaten_significantly():
    default = _candidate("greedy", 0.5, None)
    assert choose([default, _candidate("sampled", 0.55, 0.2)])[0] == "greedy"  # higher, not significant
    assert choose([default, _candidate("sampled", 0.4, 0.01)])[0] == "greedy"  # significant, but worse
    name, reason = choose([default, _candidate("sampled", 0.6, 0.04), _candidate("greedy+chat", 0.8, 1e-6)])
    assert name == "greedy+chat" and "p=1e-06" in reason
    assert choose([default, _candidate("sampled", 0.7, 0.01), _candidate("greedy+chat", 0.7, 0.01)])[0] == "sampled"


def test_a_tie_goes_to_the_setting_whose_answers_are_read():
    """Raw prompts to a chat model: 300 empty completions (0.000); its template: sentences, 5 right (0.050, p=0.06).
    No score difference, but the template's answers are read: it measures the skill, the default the format."""
    raw = _candidate("greedy", 0.0, None).model_copy(update={"lost": 100})
    chat = _candidate("greedy+chat", 0.05, 0.0625).model_copy(update={"lost": 60, "read_p": 1e-12})
    name, reason = choose([raw, chat])
    assert name == "greedy+chat" and "measures the format" in reason
    worse = chat.model_copy(update={"score": 0.0, "lost": 99, "read_p": 1.0})  # not read significantly more often
    assert choose([raw, worse])[0] == "greedy"


def test_vllm_honours_a_greedy_generation_config(tiny_model_path, monkeypatch):
    """vLLM ignores do_sample and would sample a greedy config that has no temperature at 1.0: the backend reads it."""
    import sys
    import types

    import torch

    from posttrain.tools.evaluation import GenerationSettings, generate

    seen = []

    class LLM:
        def __init__(self, model, seed):
            pass

        def get_default_sampling_params(self):
            return types.SimpleNamespace(temperature=1.0, top_p=1.0)  # vLLM's defaults when the config has none

        def generate(self, prompts, params):
            seen.append(params)
            return [types.SimpleNamespace(outputs=[types.SimpleNamespace(text="x")]) for _ in prompts]

    monkeypatch.setitem(sys.modules, "vllm", types.SimpleNamespace(LLM=LLM, SamplingParams=types.SimpleNamespace))
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: object() if name == "vllm" else None)
    monkeypatch.setattr("posttrain.tools.vllm_support.installed_version", lambda: "0.31.0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    greedy = generate(str(tiny_model_path), ["a"], GenerationSettings(max_new_tokens=2), backend="vllm")
    assert seen[-1].temperature == 0.0 and greedy.sampling["do_sample"] is False  # the tiny model ships greedy
    sampled = generate(str(tiny_model_path), ["a"], GenerationSettings(temperature=0.7), backend="vllm")
    assert seen[-1].temperature == 0.7 and sampled.sampling["do_sample"] is True

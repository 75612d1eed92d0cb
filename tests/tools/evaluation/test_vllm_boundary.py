"""The vLLM backend at its boundary: vLLM needs CUDA, which this machine lacks, so a stand-in module records the
calls and the test checks what the backend asks of vLLM (model, seed, sampling defaults from the model, chat)."""

import sys
import types

import pytest

from posttrain.tools.evaluation import GenerationSettings, evaluate_model, generate
from posttrain.tools.evaluation.backends import resolve_backend


class _Params:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


class _LLM:
    calls: list = []

    def __init__(self, model, seed):
        self.calls.append(("init", model, seed))

    def get_default_sampling_params(self):  # vLLM builds these from generation_config.json
        return _Params(temperature=0.7, top_p=0.8)

    def get_tokenizer(self):
        return types.SimpleNamespace(chat_template="{{ messages }}")

    def _answer(self, prompts, params):
        self.calls.append(("params", params.__dict__))
        return [types.SimpleNamespace(outputs=[types.SimpleNamespace(text=f"out{i}")]) for i in range(len(prompts))]

    def generate(self, prompts, params):
        self.calls.append(("generate", list(prompts)))
        return self._answer(prompts, params)

    def chat(self, conversations, params):
        self.calls.append(("chat", conversations))
        return self._answer(conversations, params)


@pytest.fixture
def fake_vllm(monkeypatch):
    import torch

    module = types.ModuleType("vllm")
    module.LLM, module.SamplingParams = _LLM, _Params
    module.__spec__ = types.SimpleNamespace(name="vllm")
    monkeypatch.setitem(sys.modules, "vllm", module)
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: object() if name == "vllm" else None)
    monkeypatch.setattr("posttrain.tools.vllm_support.installed_version", lambda: "0.31.0")  # inside TRL's range
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    _LLM.calls = []
    return _LLM.calls


def test_auto_picks_vllm_with_a_gpu(fake_vllm):
    assert resolve_backend("auto") == "vllm"


def test_generation_config_defaults_and_overrides(fake_vllm):
    result = generate("org/model", ["a", "b"], GenerationSettings(max_new_tokens=9, seed=3), backend="vllm")
    assert result.texts == ["out0", "out1"] and result.backend == "vllm"
    assert fake_vllm[0] == ("init", "org/model", 3)
    assert fake_vllm[1] == ("generate", ["a", "b"])
    assert fake_vllm[2] == ("params", {"temperature": 0.7, "top_p": 0.8, "max_tokens": 9, "seed": 3})
    generate("org/model", ["a"], GenerationSettings(temperature=0.0, top_p=1.0, chat=True), backend="vllm")
    assert fake_vllm[-2] == ("chat", [[{"role": "user", "content": "a"}]])
    assert fake_vllm[-1][1]["temperature"] == 0.0 and fake_vllm[-1][1]["top_p"] == 1.0


def test_evaluate_model_records_the_vllm_backend(fake_vllm, tmp_path):
    report = evaluate_model("org/model", "caesar:n_eval=3", tmp_path, backend="auto")
    assert report.backend == "vllm" and report.n == 3 and report.score == 0.0

"""The one vLLM rule (`tools/vllm_support.py`): the range comes from the installed TRL; an installed vLLM inside it
is used, one outside it (PostTrainBench's container: 0.11.0) makes rollouts and evaluation fall back to
transformers, said once per process. vLLM is not installed here, so its presence is staged: find_spec says the
package is there and `installed_version` gives the release."""

import logging
import types

import pytest
import torch
from packaging.specifiers import SpecifierSet

from posttrain.tools import vllm_support
from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.backends import resolve_backend
from posttrain.tools.training import GRPOSpec, RewardSpec
from posttrain.tools.training.device import DeviceFacts, _vllm_note, installed_accelerators
from posttrain.tools.training.fast_defaults import resolve_grpo


H100 = DeviceFacts(cuda=True, name="NVIDIA H100 80GB HBM3", capability=(9, 0), total_memory_gb=85.0,
                   free_memory_gb=84.0, gpu_count=1, bf16=True, flex_attention=True, packages=[])
GRPO = GRPOSpec(base_model="m", dataset="d.jsonl", rewards=[RewardSpec(name="exact_match")])


@pytest.fixture
def staged_vllm(monkeypatch):
    """Stage an installed vLLM of a given release on a CUDA machine; returns a setter."""
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: (
        types.SimpleNamespace(name=name) if name == "vllm" else real_find_spec(name, *a)))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(vllm_support, "_announced", False)

    def install(version: str) -> None:
        monkeypatch.setattr(vllm_support, "installed_version", lambda: version)

    return install


def test_the_range_is_the_installed_trls_vllm_extra():
    import importlib.metadata

    declared = [r for r in importlib.metadata.requires("trl") if r.startswith("vllm") and "extra" in r]
    assert declared, "the installed TRL declares no vllm extra; FALLBACK_RANGE would be used"
    assert vllm_support.supported_range() == SpecifierSet(declared[0].split(";")[0].removeprefix("vllm"))
    assert "0.31.0" in vllm_support.supported_range() and "0.11.0" not in vllm_support.supported_range()


def test_without_a_declared_range_the_fallback_is_trl_1_16s(monkeypatch):
    monkeypatch.setattr("importlib.metadata.requires", lambda name: ["accelerate>=1.4.0", "peft; extra == 'peft'"])
    assert vllm_support.supported_range() == SpecifierSet(">=0.22.0,<=0.31.0")


@pytest.mark.parametrize(("installed", "usable"), [
    ("0.11.0", False), ("0.21.0", False), ("0.22.0", True), ("0.31.0+cu128", True), ("0.31.0.post1", True),
    ("0.33.0", False), (None, False), ("not-a-version", False),
])
def test_verdict_inside_and_outside_the_range(installed, usable):
    support = vllm_support.vllm_support(installed=installed, supported=SpecifierSet(">=0.22.0,<=0.31.0"))
    assert support.usable is usable
    if installed and not usable:
        assert f"vLLM {installed} is installed" in support.reason and "transformers generates" in support.reason


def test_container_vllm_falls_back_to_transformers_with_one_notice(staged_vllm, caplog):
    staged_vllm("0.11.0")  # PostTrainBench's container
    with caplog.at_level(logging.WARNING, logger="posttrain.vllm"):
        assert resolve_backend("auto") == "transformers"        # evaluation and teacher sampling
        assert "vllm" not in installed_accelerators()           # GRPO rollouts
        assert resolve_backend("auto") == "transformers"
    notices = [r.getMessage() for r in caplog.records if r.name == "posttrain.vllm"]
    assert len(notices) == 1 and "vLLM 0.11.0 is installed" in notices[0] and "0.31.0" in notices[0]


def test_supported_vllm_is_used_without_a_notice(staged_vllm, caplog):
    staged_vllm("0.31.0")
    with caplog.at_level(logging.WARNING, logger="posttrain.vllm"):
        assert resolve_backend("auto") == "vllm"
        assert "vllm" in installed_accelerators()
    assert not [r for r in caplog.records if r.name == "posttrain.vllm"]


def test_asking_for_an_unsupported_vllm_explicitly_is_a_config_error(staged_vllm):
    staged_vllm("0.11.0")
    with pytest.raises(ConfigError, match=r"vLLM 0\.11\.0 is installed .*fix: use --backend transformers"):
        resolve_backend("vllm")


def test_grpo_rollouts_say_why_the_installed_vllm_is_not_used(staged_vllm):
    staged_vllm("0.11.0")
    facts = H100.model_copy(update={"packages": installed_accelerators(), "vllm_note": _vllm_note()})
    resolved = resolve_grpo(GRPO, None, facts)
    assert resolved.rollout == "continuous_batching"
    assert "vLLM 0.11.0 is installed" in resolved.reasons["rollout"]
    with pytest.raises(ConfigError, match=r"use_vllm=True: vLLM 0\.11\.0"):
        resolve_grpo(GRPO.model_copy(update={"use_vllm": True}), None, facts)


def _fake_vllm_site(root, version: str):
    """A folder that holds an installed-looking `vllm` of `version`: the package and its dist-info, nothing else (like
    0.11.0 against TRL 1.16, it has none of the submodules TRL's generation modules import)."""
    (root / "vllm").mkdir(parents=True)
    (root / "vllm" / "__init__.py").write_text(f"__version__ = {version!r}\n")
    info = root / f"vllm-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: vllm\nVersion: {version}\n")
    return root


@pytest.mark.parametrize("hide", [True, False])
def test_trl_trainers_import_beside_an_unsupported_vllm_only_when_hidden(tmp_path, hide):
    import os
    import subprocess
    import sys

    site = _fake_vllm_site(tmp_path / "site", "0.11.0")
    # Hidden: the trainers the training worker imports. Not hidden: the TRL module GRPOTrainer imports first that
    # reaches into vLLM (lighter to load than the trainer, same failure).
    imports = "from trl import GRPOTrainer, SFTTrainer" if hide else "import trl.generation.vllm_client"
    code = ("from posttrain.tools.vllm_support import hide_from_trl, vllm_support\n"
            "assert vllm_support().installed == '0.11.0'\n"
            + ("hide_from_trl()\n" if hide else "") + f"{imports}\nprint('imported')\n")
    env = {**os.environ, "PYTHONPATH": f"{site}:{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    if hide:
        assert done.returncode == 0 and "imported" in done.stdout, done.stderr[-2000:]
        assert "vLLM 0.11.0 is installed but TRL" in done.stderr  # the one notice
    else:  # what the PostTrainBench container would do without it: TRL imports what 0.11.0 lacks
        assert done.returncode != 0 and "No module named 'vllm." in done.stderr, done.stderr[-2000:]


def test_a_run_announces_an_unsupported_vllm_once_before_it_starts(staged_vllm, caplog, tmp_path):
    """prepare() says it while stderr is still the console (the run then sends library output to run.log)."""
    from posttrain.orchestrator.session import prepare
    from posttrain.run.config import RunConfig

    staged_vllm("0.11.0")
    config = RunConfig(goal="g", benchmark="arithmetic:digits=2,n_eval=5", run_dir=str(tmp_path / "run"))
    notices = lambda: [r for r in caplog.records if r.name == "posttrain.vllm"]  # noqa: E731
    with caplog.at_level(logging.WARNING, logger="posttrain.vllm"):
        prepare(config)
        assert len(notices()) == 1
        assert resolve_backend("auto") == "transformers"  # the evaluation later in the run: no second notice
    assert len(notices()) == 1

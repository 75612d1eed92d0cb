"""`pip install -e ".[gpu]"` in a container that already has vLLM must keep that vLLM and its torch.

PostTrainBench's container pins vllm 0.11.0 (which pins torch 2.8.0). The fast test checks the extra's vLLM
specifier; the slow one asks pip's real resolver, against the package index, for the project's requirements plus
the gpu extra plus `vllm==0.11.0`, metadata only (`--dry-run --report`, nothing downloaded but metadata), and checks
the resolution keeps vLLM 0.11.0 and the torch it pins. It skips, with the reason, when the index is unreachable.
"""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from posttrain.tools.vllm_support import supported_range


PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"
CONTAINER_VLLM = "0.11.0"  # PostTrainBench's container (with flash-attn 2.8.3, which no posttrain requirement names)


def _project() -> dict:
    return tomllib.loads(PYPROJECT.read_text())["project"]


def _gpu_vllm() -> Requirement:
    return next(Requirement(r) for r in _project()["optional-dependencies"]["gpu"] if Requirement(r).name == "vllm")


def test_gpu_extra_accepts_the_container_vllm_and_trls_newest():
    spec = _gpu_vllm().specifier
    assert spec.contains(CONTAINER_VLLM), f"pip would replace the container's vLLM {CONTAINER_VLLM}: {spec}"
    newest_trl_supports = max(s.version for s in supported_range() if s.operator in ("<=", "=="))
    assert spec.contains(newest_trl_supports)  # a fresh GPU machine still gets a vLLM TRL can drive
    assert not spec.contains("0.33.0")  # nor one TRL does not support


def _pip(args: list[str], timeout: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_RETRIES": "1"}
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


@pytest.mark.slow
def test_resolver_keeps_the_container_vllm_and_its_torch(tmp_path):
    probe = _pip(["install", "--dry-run", "--ignore-installed", "--no-deps", "--quiet", "--report", "-",
                  f"vllm=={CONTAINER_VLLM}"], timeout=120)
    if probe.returncode != 0:
        pytest.skip(f"package index unreachable (pip: {probe.stderr.strip().splitlines()[-1:]})")
    vllm_meta = json.loads(probe.stdout)["install"][0]["metadata"]
    torch_pin = next(Requirement(r) for r in vllm_meta["requires_dist"] if Requirement(r).name == "torch")
    assert str(torch_pin.specifier).startswith("=="), f"vLLM {CONTAINER_VLLM} no longer pins torch: {torch_pin}"

    project = _project()
    requirements = [*project["dependencies"], *project["optional-dependencies"]["gpu"], f"vllm=={CONTAINER_VLLM}"]
    report = tmp_path / "report.json"
    done = _pip(["install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report), *requirements],
                timeout=900)
    assert done.returncode == 0, f"the gpu extra fails beside vllm=={CONTAINER_VLLM}:\n{done.stderr[-3000:]}"
    chosen = {i["metadata"]["name"].lower().replace("_", "-"): i["metadata"]["version"]
              for i in json.loads(report.read_text())["install"]}
    assert chosen["vllm"] == CONTAINER_VLLM
    assert chosen["torch"] in torch_pin.specifier  # the container's torch, not a newer one
    assert "liger-kernel" in chosen and "trl" in chosen

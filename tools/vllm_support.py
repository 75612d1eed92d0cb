"""Whether the installed vLLM may be used: the one rule that GRPO rollouts, evaluation and teacher sampling ask.

TRL supports a range of vLLM releases (TRL 1.16: 0.22.0–0.31.0, declared by its `trl[vllm]` extra and warned about
in `trl/import_utils.py::is_vllm_available`). A container may already carry another vLLM (PostTrainBench's pins
0.11.0 with its own torch), and `pip install 'posttrain[gpu]'` leaves it in place, so the choice is made here, at
run time: an installed vLLM inside the range is used; one outside it is ignored and transformers generates instead,
said once per process::

    support = vllm_support()      # VllmSupport(installed='0.11.0', supported='<=0.31.0,>=0.22.0', usable=False, ...)
    if vllm_usable(): ...         # False there, after one warning naming both versions
"""

import importlib.metadata
import importlib.util
import logging

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, Field


# TRL 1.16.0's range (`trl[vllm]`: vllm>=0.22.0,<=0.31.0), used only when the installed TRL does not declare one.
FALLBACK_RANGE = ">=0.22.0,<=0.31.0"

_announced = False  # one notice per process: rollouts, evaluation and sampling all ask, the user reads it once


class VllmSupport(BaseModel):
    """The installed vLLM, the range the installed TRL supports, and the verdict."""

    installed: str | None = Field(description="vLLM's installed version; None when it is not installed.")
    supported: str = Field(description="The vLLM versions the installed TRL supports, as a specifier.")
    trl: str | None = Field(description="TRL's installed version (the source of `supported`).")
    usable: bool = Field(description="vLLM is installed and inside the supported range.")
    reason: str = Field(description="One line: why vLLM is or is not used.")


def supported_range() -> SpecifierSet:
    """The vLLM versions the installed TRL supports, read from its `vllm` extra (FALLBACK_RANGE without one)."""
    try:
        requirements = importlib.metadata.requires("trl") or []
    except importlib.metadata.PackageNotFoundError:
        requirements = []
    for line in requirements:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.name == "vllm" and requirement.marker and requirement.marker.evaluate({"extra": "vllm"}) \
                and str(requirement.specifier):
            return requirement.specifier
    return SpecifierSet(FALLBACK_RANGE)


def installed_version() -> str | None:
    """vLLM's installed version (distribution metadata: looked up, not imported, as vllm's import takes seconds)."""
    if importlib.util.find_spec("vllm") is None:
        return None
    try:
        return importlib.metadata.version("vllm")
    except importlib.metadata.PackageNotFoundError:
        return None  # an importable folder without metadata is not a release we can place in the range


def vllm_support(installed: str | None = None, supported: SpecifierSet | None = None) -> VllmSupport:
    """The verdict for this environment; `installed` and `supported` override the detection (tests, the doctor)."""
    installed = installed if installed is not None else installed_version()
    supported = supported if supported is not None else supported_range()
    trl = _version_of("trl")
    trl_name = f"TRL {trl}" if trl else "TRL"
    if installed is None:
        return VllmSupport(installed=None, supported=str(supported), trl=trl, usable=False,
                           reason="vLLM is not installed: transformers generates")
    try:
        # Compare the base release, as TRL does: 0.31.0+cu128 or 0.31.0.post1 count as 0.31.0.
        inside = Version(Version(installed).base_version) in supported
    except InvalidVersion:
        inside = False
    if inside:
        return VllmSupport(installed=installed, supported=str(supported), trl=trl, usable=True,
                           reason=f"vLLM {installed} (inside {trl_name}'s supported range {supported})")
    return VllmSupport(installed=installed, supported=str(supported), trl=trl, usable=False,
                       reason=f"vLLM {installed} is installed but {trl_name} supports vllm{supported}: transformers "
                              f"generates instead (rollouts and evaluation)")


def vllm_usable() -> bool:
    """True when an installed vLLM is inside the supported range; an unusable installed one is announced once."""
    support = vllm_support()
    if support.installed is not None and not support.usable:
        announce(support)
    return support.usable


def announce(support: VllmSupport) -> None:
    """Warn about an ignored vLLM once per process (the logger reaches stderr; tools never print)."""
    global _announced
    if not _announced:
        _announced = True
        logging.getLogger("posttrain.vllm").warning("%s", support.reason)


def hide_from_trl() -> None:
    """Make TRL see no vLLM when the installed one is outside its range; call before importing TRL's trainers.

    TRL imports vLLM at module load whenever it is installed (`trl/generation/vllm_client.py` and
    `vllm_generation.py`: `if is_vllm_available(): from vllm... import ...`, warning only about the range), and
    `trl.GRPOTrainer` imports those modules. An older vLLM lacks what they import (0.11.0: no
    `vllm.utils.network_utils`, no `vllm.distributed.weight_transfer`), so `from trl import GRPOTrainer` would fail
    even though the rollouts use transformers. TRL's modules bind `is_vllm_available` when they are imported, so this
    only helps before `trl.generation` is; remove it once TRL gates those imports on its supported range."""
    support = vllm_support()
    if support.installed is None or support.usable:
        return
    announce(support)
    import importlib

    trl_imports = importlib.import_module("trl.import_utils")  # `import trl.import_utils` trips TRL's lazy module
    trl_imports.is_vllm_available = _no_vllm


def _no_vllm(min_version: str | None = None) -> bool:
    return False


def _version_of(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None

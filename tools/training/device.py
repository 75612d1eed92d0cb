"""What the training process can see of its device: CUDA or not, the card, its free memory, optional accelerators.

`fast_defaults` decides from these facts alone, so its decisions are testable on CPU with made-up facts::

    facts = DeviceFacts.detect(use_gpu=True)     # on an H100: cuda=True, name='NVIDIA H100 80GB HBM3', ...
    DeviceFacts(cuda=True, name="H100", capability=(9, 0), total_memory_gb=80, free_memory_gb=79,
                bf16=True, packages=["liger_kernel"])   # the same, by hand, in a test
"""

import importlib.util

from pydantic import BaseModel, ConfigDict, Field

from posttrain.tools.vllm_support import vllm_support, vllm_usable


# Optional packages that change the fast path when importable (the `gpu` extra and friends).
ACCELERATOR_PACKAGES = ("liger_kernel", "flash_attn", "vllm")


class DeviceFacts(BaseModel):
    """The facts a device decision depends on; `detect` reads them from this process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cuda: bool = Field(description="True when training runs on a CUDA device.")
    name: str = Field("cpu", description="Card name (torch.cuda.get_device_name), or 'cpu'.")
    capability: tuple[int, int] | None = Field(None, description="CUDA compute capability, e.g. (9, 0) for H100.")
    total_memory_gb: float = Field(0.0, ge=0, description="Memory of one card, GB (1e9 bytes).")
    free_memory_gb: float = Field(0.0, ge=0, description="Free memory on the card when the run starts, GB.")
    gpu_count: int = Field(0, ge=0, description="CUDA devices visible to this process.")
    bf16: bool = Field(False, description="The card computes in bfloat16 (Ampere or newer).")
    flex_attention: bool = Field(False, description="torch ships FlexAttention (torch >= 2.5).")
    packages: list[str] = Field(default_factory=list, description="Importable packages of ACCELERATOR_PACKAGES "
                                "(vllm only when inside TRL's supported range).")
    vllm_note: str | None = Field(None, description="Why an installed vLLM is not used (outside TRL's range).")

    def has(self, package: str) -> bool:
        return package in self.packages

    @classmethod
    def cpu(cls) -> "DeviceFacts":
        return cls(cuda=False, packages=installed_accelerators(), vllm_note=_vllm_note())

    @classmethod
    def detect(cls, use_gpu: bool) -> "DeviceFacts":
        """Read the facts of this process's device; a CPU run never touches CUDA."""
        import torch

        if not (use_gpu and torch.cuda.is_available()):
            return cls.cpu()
        free, total = torch.cuda.mem_get_info()
        return cls(
            cuda=True, name=torch.cuda.get_device_name(), capability=tuple(torch.cuda.get_device_capability()),
            total_memory_gb=total / 1e9, free_memory_gb=free / 1e9, gpu_count=torch.cuda.device_count(),
            bf16=torch.cuda.is_bf16_supported(), flex_attention=_has_flex_attention(),
            packages=installed_accelerators(), vllm_note=_vllm_note(),
        )


def installed_accelerators() -> list[str]:
    """Which optional accelerator packages import here (looked up, not imported: vllm's import takes seconds); an
    installed vLLM outside the range TRL supports does not count (`vllm_support` says so once)."""
    found = [name for name in ACCELERATOR_PACKAGES if importlib.util.find_spec(name) is not None]
    if "vllm" in found and not vllm_usable():
        found.remove("vllm")
    return found


def _vllm_note() -> str | None:
    support = vllm_support()
    return support.reason if support.installed is not None and not support.usable else None


def _has_flex_attention() -> bool:
    return importlib.util.find_spec("torch.nn.attention.flex_attention") is not None

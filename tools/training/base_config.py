"""Fields shared by every training spec (LoRA, budget, resources), so SFT and GRPO specs read the same way.

>>> LoraSpec(r=8, alpha=16)
LoraSpec(r=8, alpha=16, dropout=0.05, target_modules='all-linear')
"""

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class LoraSpec(BaseModel):
    """Train a LoRA adapter (peft) instead of all weights; it is merged into the base on export."""

    model_config = ConfigDict(extra="forbid")

    r: int = Field(16, ge=1, description="LoRA rank.")
    alpha: int = Field(32, ge=1, description="LoRA alpha (scale = alpha / r).")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="Dropout on the adapter input.")
    target_modules: list[str] | str = Field("all-linear", description="Modules to adapt, or 'all-linear'.")

    def to_peft(self):
        from peft import LoraConfig

        return LoraConfig(
            r=self.r, lora_alpha=self.alpha, lora_dropout=self.dropout, target_modules=self.target_modules,
            task_type="CAUSAL_LM",
        )


class RunSpec(BaseModel):
    """What every run has: base model, data, budget, seed and the Ray resources it declares."""

    model_config = ConfigDict(extra="forbid")

    base_model: str = Field(description="Local model directory or Hub id of the starting checkpoint.")
    dataset: str = Field(description="Local .jsonl/.parquet file (or folder of them) or a Hub dataset id.")
    max_steps: int = Field(100, ge=1, description="Optimizer steps to run.")
    learning_rate: float = Field(3e-4, ge=0.0, description="Peak learning rate.")
    lora: LoraSpec | None = Field(None, description="LoRA settings; None trains all weights.")
    seed: int = Field(0, description="Seed for data order, init of new weights and sampling.")
    time_budget_s: float | None = Field(
        None, gt=0, description="Wall-clock budget for training; the run stops at the next step once it is spent."
    )
    logging_steps: int = Field(10, ge=1, description="Log metrics every N steps.")
    num_cpus: float = Field(2, gt=0, description="CPUs the Ray task declares.")
    num_gpus: float | None = Field(
        None, ge=0, description="GPUs the Ray task declares; None = 1 if the cluster has one."
    )
    num_workers: int = Field(
        1, ge=1, description="Data-parallel training processes (Ray Train, DDP; FSDP when the model does not fit one "
        "card). num_gpus > 1 means that many GPU workers; on CPU the workers use gloo."
    )
    gradient_checkpointing: bool | None = Field(
        None, description="Recompute activations in the backward; None = only when the card's memory needs it."
    )
    attn_implementation: str | None = Field(
        None, description="Attention kernel; None = flash_attention_2 when installed, else flex_attention for packed "
        "rows, else sdpa (on CUDA; the model's default on CPU)."
    )
    liger: bool | None = Field(None, description="Liger's kernels; None = on CUDA when liger_kernel is installed.")
    max_memory_gb: float | None = Field(
        None, gt=0, description="Memory the task declares to Ray and may use (enforced with an rlimit on CPU runs)."
    )
    eval_benchmark: str | None = Field(
        None, description="Benchmark spec scored greedily during training (plateau / overfitting detection)."
    )
    eval_every: int | None = Field(None, ge=1, description="Steps between in-training evals (needs eval_benchmark).")
    eval_limit: int = Field(200, ge=1, description="Held-out items per in-training eval.")
    trl_overrides: dict[str, Any] = Field(
        default_factory=dict, description="Extra TRL config fields, applied last (e.g. {'packing': True})."
    )

    @field_validator("dataset", "base_model")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty; give a local path or a Hub id")
        return value

    @model_validator(mode="after")
    def _workers_match_gpus(self):
        if self.num_gpus is not None and self.num_gpus > 1:
            if self.num_gpus != int(self.num_gpus):
                raise ValueError(f"num_gpus={self.num_gpus:g} above 1 must be whole; one worker per GPU")
            if self.num_workers not in (1, int(self.num_gpus)):
                raise ValueError(f"num_gpus={self.num_gpus:g} runs one worker per GPU; drop num_workers or set it "
                                 f"to {int(self.num_gpus)}")
            self.num_workers = int(self.num_gpus)
        elif self.num_workers > 1 and self.num_gpus:  # 0 < num_gpus <= 1: workers would share one card
            raise ValueError(f"num_workers={self.num_workers} GPU workers need num_gpus={self.num_workers} (one "
                             "each); or num_gpus=0 for CPU workers")
        return self

    @property
    def gpus_per_worker(self) -> float | None:
        """What each training process declares to Ray (None = 1 if the cluster has a GPU)."""
        return None if self.num_gpus is None else self.num_gpus / self.num_workers

    @model_validator(mode="after")
    def _eval_pairing(self):
        if self.eval_every is not None and self.eval_benchmark is None:
            raise ValueError("eval_every needs eval_benchmark; set eval_benchmark='caesar' (or another) or drop it")
        return self

    def looks_local(self, value: str) -> bool:
        """A path that exists, or one that is clearly meant as a path (Hub ids are 'owner/name' without dots)."""
        path = Path(value)
        return path.exists() or value.startswith((".", "/", "~")) or path.suffix in {".jsonl", ".json", ".parquet"}


def common_trl_kwargs(spec: RunSpec, out_dir: Path, *, project: str, run_name: str, use_gpu: bool,
                      resolved=None) -> dict[str, Any]:
    """TrainingArguments fields every posttrain run sets the same way (tracking, device, precision, no saving), plus
    the device choices of `resolved` (a `fast_defaults.Resolved`): batch split, kernels, checkpointing, DDP/FSDP."""
    kwargs = {
        "output_dir": str(out_dir / "trainer"),
        "max_steps": spec.max_steps,
        "learning_rate": spec.learning_rate,
        "seed": spec.seed,
        "data_seed": spec.seed,
        "logging_steps": spec.logging_steps,
        "report_to": ["trackio"],
        "project": project,
        "run_name": run_name,
        "trackio_space_id": None,  # local store only; nothing is pushed to the Hub
        "save_strategy": "no",  # the launcher exports one final checkpoint itself
        "disable_tqdm": True,
        "use_cpu": not use_gpu,
        "bf16": use_gpu and _bf16_supported(),
        # TRL defaults to checkpointing; on the tiny/CPU runs recomputation costs time and saves nothing.
        "gradient_checkpointing": False,
        "dataloader_pin_memory": use_gpu,
    }
    if resolved is None:
        return kwargs
    kwargs.update(per_device_train_batch_size=resolved.micro_batch, gradient_accumulation_steps=resolved.grad_accum,
                  gradient_checkpointing=resolved.gradient_checkpointing)
    if resolved.workers > 1:
        kwargs["ddp_find_unused_parameters"] = False  # every weight gets a gradient: skip DDP's extra graph walk
        if not use_gpu:
            kwargs["ddp_backend"] = "gloo"  # without it the HF Trainer sees the process group but does not do DDP
    if resolved.device == "cpu":
        return kwargs
    model_init = {"attn_implementation": resolved.attn_implementation} if resolved.attn_implementation else {}
    if resolved.bf16_weights:
        model_init["dtype"] = "bfloat16"
    kwargs.update(bf16=resolved.bf16, use_liger_kernel=resolved.liger, model_init_kwargs=model_init or None,
                  dataloader_num_workers=resolved.dataloader_workers)
    if resolved.fsdp:
        kwargs.update(fsdp="full_shard auto_wrap", gradient_checkpointing=False,
                      fsdp_config={"activation_checkpointing": resolved.gradient_checkpointing})
    return kwargs


def _bf16_supported() -> bool:
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()

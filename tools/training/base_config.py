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
    def _eval_pairing(self):
        if self.eval_every is not None and self.eval_benchmark is None:
            raise ValueError("eval_every needs eval_benchmark; set eval_benchmark='caesar' (or another) or drop it")
        return self

    def looks_local(self, value: str) -> bool:
        """A path that exists, or one that is clearly meant as a path (Hub ids are 'owner/name' without dots)."""
        path = Path(value)
        return path.exists() or value.startswith((".", "/", "~")) or path.suffix in {".jsonl", ".json", ".parquet"}


def common_trl_kwargs(spec: RunSpec, out_dir: Path, *, project: str, run_name: str, use_gpu: bool) -> dict[str, Any]:
    """TrainingArguments fields every posttrain run sets the same way (tracking, device, precision, no saving)."""
    return {
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


def _bf16_supported() -> bool:
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()

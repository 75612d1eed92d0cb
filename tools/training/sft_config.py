"""`SFTSpec`: a supervised fine-tuning run, mapped onto TRL's own `SFTConfig` (TRL does the work).

>>> spec = SFTSpec(base_model="runs/x/base-model", dataset="runs/x/sft.jsonl", max_steps=300, learning_rate=3e-3)
>>> spec.to_trl(Path("runs/x/sft"), project="x", run_name="sft-1", use_gpu=False).per_device_train_batch_size
64
"""

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from posttrain.tools.training.base_config import RunSpec, common_trl_kwargs


class SFTSpec(RunSpec):
    """Supervised fine-tuning on prompt/completion rows (raw strings) or conversational `messages` rows."""

    method: Literal["sft"] = Field("sft", description="Discriminator for transcripts and YAML specs.")
    max_steps: int = Field(300, ge=1, description="Optimizer steps to run.")
    learning_rate: float = Field(3e-3, ge=0.0, description="Peak learning rate (3e-3 suits the tiny char model).")
    batch_size: int | None = Field(
        None, ge=1, description="Sequences per optimizer step (all workers); None = 64 on CPU, on CUDA the largest "
        "micro-batch that fits the card (probed once, cached), up to 64k tokens per step."
    )
    max_length: int = Field(64, ge=8, description="Tokens per sequence (prompt + completion); longer rows are cut.")
    lr_scheduler: str | None = Field(
        None, description="transformers scheduler name: cosine, linear, constant, ...; None = cosine, or constant "
        "after warm-up when training until the validation split stops improving (`convergence.py`)."
    )
    warmup_ratio: float = Field(0.05, ge=0.0, lt=1.0, description="Share of steps spent warming up.")
    packing: bool | None = Field(
        None, description="Pack several rows per sequence (TRL's BFD packing, padding-free, per-document masking); "
        "None = on CUDA, off on CPU."
    )

    validation_dataset: str | None = Field(
        None, description="Held-out rows (same layout as the training rows): validation loss and, with "
        "validation_scorer, a validation score during training; the best validated weights are exported."
    )
    validation_scorer: str | None = Field(
        None, description="Benchmark spec whose scorer grades greedy answers to the validation prompts."
    )
    patience: bool = Field(
        True, description="With a validation_dataset: stop once validation has not improved for a while "
        "(max_steps is then a cap); False runs to max_steps and still exports the best validated weights."
    )

    @property
    def converges(self) -> bool:
        """Training until the validation split stops improving (max_steps is a cap)."""
        return self.validation_dataset is not None and self.patience

    @model_validator(mode="after")
    def _packing_needs_room(self):
        if self.packing and self.max_length < 32:
            raise ValueError("packing with max_length < 32 packs nothing; raise max_length or set packing=False")
        if self.batch_size and self.batch_size % self.num_workers:
            raise ValueError(f"batch_size {self.batch_size} does not split over {self.num_workers} workers; make it "
                             "a multiple of num_workers")
        if self.validation_dataset and self.num_workers > 1:
            raise ValueError("validation with early stopping runs in one process (the best weights are kept in its "
                             "memory); set num_workers=1 or drop validation_dataset")
        return self

    def resolve(self, use_gpu: bool, probed_micro_batch: int | None = None):
        """This spec's device choices (`fast_defaults.Resolved`) on this process's device."""
        from posttrain.tools.training.device import DeviceFacts
        from posttrain.tools.training.fast_defaults import resolve_sft
        from posttrain.tools.training.sizing import find_model_size

        facts = DeviceFacts.detect(use_gpu)
        return resolve_sft(self, find_model_size(self.base_model) if facts.cuda else None, facts, probed_micro_batch)

    def to_trl(self, out_dir: Path, *, project: str, run_name: str, use_gpu: bool, resolved=None):
        """Build the TRL `SFTConfig` for this spec with the device choices `resolved` (resolved here when None);
        `trl_overrides` win over everything."""
        from trl import SFTConfig

        resolved = resolved or self.resolve(use_gpu)
        kwargs = common_trl_kwargs(self, out_dir, project=project, run_name=run_name, use_gpu=use_gpu,
                                   resolved=resolved)
        from posttrain.tools.training.convergence import CONVERGENCE_SCHEDULE, WARMUP_STEPS_MAX

        warmup = round(self.warmup_ratio * self.max_steps)
        kwargs.update(
            max_length=self.max_length,
            lr_scheduler_type=self.lr_scheduler or (CONVERGENCE_SCHEDULE if self.converges else "cosine"),
            warmup_steps=min(warmup, WARMUP_STEPS_MAX) if self.converges else warmup,
            packing=resolved.packing,
            dataset_num_proc=None,
        )
        if self.validation_dataset:
            # ValidationStop decides when to validate (a compute share, in steps); the loss comes from TRL's eval
            kwargs.update(eval_strategy="no", per_device_eval_batch_size=resolved.micro_batch)
        if resolved.pad_to_multiple_of:
            kwargs["pad_to_multiple_of"] = resolved.pad_to_multiple_of
        kwargs.update(self.trl_overrides)
        return SFTConfig(**kwargs)

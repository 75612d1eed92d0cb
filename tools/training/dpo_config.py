"""`DPOSpec`: preference optimization on chosen/rejected pairs, mapped onto TRL's own `DPOConfig` (TRL does the work).

With ``nll_alpha > 0`` the loss is Iterative Reasoning Preference Optimization's (arXiv:2404.19733): DPO plus an NLL
term on the chosen answer, TRL's ``loss_type=["sigmoid", "sft"]`` weighted ``[1, nll_alpha]``::

>>> spec = DPOSpec(base_model="runs/x/sft/checkpoint", dataset="runs/x/pairs.parquet")
>>> spec.loss_types(), spec.loss_weights()
(['sigmoid', 'sft'], [1.0, 1.0])
"""

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from posttrain.tools.training.base_config import RunSpec, common_trl_kwargs


class DPOSpec(RunSpec):
    """DPO on ``prompt``/``chosen``/``rejected`` rows (strings, or Hub-style conversations); a reference model (the
    starting checkpoint, frozen) anchors the policy."""

    method: Literal["dpo"] = Field("dpo", description="Discriminator for transcripts and YAML specs.")
    max_steps: int = Field(100, ge=1, description="Optimizer steps to run.")
    learning_rate: float = Field(1e-3, ge=0.0, description="Peak learning rate (1e-3 suits the tiny char model; "
                                 "the paper used 5e-7 on a 70B model).")
    batch_size: int = Field(16, ge=1, description="Preference pairs per optimizer step (all workers).")
    max_length: int = Field(64, ge=8, description="Tokens per sequence (prompt + one answer); longer rows are cut.")
    beta: float = Field(0.1, gt=0.0, description="DPO's temperature: higher keeps the policy nearer the reference.")
    nll_alpha: float = Field(1.0, ge=0.0, description="Weight of the NLL term on the chosen answer (Iterative RPO "
                             "uses 1); 0 = plain DPO.")
    loss_type: str = Field("sigmoid", description="TRL's preference loss: sigmoid (DPO), ipo, hinge, robust, ...")
    lr_scheduler: str = Field("cosine", description="transformers scheduler name.")
    warmup_ratio: float = Field(0.05, ge=0.0, lt=1.0, description="Share of steps spent warming up.")

    @model_validator(mode="after")
    def _batch_splits(self):
        if self.batch_size % self.num_workers:
            raise ValueError(f"batch_size {self.batch_size} does not split over {self.num_workers} workers; make it "
                             "a multiple of num_workers")
        return self

    def loss_types(self) -> list[str]:
        return [self.loss_type, "sft"] if self.nll_alpha else [self.loss_type]

    def loss_weights(self) -> list[float]:
        return [1.0, self.nll_alpha] if self.nll_alpha else [1.0]

    def resolve(self, use_gpu: bool):
        """This spec's device choices (`fast_defaults.Resolved`) on this process's device."""
        from posttrain.tools.training.device import DeviceFacts
        from posttrain.tools.training.fast_defaults import resolve_dpo
        from posttrain.tools.training.sizing import find_model_size

        facts = DeviceFacts.detect(use_gpu)
        return resolve_dpo(self, find_model_size(self.base_model) if facts.cuda else None, facts)

    def to_trl(self, out_dir: Path, *, project: str, run_name: str, use_gpu: bool, resolved=None):
        """Build the TRL `DPOConfig` for this spec; `trl_overrides` win over everything."""
        from trl import DPOConfig

        resolved = resolved or self.resolve(use_gpu)
        kwargs = common_trl_kwargs(self, out_dir, project=project, run_name=run_name, use_gpu=use_gpu,
                                   resolved=resolved)
        kwargs.update(
            max_length=self.max_length, beta=self.beta, loss_type=self.loss_types(),
            loss_weights=self.loss_weights(), lr_scheduler_type=self.lr_scheduler,
            warmup_steps=round(self.warmup_ratio * self.max_steps), dataset_num_proc=None,
        )
        kwargs.update(self.trl_overrides)
        return DPOConfig(**kwargs)

"""`GRPOSpec` and `RewardSpec`: an RL run with verifiable rewards, mapped onto TRL's own `GRPOConfig`.

>>> spec = GRPOSpec(base_model="runs/x/sft/checkpoint", dataset="runs/x/rl.jsonl", benchmark="caesar")
>>> spec.rewards[0].name, spec.completions_per_step
('benchmark', 128)
"""

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from posttrain.tools.training.base_config import RunSpec, common_trl_kwargs


RewardName = Literal["benchmark", "exact_match", "numeric_match", "choice_letter", "format", "length_penalty"]
NEEDS_BENCHMARK = {"benchmark"}


class RewardSpec(BaseModel):
    """One weighted reward term; see `posttrain.tools.training.rewards` for what each name scores and its params."""

    model_config = ConfigDict(extra="forbid")

    name: RewardName = Field(description="Which reward: benchmark, exact_match, numeric_match, choice_letter, ...")
    weight: float = Field(1.0, description="Weight in TRL's weighted sum of rewards.")
    params: dict[str, Any] = Field(default_factory=dict, description="Reward options, e.g. {'pattern': '^[a-z]+$'}.")


class GRPOSpec(RunSpec):
    """GRPO on prompt/answer rows; extra dataset columns are passed to the reward functions."""

    method: Literal["grpo"] = Field("grpo", description="Discriminator for transcripts and YAML specs.")
    rewards: list[RewardSpec] = Field(
        default_factory=lambda: [RewardSpec(name="benchmark", weight=1.0)], description="Weighted reward terms."
    )
    benchmark: str | None = Field(None, description="Benchmark spec whose scorer backs the 'benchmark' reward.")
    max_steps: int = Field(100, ge=1, description="Optimizer steps (one generation round each).")
    learning_rate: float = Field(3e-4, ge=0.0, description="Learning rate (constant schedule).")
    num_generations: int = Field(16, ge=2, description="Completions sampled per prompt (the group size).")
    prompts_per_step: int = Field(8, ge=1, description="Distinct prompts per optimizer step.")
    max_completion_length: int = Field(8, ge=1, description="Most tokens generated per completion.")
    temperature: float = Field(1.0, gt=0.0, description="Sampling temperature for rollouts.")
    beta: float = Field(0.0, ge=0.0, description="KL coefficient; > 0 loads a reference model and logs 'kl'.")
    loss_type: str = Field("dapo", description="TRL loss: dapo, grpo, dr_grpo, bnpo, cispo, ...")
    use_vllm: bool | None = Field(None, description="vLLM colocated generation; None = when installed and on a GPU.")
    paged_generation: bool | None = Field(
        None, description="transformers' continuous batching (paged KV cache) for rollouts; None = on a GPU "
        "without vLLM. False = plain generate."
    )
    steps_per_generation: int | None = Field(
        None, ge=1, description="Optimizer steps each generation round feeds (TRL's importance ratio corrects the "
        "later ones); None = 4 on a GPU, 1 on CPU."
    )

    @model_validator(mode="after")
    def _rewards_are_usable(self):
        if not self.rewards:
            raise ValueError("rewards is empty; add at least one, e.g. [{'name': 'exact_match'}]")
        if any(r.name in NEEDS_BENCHMARK for r in self.rewards) and not self.benchmark:
            raise ValueError("the 'benchmark' reward needs benchmark='<spec>' (e.g. 'caesar'); or use 'exact_match'")
        if self.completions_per_step % self.num_workers:
            raise ValueError(f"prompts_per_step × num_generations = {self.completions_per_step} does not split over "
                             f"{self.num_workers} workers; make it a multiple of num_workers")
        return self

    @property
    def completions_per_step(self) -> int:
        return self.num_generations * self.prompts_per_step

    def resolve(self, use_gpu: bool):
        """This spec's device choices (`fast_defaults.Resolved`) on this process's device."""
        from posttrain.tools.training.device import DeviceFacts
        from posttrain.tools.training.fast_defaults import resolve_grpo
        from posttrain.tools.training.sizing import find_model_size

        facts = DeviceFacts.detect(use_gpu)
        return resolve_grpo(self, find_model_size(self.base_model) if facts.cuda else None, facts)

    def to_trl(self, out_dir: Path, *, project: str, run_name: str, use_gpu: bool, use_vllm: bool | None = None,
               resolved=None):
        """Build the TRL `GRPOConfig`; one optimizer step consumes prompts_per_step × num_generations completions.
        `resolved` (a `fast_defaults.Resolved`, resolved here when None) picks the rollout engine; `use_vllm`, when
        given, overrides it."""
        from trl import GRPOConfig

        resolved = resolved or self.resolve(use_gpu)
        if use_vllm is not None and use_vllm != (resolved.rollout == "vllm"):
            resolved = resolved.model_copy(update={"rollout": "vllm" if use_vllm else "generate"})
        use_vllm = resolved.rollout == "vllm"
        kwargs = common_trl_kwargs(self, out_dir, project=project, run_name=run_name, use_gpu=use_gpu,
                                   resolved=resolved)
        kwargs.update(
            num_generations=self.num_generations,
            max_completion_length=self.max_completion_length,
            temperature=self.temperature,
            beta=self.beta,
            loss_type=self.loss_type,
            lr_scheduler_type="constant",
            reward_weights=[r.weight for r in self.rewards],
            use_vllm=use_vllm,
        )
        if use_vllm:
            share = resolved.vllm_gpu_memory_utilization or 0.3
            kwargs.update(vllm_mode="colocate", vllm_gpu_memory_utilization=share)
        if resolved.rollout == "continuous_batching":
            kwargs["use_transformers_continuous_batching"] = True
        if resolved.device != "cpu" or self.steps_per_generation:
            kwargs["generation_batch_size"] = resolved.generation_batch_size
        kwargs.update(self.trl_overrides)
        return GRPOConfig(**kwargs)

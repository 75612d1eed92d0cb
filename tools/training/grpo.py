"""Run one GRPO spec in this process with TRL's `GRPOTrainer` (the launcher calls this inside a Ray task or, with
several workers, inside each Ray Train worker).

Rollouts use vLLM colocated when it is installed and a GPU is used, transformers' continuous batching on a GPU
without vLLM, plain generate on CPU (`fast_defaults.resolve_grpo` decides; the spec's explicit fields win)::

    outcome = train_grpo(GRPOSpec(base_model=sft_ckpt, dataset="rl.jsonl", benchmark="caesar"), out, ...)
"""

from pathlib import Path

from posttrain.tools.training.data_loading import load_train_dataset
from posttrain.tools.training.export import load_tokenizer
from posttrain.tools.training.grpo_config import GRPOSpec
from posttrain.tools.training.outcome import (
    PreparedRun,
    TrainOutcome,
    adapter_for,
    record_resolved,
    standard_callbacks,
    train_and_save,
)
from posttrain.tools.training.rewards import build_reward_funcs


def prepare_grpo(spec: GRPOSpec, out_dir: Path, *, project: str, run_name: str, use_gpu: bool,
                 reward_funcs=None, extra_callbacks=()) -> PreparedRun:
    """Resolve the device choices, record them in out_dir/spec.json, build the `GRPOTrainer` (`reward_funcs`
    replaces the spec's rewards, for benchmarks)."""
    from trl import GRPOTrainer

    resolved = spec.resolve(use_gpu)
    record_resolved(out_dir, resolved)
    tokenizer = load_tokenizer(spec.base_model, padding_side="left")  # GRPO generates: prompts must be left-padded
    dataset = load_train_dataset(spec.dataset)
    args = spec.to_trl(out_dir, project=project, run_name=run_name, use_gpu=use_gpu, resolved=resolved)
    callbacks, budget = standard_callbacks(spec, out_dir, tokenizer)
    lora = adapter_for(spec, resolved)
    trainer = GRPOTrainer(
        model=spec.base_model,
        reward_funcs=reward_funcs or build_reward_funcs(spec.rewards, spec.benchmark),
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora.to_peft() if lora else None,
        callbacks=[*callbacks, *extra_callbacks],
    )
    return PreparedRun(trainer=trainer, tokenizer=tokenizer, budget=budget, resolved=resolved)


def train_grpo(spec: GRPOSpec, out_dir: Path, *, project: str, run_name: str, use_gpu: bool) -> TrainOutcome:
    """Optimise `spec.base_model` against the weighted rewards on `spec.dataset` prompts."""
    return train_and_save(prepare_grpo(spec, out_dir, project=project, run_name=run_name, use_gpu=use_gpu), out_dir)

"""Run one GRPO spec in this process with TRL's `GRPOTrainer` (the launcher calls this inside a Ray task).

Generation uses vLLM in colocate mode when it is installed and a GPU is used, TRL's transformers path otherwise::

    outcome = train_grpo(GRPOSpec(base_model=sft_ckpt, dataset="rl.jsonl", benchmark="caesar"), out, ...)
"""

import importlib.util
from pathlib import Path

from posttrain.tools.training.data_loading import load_train_dataset
from posttrain.tools.training.export import export_checkpoint, load_tokenizer
from posttrain.tools.training.grpo_config import GRPOSpec
from posttrain.tools.training.outcome import TrainOutcome, standard_callbacks
from posttrain.tools.training.rewards import build_reward_funcs


def resolve_use_vllm(spec: GRPOSpec, use_gpu: bool) -> bool:
    """`use_vllm=None` means: yes when vllm is importable and the run has a GPU."""
    if spec.use_vllm is not None:
        return spec.use_vllm
    return use_gpu and importlib.util.find_spec("vllm") is not None


def train_grpo(spec: GRPOSpec, out_dir: Path, *, project: str, run_name: str, use_gpu: bool) -> TrainOutcome:
    """Optimise `spec.base_model` against the weighted rewards on `spec.dataset` prompts."""
    from trl import GRPOTrainer

    tokenizer = load_tokenizer(spec.base_model, padding_side="left")  # GRPO generates: prompts must be left-padded
    dataset = load_train_dataset(spec.dataset)
    args = spec.to_trl(
        out_dir, project=project, run_name=run_name, use_gpu=use_gpu, use_vllm=resolve_use_vllm(spec, use_gpu)
    )
    callbacks, budget = standard_callbacks(spec, out_dir, tokenizer)
    trainer = GRPOTrainer(
        model=spec.base_model,
        reward_funcs=build_reward_funcs(spec.rewards, spec.benchmark),
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=spec.lora.to_peft() if spec.lora else None,
        callbacks=callbacks,
    )
    trainer.train()
    checkpoint = export_checkpoint(trainer.model, tokenizer, out_dir / "checkpoint")
    return TrainOutcome(checkpoint=str(checkpoint), stopped_by_budget=budget is not None and budget.exhausted)

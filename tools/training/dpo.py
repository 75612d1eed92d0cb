"""Run one DPO spec in this process with TRL's `DPOTrainer` (the launcher calls this inside a Ray task or, with
several workers, inside each Ray Train worker).

    outcome = train_dpo(DPOSpec(base_model=ckpt, dataset="pairs.parquet"), Path("runs/x/dpo"), project="x",
                        run_name="dpo", use_gpu=False)
"""

from pathlib import Path

from posttrain.tools.training.data_loading import load_train_dataset
from posttrain.tools.training.dpo_config import DPOSpec
from posttrain.tools.training.export import load_tokenizer
from posttrain.tools.training.outcome import (
    PreparedRun,
    TrainOutcome,
    adapter_for,
    record_resolved,
    standard_callbacks,
    train_and_save,
)


def prepare_dpo(spec: DPOSpec, out_dir: Path, *, project: str, run_name: str, use_gpu: bool,
                extra_callbacks=()) -> PreparedRun:
    """Resolve the device choices, record them in out_dir/spec.json, build the `DPOTrainer` (its reference model is
    the starting checkpoint, loaded by TRL; with LoRA, the adapter-free base)."""
    from trl import DPOTrainer

    resolved = spec.resolve(use_gpu)
    record_resolved(out_dir, resolved)
    tokenizer = load_tokenizer(spec.base_model)
    dataset = load_train_dataset(spec.dataset)
    args = spec.to_trl(out_dir, project=project, run_name=run_name, use_gpu=use_gpu, resolved=resolved)
    callbacks, budget = standard_callbacks(spec, out_dir, tokenizer)
    lora = adapter_for(spec, resolved)
    trainer = DPOTrainer(
        model=spec.base_model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,  # never let TRL re-load it (qwen2 configs swap in a byte-level tokenizer)
        peft_config=lora.to_peft() if lora else None,
        callbacks=[*callbacks, *extra_callbacks],
    )
    return PreparedRun(trainer=trainer, tokenizer=tokenizer, budget=budget, resolved=resolved)


def train_dpo(spec: DPOSpec, out_dir: Path, *, project: str, run_name: str, use_gpu: bool) -> TrainOutcome:
    """Optimise `spec.base_model` on the preference pairs in `spec.dataset`; metrics stream to metrics.jsonl."""
    return train_and_save(prepare_dpo(spec, out_dir, project=project, run_name=run_name, use_gpu=use_gpu), out_dir)

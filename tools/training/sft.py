"""Run one SFT spec in this process with TRL's `SFTTrainer` (the launcher calls this inside a Ray task).

    outcome = train_sft(SFTSpec(base_model=path, dataset="sft.jsonl"), Path("runs/x/sft"), project="x", run_name="sft")
    outcome.checkpoint    # runs/x/sft/checkpoint, loads with from_pretrained
"""

from pathlib import Path

from posttrain.tools.training.data_loading import load_train_dataset
from posttrain.tools.training.export import export_checkpoint, load_tokenizer
from posttrain.tools.training.outcome import TrainOutcome, standard_callbacks
from posttrain.tools.training.sft_config import SFTSpec


def train_sft(spec: SFTSpec, out_dir: Path, *, project: str, run_name: str, use_gpu: bool) -> TrainOutcome:
    """Fine-tune `spec.base_model` on `spec.dataset`; metrics stream to out_dir/metrics.jsonl and Trackio."""
    from trl import SFTTrainer

    tokenizer = load_tokenizer(spec.base_model)
    dataset = load_train_dataset(spec.dataset)
    args = spec.to_trl(out_dir, project=project, run_name=run_name, use_gpu=use_gpu)
    if "messages" in dataset.column_names and "{% generation %}" in (tokenizer.chat_template or ""):
        args.assistant_only_loss = True  # learn the answers, not the user turns
    callbacks, budget = standard_callbacks(spec, out_dir, tokenizer)
    trainer = SFTTrainer(
        model=spec.base_model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,  # never let TRL re-load it (qwen2 configs swap in a byte-level tokenizer)
        peft_config=spec.lora.to_peft() if spec.lora else None,
        callbacks=callbacks,
    )
    trainer.train()
    checkpoint = export_checkpoint(trainer.model, tokenizer, out_dir / "checkpoint")
    return TrainOutcome(checkpoint=str(checkpoint), stopped_by_budget=budget is not None and budget.exhausted)

"""Run one SFT spec in this process with TRL's `SFTTrainer` (the launcher calls this inside a Ray task or, with
several workers, inside each Ray Train worker).

    outcome = train_sft(SFTSpec(base_model=path, dataset="sft.jsonl"), Path("runs/x/sft"), project="x", run_name="sft")
    outcome.checkpoint    # runs/x/sft/checkpoint, loads with from_pretrained

`prepare_sft` is the same set-up without training, for benchmarks that time the product's own path.
"""

from pathlib import Path

from posttrain.tools.errors import ConfigError
from posttrain.tools.training.data_loading import load_train_dataset
from posttrain.tools.training.export import load_tokenizer
from posttrain.tools.training.outcome import (
    PreparedRun,
    TrainOutcome,
    adapter_for,
    record_resolved,
    standard_callbacks,
    train_and_save,
)
from posttrain.tools.training.sft_config import SFTSpec


def resolve_sft_run(spec: SFTSpec, use_gpu: bool):
    """The spec's device choices; on CUDA the micro-batch is measured (once per model, card and length: cached)."""
    resolved = spec.resolve(use_gpu)
    if resolved.probe_start is None or resolved.fsdp:  # CPU, or a sharded model one card cannot probe
        return resolved
    from posttrain.tools.training.batch_probe import probed_micro_batch

    micro, cached = probed_micro_batch(spec.base_model, resolved, max_length=spec.max_length,
                                       upper=resolved.probe_start, lora_spec=spec.lora)
    if micro == 0:
        raise ConfigError(f"not one row of max_length={spec.max_length} trains on {resolved.device}; fix: lower "
                          "max_length, set lora, or gradient_checkpointing=true")
    measured = spec.resolve(use_gpu, probed_micro_batch=micro)
    measured.reasons["batch_probe"] = f"{micro} rows of {spec.max_length} fit " + (
        "(cached answer)" if cached else f"(measured now, starting at {resolved.probe_start})")
    return measured


def prepare_sft(spec: SFTSpec, out_dir: Path, *, project: str, run_name: str, use_gpu: bool,
                extra_callbacks=()) -> PreparedRun:
    """Resolve the device choices, record them in out_dir/spec.json, build the `SFTTrainer`."""
    from trl import SFTTrainer

    resolved = resolve_sft_run(spec, use_gpu)
    record_resolved(out_dir, resolved)
    tokenizer = load_tokenizer(spec.base_model)
    dataset = load_train_dataset(spec.dataset)
    args = spec.to_trl(out_dir, project=project, run_name=run_name, use_gpu=use_gpu, resolved=resolved)
    if "messages" in dataset.column_names and "{% generation %}" in (tokenizer.chat_template or ""):
        args.assistant_only_loss = True  # learn the answers, not the user turns
    callbacks, budget = standard_callbacks(spec, out_dir, tokenizer)
    validation = None
    if spec.validation_dataset:
        from posttrain.tools.training.callbacks import MetricsStream
        from posttrain.tools.training.convergence import ValidationStop, validation_items

        stream = next(c for c in callbacks if isinstance(c, MetricsStream))
        validation = load_train_dataset(spec.validation_dataset)
        items = validation_items(spec.validation_dataset, tokenizer)
        callbacks.append(ValidationStop(stream, tokenizer, items, scorer=spec.validation_scorer,
                                        batch_size=resolved.micro_batch * resolved.grad_accum,
                                        n_rows=len(validation), patience=spec.patience))
    lora = adapter_for(spec, resolved)
    trainer = SFTTrainer(
        model=spec.base_model,
        args=args,
        train_dataset=dataset,
        eval_dataset=validation,
        processing_class=tokenizer,  # never let TRL re-load it (qwen2 configs swap in a byte-level tokenizer)
        peft_config=lora.to_peft() if lora else None,
        callbacks=[*callbacks, *extra_callbacks],
    )
    return PreparedRun(trainer=trainer, tokenizer=tokenizer, budget=budget, resolved=resolved)


def train_sft(spec: SFTSpec, out_dir: Path, *, project: str, run_name: str, use_gpu: bool) -> TrainOutcome:
    """Fine-tune `spec.base_model` on `spec.dataset`; metrics stream to out_dir/metrics.jsonl and Trackio."""
    return train_and_save(prepare_sft(spec, out_dir, project=project, run_name=run_name, use_gpu=use_gpu), out_dir)

"""The DataEngineer's offline rules: argue from the data actually built (rows, label check, contamination, epochs);
find sources by evidence and compose the build spec an LLM brain would write."""

import math

from posttrain.run.context import RunContext
from posttrain.run.facts import RELIABLE_LABELS, Facts, Proposal
from posttrain.tools.methods import DataFormat, get_method


# Past this many passes over the same rows a generator's fresh rows beat repetition (overfitting risk grows).
MANY_EPOCHS = 8.0


def data_format(ctx: RunContext) -> DataFormat:
    """The format the plan's method needs built (tools/methods.py): sft rows imitate completions; rft, grpo and dpo
    start from prompts with gold answers. Before a plan: the first method's, SFT."""
    plan = ctx.iteration.plan
    return get_method(plan.method if plan else "sft").data_format


def has_train_split(ctx: RunContext) -> bool:
    """The benchmark publishes a training split apart from its eval split (gsm8k does, MATH-500 does not)."""
    train_source = getattr(ctx.benchmark, "train_source", None)  # a method: Hub benchmarks only
    return train_source is not None and train_source(data_format(ctx)) is not None


def proposal(ctx: RunContext) -> Proposal:
    facts = Facts.from_run(ctx)
    last = facts.last
    if last is None or last.dataset is None:
        order = [f"your data ({', '.join(ctx.config.train_data)})" if ctx.config.train_data else None,
                 "the benchmark's train split" if has_train_split(ctx) else None,
                 "Hub datasets that fit", f"teacher {ctx.config.teacher}" if ctx.config.teacher else None,
                 "the benchmark's generator" if facts.has_generator else None]
        return Proposal("DataEngineer", "No training data built yet. Sources in order of preference: "
                        + ", ".join(o for o in order if o) + ".",
                        "build from the first source that fits, with the label check and decontamination gate",
                        rank=1)
    d, plan = last.dataset, last.plan
    epochs = facts.epochs_seen()
    evidence = f"{d.describe()}; about {epochs:.1f} epochs seen."
    accuracy = d.label_accuracy
    fresh = facts.has_generator or bool(ctx.config.teacher)
    if accuracy is not None and accuracy < RELIABLE_LABELS and fresh and plan:
        n = math.ceil(plan.n_train / max(accuracy, 0.05))
        return Proposal("DataEngineer", evidence, f"ask for {n} rows so ~{plan.n_train} pass the label check",
                        rank=2, changes={"n_train": n},
                        why=f"labels fail verification: only {accuracy:.0%} pass the benchmark's scorer")
    if epochs > MANY_EPOCHS and facts.has_generator and plan:
        return Proposal("DataEngineer", evidence, "double the data before training longer", rank=1,
                        changes={"n_train": 2 * d.n_rows})
    return Proposal("DataEngineer", evidence, "keep the data recipe", rank=1)


def request(ctx: RunContext) -> str | None:
    it = ctx.iteration
    if it.index == 0 or it.plan is None or it.dataset is not None or it.blocked:
        return None
    return (f"find and build {data_format(ctx)} data for {ctx.benchmark.name} (at most {it.plan.n_train} rows), "
            "label-checked and decontaminated.")


def work(ctx: RunContext) -> list[tuple[str, dict]]:
    from posttrain.tools.data.discover import compose_build_spec

    it = ctx.iteration
    if request(ctx) is None:
        return []
    if it.data_candidates is None:
        return [("find_training_data", {"fmt": data_format(ctx)})]
    # rows in the prompt format the model is served in: the one the baseline's decoding check chose
    chat = ctx.ledger.chat_format if ctx.ledger.chat_format is not None else ctx.benchmark.chat
    spec = compose_build_spec(it.data_candidates, fmt=data_format(ctx), n_rows=it.plan.n_train,
                              benchmark_spec=ctx.benchmark.spec, seed=ctx.config.seed + 1000 * it.index,
                              tokenizer=ctx.base_model_path if chat else None, chat_template=chat)
    return [("build_dataset", {"spec": spec.model_dump(mode="json", exclude_none=True)})]

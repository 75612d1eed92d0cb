"""The training methods, one registry entry each: what every layer needs to know about a method, in one place.

A method names its spec (TRL-style: each trainer paired with its config), its runner (the TRL trainer), the data
format the DataEngineer builds for it and the format its trainer reads, the on-policy builder that turns the first
into the second (RFT: verified samples; DPO: verified-vs-rejected pairs), its diagnosis (which findings mean its
policy collapsed), its catalogue techniques with the conditions that pick them, and what an ablation arm may vary::

    method = get_method("rft")
    method.trainer, method.data_format, method.train_format     # ('sft', 'grpo', 'sft')
    method.spec_class(), method.runner()                         # SFTSpec, train_sft (imported on first use)

Code elsewhere asks the registry (`get_method(name).<part>`), never compares method names. Data formats have their
own small table (`FORMATS`): which columns a file of that format holds and what its rows are. Nothing heavy is
imported here (specs and runners load lazily), so every layer may import it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Literal, get_args

from posttrain.tools.errors import ConfigError


MethodName = Literal["sft", "rft", "grpo", "dpo"]
# TRL trainer families; a spec's `method` discriminator is one of these (RFT runs as SFT on sampled answers)
TrainerName = Literal["sft", "grpo", "dpo"]
DataFormat = Literal["sft", "grpo", "dpo"]


@dataclass(frozen=True)
class Format:
    """A training data format: the columns its rows hold and what the data tools do with it."""

    name: DataFormat
    rows: str  # what a row is, in words ("completions", "prompts with answers", "preference pairs")
    layouts: tuple[frozenset[str], ...]  # a file fits when one of these column sets is among its columns
    need: str  # the layouts in words, for the error that names what a file lacks
    roles: tuple[str, ...]  # the columns a source's mapping fills (formats.propose_fits), prompt first
    completion: bool  # rows carry a completion to imitate: label-checked against the gold answer, raw prompts noted
    gold_answer: bool  # rows carry only a short gold answer a reward or scorer checks (it must look verifiable)
    benchmark_source: bool  # a benchmark's generator or train split can make these rows
    teacher_output: Literal["rows", "pairs"] | None  # what a teacher source contributes, None: teachers don't fit

    def fits(self, columns: set[str]) -> bool:
        return any(layout <= columns for layout in self.layouts)


FORMATS: dict[DataFormat, Format] = {
    "sft": Format(name="sft", rows="completions",
                  layouts=(frozenset({"prompt", "completion"}), frozenset({"messages"}), frozenset({"text"})),
                  need="prompt+completion, messages or text",
                  roles=("prompt", "completion"), completion=True, gold_answer=False, benchmark_source=True, teacher_output="rows"),
    "grpo": Format(name="grpo", rows="prompts with answers", layouts=(frozenset({"prompt", "answer"}),), need="prompt and answer",
                   roles=("prompt", "answer"), completion=False, gold_answer=True, benchmark_source=True, teacher_output=None),
    # Hub preference sets hold chosen/rejected conversations (the prompt is their shared first turns)
    "dpo": Format(name="dpo", rows="preference pairs",
                  layouts=(frozenset({"prompt", "chosen", "rejected"}), frozenset({"chosen", "rejected"})),
                  need="prompt+chosen+rejected, or chosen and rejected conversations",
                  roles=("prompt", "chosen", "rejected"), completion=False, gold_answer=False, benchmark_source=False,
                  teacher_output="pairs"),
}


def get_format(name: str) -> Format:
    if name not in FORMATS:
        raise ConfigError(f"unknown data format {name!r}; fix: use one of {', '.join(FORMATS)}")
    return FORMATS[name]


def _load(dotted: str) -> Any:
    module, _, attr = dotted.partition(":")
    return getattr(import_module(module), attr)


# The measured conditions catalogue techniques are keyed by. One rule computes each (posttrain.run.facts.
# condition_values, over what a real team can know), and a test checks the two name the same set.
Condition = Literal["no_trained_model", "few_rows", "pretrained", "large_model", "out_of_memory", "labels_noisy",
                    "sft_plateau", "rft_plateau", "grpo_plateau", "dpo_plateau", "mixed_outcomes", "solves_some",
                    "rft_coverage", "verifiable", "reasoning_task"]


@dataclass(frozen=True)
class Method:
    """One training method, as every layer needs it."""

    name: MethodName
    title: str  # for plans and tool docs
    summary: str  # one line: what it does
    trainer: TrainerName  # the TRL trainer that runs it
    spec: str  # "module:Class" of its spec (a pydantic RunSpec with to_trl)
    run: str  # "module:function": run(spec, out_dir, *, project, run_name, use_gpu) -> TrainOutcome
    data_format: DataFormat  # what the DataEngineer builds for it
    train_format: DataFormat  # what its trainer reads (differs when an on-policy builder sits between)
    on_policy: str | None  # "module:function" building train_format data by sampling the current model
    validates: bool  # trains until the build's validation split stops improving (the steps are a cap)
    costed: bool  # token-level supervised loss: steps are fitted to the measured step cost and answer tokens
    collapse_kinds: frozenset[str]  # findings that mean this method's policy collapsed: the Trainer raises beta
    plateau_by: Literal["curve", "gain"]  # "<name>_plateau" holds when the curve went flat / no significant gain
    techniques: dict[str, tuple["Condition", ...]]  # catalogue technique -> conditions that must all hold to pick it
    arm_fields: frozenset[str]  # plan fields only this method reads (an arm varying them needs this method)
    detail: Callable[[Any], str]  # the plan's method-specific words, e.g. " (4 samples each)"

    @property
    def plateau(self) -> str:
        """The condition name that holds when this method stopped paying off."""
        return f"{self.name}_plateau"

    @property
    def unit(self) -> str:
        """What Plan.n_train counts for this method."""
        return "rows" if self.data_format == "sft" else "prompts"

    def spec_class(self) -> type:
        return _load(self.spec)

    def runner(self) -> Callable:
        return _load(self.run)

    def builder(self) -> Callable | None:
        return _load(self.on_policy) if self.on_policy else None


_SAMPLES = "samples_per_prompt"


def _samples(plan) -> str:
    return f" ({plan.samples_per_prompt} samples each)"


METHODS: dict[MethodName, Method] = {
    "sft": Method(
        name="sft", title="SFT", summary="imitate the data's completions", trainer="sft",
        spec="posttrain.tools.training.sft_config:SFTSpec", run="posttrain.tools.training.sft:train_sft",
        data_format="sft", train_format="sft", on_policy=None, validates=True, costed=True,
        collapse_kinds=frozenset(), plateau_by="curve",
        techniques={"SFT / instruction tuning": ("no_trained_model",),
                    "Small curated SFT (LIMA)": ("no_trained_model", "few_rows", "pretrained")},
        arm_fields=frozenset(), detail=lambda plan: ""),
    "rft": Method(
        name="rft", title="RFT", summary="sample k answers per prompt from the model, keep verified ones, SFT on them",
        trainer="sft", spec="posttrain.tools.training.sft_config:SFTSpec", run="posttrain.tools.training.sft:train_sft",
        data_format="grpo", train_format="sft", on_policy="posttrain.tools.data.rft:build_rft_dataset",
        validates=False, costed=True, collapse_kinds=frozenset(), plateau_by="curve",
        techniques={"STaR": ("sft_plateau", "rft_coverage", "verifiable", "reasoning_task"),
                    "Rejection-sampling fine-tuning (RFT)": ("sft_plateau", "rft_coverage", "verifiable")},
        arm_fields=frozenset({_SAMPLES}), detail=_samples),
    "grpo": Method(
        name="grpo", title="GRPO", summary="RL against the benchmark's scorer", trainer="grpo",
        spec="posttrain.tools.training.grpo_config:GRPOSpec", run="posttrain.tools.training.grpo:train_grpo",
        data_format="grpo", train_format="grpo", on_policy=None, validates=False, costed=False,
        collapse_kinds=frozenset({"entropy_collapse", "reward_collapse", "kl_blowup"}), plateau_by="gain",
        techniques={"GRPO (DeepSeekMath)": ("rft_plateau", "solves_some", "verifiable"),
                    "DAPO": ("grpo_plateau", "solves_some", "verifiable"),
                    "Dr. GRPO": ("grpo_plateau", "solves_some", "verifiable", "reasoning_task")},
        arm_fields=frozenset({"beta"}), detail=lambda plan: f", KL beta {plan.beta:g}" if plan.beta else ""),
    "dpo": Method(
        name="dpo", title="DPO",
        summary="sample k answers per prompt, pair a verified one with a rejected one, DPO with an NLL term on the "
                "chosen (iterative RPO); or DPO on given prompt/chosen/rejected pairs",
        trainer="dpo", spec="posttrain.tools.training.dpo_config:DPOSpec", run="posttrain.tools.training.dpo:train_dpo",
        data_format="grpo", train_format="dpo", on_policy="posttrain.tools.data.pairs:build_preference_pairs",
        validates=False, costed=False, collapse_kinds=frozenset(), plateau_by="gain",
        techniques={"Iterative RPO": ("rft_plateau", "mixed_outcomes", "solves_some", "verifiable")},
        arm_fields=frozenset({_SAMPLES, "beta"}), detail=lambda plan: f"{_samples(plan)}, DPO beta {plan.beta:g}"),
}
METHOD_NAMES: tuple[MethodName, ...] = get_args(MethodName)


def get_method(name: str) -> Method:
    """The registry entry for `name`; ConfigError naming the known methods otherwise."""
    if name not in METHODS:
        raise ConfigError(f"unknown training method {name!r}; fix: use one of {', '.join(METHODS)}")
    return METHODS[name]


def methods_for_format(fmt: str) -> list[Method]:
    """Methods whose DataEngineer data is `fmt` (those an ablation arm can swap on one built dataset)."""
    return [m for m in METHODS.values() if m.data_format == fmt]


def techniques() -> dict[str, tuple[MethodName, tuple[str, ...]]]:
    """Every method's catalogue techniques: name -> (method, conditions)."""
    return {name: (m.name, conds) for m in METHODS.values() for name, conds in m.techniques.items()}

"""The run's objective: what the user's goal sentence asks for, read into typed fields with a note on each source.

`posttrain.orchestrator.goal.read_goal` fills it from the text and the flags; the CLI prints `describe()` first, so
the user sees how the sentence was read before any work starts. `GoalReading` is the schema an LLM brain fills
when it reads the goal instead of the rules::

    >>> Objective(goal="Improve on GSM8K", benchmark="gsm8k", benchmark_from="goal", benchmark_items=1319,
    ...           base_model="tiny", base_model_from="default").describe().splitlines()[0]
    'benchmark   gsm8k (1319 items; from the goal)'
"""

from typing import Literal

from pydantic import BaseModel, Field

from posttrain.run.usage import TokenCount
from posttrain.tools.durations import budget


Source = Literal["flag", "goal", "llm"]


class Objective(BaseModel):
    """The goal sentence read into what the run measures, trains and stops on."""

    goal: str = Field(description="The user's goal sentence, verbatim.")
    benchmark: str = Field(description="Canonical benchmark spec that `get_benchmark` accepts, e.g. 'gsm8k'.")
    benchmark_from: Source = Field(description="Where the benchmark came from: a flag, the goal's words, or the LLM.")
    benchmark_items: int | None = Field(
        None, description="Eval items when known without downloading (Hub size table, synthetic n_eval, file rows)."
    )
    base_model: str = Field("tiny", description="'tiny' (built locally), a Hub id owner/name, or a local path.")
    base_model_from: Literal["flag", "goal", "default", "llm"] = Field(
        "default", description="Where the base model came from; 'default' means nothing named one."
    )
    target: float | None = Field(None, ge=0.0, le=1.0, description="Score (0-1) at which the run stops.")
    start_score: float | None = Field(
        None, ge=0.0, le=1.0, description="The score the user says the model starts from ('from 8%'); informational."
    )
    time_budget_s: float | None = Field(None, gt=0.0, description="Wall-clock budget for the whole run, in seconds.")
    compute_note: str | None = Field(None, description="The compute phrase kept verbatim, e.g. '10 H100-hours'.")
    train_data: list[str] = Field(default_factory=list, description="Training data sources: Hub ids or local files.")
    teacher: str | None = Field(None, description="A teacher model to distil from, when one is named.")
    brain_usage: TokenCount | None = Field(None, description="Tokens the brain used reading the goal.")
    reading: list[str] = Field(
        default_factory=list, description="One short line per field saying where its value came from."
    )

    def describe(self) -> str:
        """A few human lines, printed before the run starts: benchmark, model, target, budget, data."""
        items = f"{self.benchmark_items} items; " if self.benchmark_items is not None else ""
        source = {"flag": "from --benchmark", "goal": "from the goal", "llm": "read by the model"}
        lines = [f"benchmark   {self.benchmark} ({items}{source[self.benchmark_from]})"]
        model_source = {"flag": "from --base-model", "goal": "from the goal", "llm": "read by the model",
                        "default": "default"}
        lines.append(f"base model  {self.base_model} ({model_source[self.base_model_from]})")
        if self.target is not None:
            start = f" from {self.start_score:.0%}" if self.start_score is not None else ""
            lines.append(f"target      {self.target:.0%}{start}")
        if self.time_budget_s is not None:
            note = f" ({self.compute_note})" if self.compute_note else ""
            lines.append(f"budget      {budget(self.time_budget_s)}{note}")
        if self.train_data:
            lines.append(f"train data  {', '.join(self.train_data)}")
        if self.teacher:
            lines.append(f"teacher     {self.teacher}")
        return "\n".join(lines)


class GoalReading(BaseModel):
    """The fields an LLM brain is asked to read from the goal (structured output); null where the goal is silent.

    `read_goal_with_model` checks them and turns them into an Objective.
    """

    benchmark: str | None = Field(None, description="Benchmark spec posttrain knows, or a local .jsonl path.")
    base_model: str | None = Field(None, description="Hub id owner/name or local path of the model to improve.")
    target: float | None = Field(None, description="Target score as a fraction 0-1 (30% -> 0.3).")
    start_score: float | None = Field(None, description="Score the model starts from, as a fraction 0-1.")
    time_budget_s: float | None = Field(None, description="Time budget in seconds; GPU-hours as hours on one GPU.")
    compute_note: str | None = Field(None, description="The compute phrase verbatim, e.g. '10 H100-hours'.")
    train_data: list[str] = Field(default_factory=list, description="Training data named: Hub ids or local files.")
    teacher: str | None = Field(None, description="Teacher model to distil from, when one is named.")


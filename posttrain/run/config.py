"""The run's typed configuration: one class feeds the CLI flags, `state.json` and the transcript header.

>>> RunConfig(goal="Teach the base model 3-digit addition", time_budget="30m").time_budget_s
1800.0
"""

import re
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from posttrain.run.objective import Objective
from posttrain.tools.errors import ConfigError
from posttrain.tools.redact import seal


_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Parse "90s", "30m", "1.5h", "2h30m" or plain seconds into seconds; ConfigError names the fix."""
    total, rest = 0.0, text.strip().lower()
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", rest)
    if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([a-z]*)", "", rest).strip():
        raise ConfigError(f"malformed --time-budget {text!r}; use a duration such as 90s, 30m, 1.5h or 2h30m")
    for number, unit in parts:
        if unit and unit not in _UNIT_SECONDS:
            raise ConfigError(f"malformed --time-budget {text!r}: unknown unit {unit!r}; use s, m or h (e.g. 30m)")
        total += float(number) * _UNIT_SECONDS[unit or "s"]
    if total <= 0:
        raise ConfigError(f"--time-budget {text!r} must be positive; e.g. 30m")
    return total


class RunConfig(BaseModel):
    """Everything that defines a run. Serialised into state.json so `posttrain resume` rebuilds it exactly."""

    goal: str = Field(description="What the user wants, in words.")
    base_model: str = Field("tiny", description="'tiny' (built locally), a Hub id, or a local path.")
    benchmark: str = Field(description="Benchmark spec, e.g. 'arithmetic:digits=3' or items.jsonl (read from the goal "
                                       "when --benchmark is not given).")
    target: float | None = Field(None, description="Stop once the benchmark score reaches this (0–1).")
    brain: str = Field("offline", description="offline | openai:MODEL | hf:MODEL | vllm:MODEL@URL | ollama:MODEL")
    max_iterations: int = Field(3, ge=0, description="Work iterations; iteration 0 only measures the baseline.")
    time_budget: str | None = Field(None, description="Wall-clock budget for the whole run, e.g. '30m'.")
    run_dir: str = Field(description="Directory holding transcript, summary, state and artifacts.")
    train_data: list[str] = Field(default_factory=list, description="The user's training data: paths or Hub ids "
                                  "(owner/name[:config][@split]).")
    teacher: str | None = Field(None, description="A local teacher model (path or Hub id) for rejection sampling.")
    objective: Objective | None = Field(None, description="How the goal was read (benchmark, model, target, budget).")
    agents: list[str] = Field(default_factory=list, description="Plug-in specialist specs (--agent).")
    teacher_noise: float = Field(0.0, ge=0.0, le=1.0, description="Share of wrong labels from the synthetic teacher.")
    debate_rounds: int = Field(1, ge=1, le=3, description="Debate rounds; the second and third are rebuttals.")
    seed: int = Field(0, description="Seed for data generation and training.")
    playbook_scale: float = Field(1.0, gt=0.0, le=10.0,
                                  description="Scale the offline playbook's steps and data sizes (0.25 = smoke run).")
    ablation: bool = Field(True, description="Run a measurable dissent as a second arm beside the decision when the "
                                             "cluster has room (docs/playbook.md); False = never.")
    max_arms: int = Field(2, ge=1, le=16, description="Most arms trained side by side in one iteration, the "
                                                      "decision's own included.")
    brain_budget: str | None = Field(None, description="The brain's budget for the run: tokens ('2M', '500k') or "
                                                       "money ('$5'); at it the run stops with status `budget`.")
    brain_price: str | None = Field(None, description="US$ per million prompt/completion tokens, 'IN/OUT' (e.g. "
                                                      "'0.5/1.5'), for a brain outside the price table.")
    brain_context: int | None = Field(None, gt=256, description="The brain model's context length in tokens, when "
                                                                "the endpoint does not say it.")

    @field_validator("goal")
    @classmethod
    def _goal_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the goal is empty; say what to achieve, e.g. 'Teach the base model 3-digit addition'")
        return value.strip()

    @field_validator("brain")
    @classmethod
    def _brain_sealed(cls, value: str) -> str:
        return seal(value)  # credentials in a brain URL never reach state, summary or events

    @field_validator("brain_budget")
    @classmethod
    def _brain_budget_parses(cls, value: str | None) -> str | None:
        if value is not None:
            from posttrain.run.usage import parse_budget

            parse_budget(value)
        return value

    @field_validator("brain_price")
    @classmethod
    def _brain_price_parses(cls, value: str | None) -> str | None:
        if value is not None:
            from posttrain.run.usage import parse_price

            parse_price(value)
        return value

    @field_validator("time_budget")
    @classmethod
    def _budget_parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @property
    def time_budget_s(self) -> float | None:
        return parse_duration(self.time_budget) if self.time_budget else None

    @property
    def path(self) -> Path:
        return Path(self.run_dir)


def slugify(text: str, limit: int = 40) -> str:
    """Lower-case dash-separated slug for run directory names."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "run"

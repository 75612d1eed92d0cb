"""The audit's result types: one `Check` per judges' rule, and the report that collects them."""

from typing import Any, Literal

from pydantic import BaseModel, Field


Status = Literal["pass", "fail", "warn", "skip"]


class Check(BaseModel):
    """One rule checked: its status, a one-line summary, and for a failure what to fix."""

    name: str = Field(description="contamination | model_identity | hosted_api | benchmark_lookup | packaging")
    status: Status
    summary: str
    fix: str = Field("", description="What to do about a failure or warning.")
    details: dict[str, Any] = Field(default_factory=dict)

    def line(self) -> str:
        mark = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "skip": "SKIP"}[self.status]
        text = f"{mark:<5} {self.name:<17} {self.summary}"
        return text + (f"\n      fix: {self.fix}" if self.fix and self.status in ("fail", "warn") else "")


class AuditReport(BaseModel):
    """Everything `posttrain audit RUN` found; written to RUN/audit.json."""

    run_dir: str
    final_model: str | None
    verdict: Literal["pass", "fail"]
    checks: list[Check]
    at: float

    def failed(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name and c.status == "fail"), None)

    def render(self) -> str:
        head = f"audit of {self.run_dir}: {self.verdict.upper()}"
        if self.final_model:
            head += f" (final model {self.final_model})"
        return "\n".join([head, *[check.line() for check in self.checks]])

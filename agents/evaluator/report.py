"""What the Evaluator's tools return to its brain. Its own module so that `tools.py` (which calls
`ablation.evaluate_arms`) and `ablation.py` (which builds the report of the arms) both import it without importing
each other."""

from pydantic import BaseModel, Field


class DecodingReport(BaseModel):
    summary: str = Field(description="One line: the setting chosen and every candidate's score and p-value.")
    chosen: str
    written: list[str] = Field(description="Files written beside the checkpoint.")


class EvaluationReport(BaseModel):
    summary: str = Field(description="One line for the team: score, CI, paired test against the best so far.")
    score: float
    n: int
    ci95: tuple[float, float]
    report_path: str
    comparison: dict | None = Field(None, description="Paired test against the previous best (None for the baseline).")
    ablation: list[dict] | None = Field(None, description="The ablation table when arms ran side by side: each arm's "
                                        "change, score, CI and paired test against the control.")
    outcomes: dict | None = Field(None, description="How items failed: correct, empty, cut, format_miss, wrong; and "
                                  "which rule read the answers.")
    decoding: DecodingReport | None = Field(None, description="The baseline's decoding check (iteration 0).")

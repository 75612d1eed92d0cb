"""What `launch_training` returns to the Trainer's brain. Its own module so that `tools.py` (which calls
`arms.train_arms`) and `arms.py` (which builds the report of the arms) both import it without importing each other."""

from pydantic import BaseModel, Field


class TrainingReport(BaseModel):
    summary: str = Field(description="One line for the team: curve, time, checkpoint, diagnosis.")
    status: str
    checkpoint: str | None
    steps: int = Field(description="Optimizer steps the run was given.")
    metrics_summary: dict
    findings: list[dict]
    arms: list[dict] = Field(default_factory=list, description="Ablation arms trained side by side: name, status, "
                             "checkpoint, Trackio run, start and end time.")

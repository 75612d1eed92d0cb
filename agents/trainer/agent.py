"""The Trainer: its config and factory. The factory is what `--agent` plug-ins provide too."""

from pydantic import BaseModel, Field

from posttrain.agents.specialist import Specialist, builtin_specialist


class TrainerConfig(BaseModel):
    name: str = Field("Trainer", description="Agent name in the team and the transcript.")
    description: str = Field(
        "Runs SFT and GRPO with TRL on Ray, tracked in Trackio, and diagnoses failed or stalled runs.",
        description="What the Manager reads when delegating.",
    )
    debate_stance: str = Field(
        "argues from the training curves and the diagnosis: loss and reward trends, collapse, divergence",
        description="What this specialist argues from in debates.",
    )


def build_trainer(model_client, config: TrainerConfig | None = None) -> Specialist:
    """Build the Trainer specialist around a brain's model client."""
    from posttrain.agents.trainer.tools import make_trainer_tools

    return builtin_specialist(config or TrainerConfig(), "trainer", model_client, make_trainer_tools)

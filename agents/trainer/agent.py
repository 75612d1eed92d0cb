"""The Trainer: its config and factory. The factory is what `--agent` plug-ins provide too."""

from pydantic import BaseModel, Field

from posttrain.agents.prompts import load_prompt
from posttrain.agents.specialist import Specialist


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

    config = config or TrainerConfig()
    return Specialist(
        name=config.name,
        description=config.description,
        system_message=load_prompt("trainer"),
        debate_stance=config.debate_stance,
        model_client=model_client,
        bind_tools=make_trainer_tools,
        builtin=True,
    )

"""The DataEngineer: its config and factory. The factory is what `--agent` plug-ins provide too."""

from pydantic import BaseModel, Field

from posttrain.agents.prompts import load_prompt
from posttrain.agents.specialist import Specialist


class DataEngineerConfig(BaseModel):
    name: str = Field("DataEngineer", description="Agent name in the team and the transcript.")
    description: str = Field(
        "Builds, verifies and decontaminates training data (synthetic generators, Hub datasets) and reports its quality.",
        description="What the Manager reads when delegating.",
    )
    debate_stance: str = Field(
        "argues from the data: size, label accuracy, contamination and epochs seen",
        description="What this specialist argues from in debates.",
    )


def build_data_engineer(model_client, config: DataEngineerConfig | None = None) -> Specialist:
    """Build the DataEngineer specialist around a brain's model client."""
    from posttrain.agents.data_engineer.tools import make_data_engineer_tools

    config = config or DataEngineerConfig()
    return Specialist(
        name=config.name,
        description=config.description,
        system_message=load_prompt("data_engineer"),
        debate_stance=config.debate_stance,
        model_client=model_client,
        bind_tools=make_data_engineer_tools,
        builtin=True,
    )

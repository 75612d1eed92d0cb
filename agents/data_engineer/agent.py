"""The DataEngineer: its config and factory. The factory is what `--agent` plug-ins provide too."""

from pydantic import BaseModel, Field

from posttrain.agents.specialist import Specialist, builtin_specialist


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

    return builtin_specialist(config or DataEngineerConfig(), "data_engineer", model_client, make_data_engineer_tools)

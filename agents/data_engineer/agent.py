"""The DataEngineer: its config and factory. The factory is what `--agent` plug-ins provide too."""

from posttrain.agents.specialist import Specialist, SpecialistConfig, builtin_specialist


class DataEngineerConfig(SpecialistConfig):
    name: str = "DataEngineer"
    description: str = "Builds, verifies and decontaminates training data (synthetic generators, Hub datasets) and reports its quality."
    debate_stance: str = "argues from the data: size, label accuracy, contamination and epochs seen"


def build_data_engineer(model_client) -> Specialist:
    """Build the DataEngineer specialist around a brain's model client."""
    from posttrain.agents.data_engineer.tools import make_data_engineer_tools

    return builtin_specialist(DataEngineerConfig(), "data_engineer", model_client, make_data_engineer_tools)

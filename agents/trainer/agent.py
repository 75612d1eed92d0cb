"""The Trainer: its config and factory. The factory is what `--agent` plug-ins provide too."""

from posttrain.agents.specialist import Specialist, SpecialistConfig, builtin_specialist


class TrainerConfig(SpecialistConfig):
    name: str = "Trainer"
    description: str = "Runs SFT and GRPO with TRL on Ray, tracked in Trackio, and diagnoses failed or stalled runs."
    debate_stance: str = "argues from the training curves and the diagnosis: loss and reward trends, collapse, divergence"


def build_trainer(model_client) -> Specialist:
    """Build the Trainer specialist around a brain's model client."""
    from posttrain.agents.trainer.tools import make_trainer_tools

    return builtin_specialist(TrainerConfig(), "trainer", model_client, make_trainer_tools)

"""The Evaluator: its config and factory. The factory is what `--agent` plug-ins provide too."""

from posttrain.agents.specialist import Specialist, SpecialistConfig, builtin_specialist


class EvaluatorConfig(SpecialistConfig):
    name: str = "Evaluator"
    description: str = "Scores checkpoints on the goal's benchmark with confidence intervals and paired significance tests."
    debate_stance: str = "trusts only paired significance tests and confidence intervals, never point estimates"


def build_evaluator(model_client) -> Specialist:
    """Build the Evaluator specialist around a brain's model client."""
    from posttrain.agents.evaluator.tools import make_evaluator_tools

    return builtin_specialist(EvaluatorConfig(), "evaluator", model_client, make_evaluator_tools)

"""The Evaluator: its config and factory. The factory is what `--agent` plug-ins provide too."""

from pydantic import BaseModel, Field

from posttrain.agents.specialist import Specialist, builtin_specialist


class EvaluatorConfig(BaseModel):
    name: str = Field("Evaluator", description="Agent name in the team and the transcript.")
    description: str = Field(
        "Scores checkpoints on the goal's benchmark with confidence intervals and paired significance tests.",
        description="What the Manager reads when delegating.",
    )
    debate_stance: str = Field(
        "trusts only paired significance tests and confidence intervals, never point estimates",
        description="What this specialist argues from in debates.",
    )


def build_evaluator(model_client, config: EvaluatorConfig | None = None) -> Specialist:
    """Build the Evaluator specialist around a brain's model client."""
    from posttrain.agents.evaluator.tools import make_evaluator_tools

    return builtin_specialist(config or EvaluatorConfig(), "evaluator", model_client, make_evaluator_tools)

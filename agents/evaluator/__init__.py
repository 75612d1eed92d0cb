"""The Evaluator specialist: `EvaluatorConfig` and `build_evaluator`."""

from posttrain.agents.evaluator.agent import EvaluatorConfig, build_evaluator


__all__ = ["EvaluatorConfig", "build_evaluator"]

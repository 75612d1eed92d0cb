"""The Trainer specialist: `TrainerConfig` and `build_trainer`."""

from posttrain.agents.trainer.agent import TrainerConfig, build_trainer


__all__ = ["TrainerConfig", "build_trainer"]

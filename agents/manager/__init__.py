"""The Manager: `ManagerConfig` and `build_manager`."""

from posttrain.agents.manager.agent import ManagerAgents, ManagerConfig, build_manager


__all__ = ["ManagerAgents", "ManagerConfig", "build_manager"]

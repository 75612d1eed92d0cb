"""The DataEngineer specialist: `DataEngineerConfig` and `build_data_engineer`."""

from posttrain.agents.data_engineer.agent import DataEngineerConfig, build_data_engineer


__all__ = ["DataEngineerConfig", "build_data_engineer"]

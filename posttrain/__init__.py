"""posttrain: an autonomous post-training research team. Import `posttrain.agents`, `posttrain.orchestrator`, `posttrain.tools`."""

__version__ = "0.1.0"

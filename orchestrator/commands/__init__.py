"""Subcommand groups of the `posttrain` CLI, one module per tool family.

Each module exposes ``register(app: typer.Typer) -> None`` and imports only typer/stdlib at module level, so
``posttrain --help`` stays under a second; heavy work is imported inside the command functions.
"""

COMMAND_MODULES = ["run", "status", "transcript", "report", "agents", "doctor", "papers", "datasets", "evaluate",
                   "train", "ptb", "audit", "steer"]

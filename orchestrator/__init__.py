"""The orchestrator: CLI, team, iteration loop, run workspace, transcripts and brains."""

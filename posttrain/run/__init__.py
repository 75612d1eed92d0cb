"""What a run is, below both `posttrain.agents` and `posttrain.orchestrator`: its config, objective, ledger, events,
workspace and context. Agents' tools read the run through these; nothing here imports agents or the orchestrator."""

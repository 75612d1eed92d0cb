"""Start or resume a run: validate every input first (nothing is created for a bad command line), then build the
workspace, the brain, the specialists and the team, and hand them to the iteration loop."""

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posttrain.orchestrator.config import RunConfig
from posttrain.tools.errors import ConfigError


@dataclass
class Prepared:
    """Inputs that passed validation, ready to run."""

    config: RunConfig
    brain: Any
    specialists: dict


def resolve_base_model(name: str) -> str | None:
    """'tiny' → None (built inside the run dir); a local path → itself; a Hub id → its local snapshot."""
    if name == "tiny":
        return None
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise ConfigError(f"base model {name} has no config.json; point --base-model at a saved model directory")
        return str(path.resolve())
    if name.startswith((".", "/", "~")) or not re.fullmatch(r"[\w.-]+/[\w.-]+", name):
        raise ConfigError(f"base model path {name} does not exist; pass an existing directory, a Hub id "
                          "(org/name) or 'tiny'")
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(name, allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja"])
    except Exception as exc:  # offline, gated, missing repo: one line, with the fix
        raise ConfigError(f"cannot fetch base model {name!r} from the Hub ({type(exc).__name__}); download it first "
                          "(`hf download`) and pass the local path, or check the id") from exc


def prepare(config: RunConfig) -> Prepared:
    """Validate benchmark, base model, brain (key and endpoint) and plug-ins; build the specialists."""
    from posttrain.agents.specialist import builtin_factories
    from posttrain.orchestrator.brains import Brain, check_endpoint, parse_brain
    from posttrain.orchestrator.brains.endpoints import api_key_for
    from posttrain.orchestrator.plugins import load_specialist
    from posttrain.tools.evaluation import get_benchmark

    get_benchmark(config.benchmark)
    spec = parse_brain(config.brain)
    if spec.kind != "offline":
        api_key_for(spec)
        check_endpoint(spec)
    brain = Brain(spec)
    specialists = {name: factory(brain.client_for(name)) for name, factory in builtin_factories().items()}
    for agent_spec in config.agents:
        client = brain.client_for(None)
        specialist = load_specialist(agent_spec, client)
        if specialist.name in specialists:
            raise ConfigError(f"--agent {agent_spec!r}: a specialist named {specialist.name} is already in the team")
        brain.adopt(client, specialist.name)
        specialists[specialist.name] = specialist
    brain.specialists.update(specialists)
    return Prepared(config=config, brain=brain, specialists=specialists)


async def execute(prepared: Prepared, workspace, base_model_path: str, state: dict | None, console=None,
                  approve=None) -> str:
    """Run the loop inside one event loop (AgentChat teams are bound to the loop that made them)."""
    from posttrain.orchestrator.context import RunContext, set_current_run
    from posttrain.orchestrator.events import EventBus, RunStarted
    from posttrain.orchestrator.ledger import Ledger
    from posttrain.orchestrator.loop import IterationLoop
    from posttrain.orchestrator.team import build_team
    from posttrain.orchestrator.transcript import TranscriptWriter

    config, brain = prepared.config, prepared.brain
    ledger = Ledger.model_validate(state["ledger"]) if state else Ledger()
    ctx = RunContext(config=config, workspace=workspace, ledger=ledger, bus=EventBus(),
                     base_model_path=base_model_path, elapsed_before=state["elapsed_s"] if state else 0.0)
    brain.bind(ctx)
    team = build_team(ctx, prepared.specialists, brain.client_for("Manager"), brain.client_for("Selector"),
                      config.debate_rounds)
    if state and state.get("work_team"):
        await team.work.load_state(state["work_team"])
    writer = TranscriptWriter(workspace.transcript_path, workspace.events_path)
    ctx.bus.subscribe(writer)
    if console is not None:
        ctx.bus.subscribe(console)
    set_current_run(ctx)
    _stop_on_sigterm()
    try:
        ctx.bus.publish(RunStarted(goal=config.goal, run_dir=str(workspace.root), brain=brain.spec.label,
                                   benchmark=config.benchmark, base_model=config.base_model, resumed=state is not None))
        return await IterationLoop(ctx, team, writer, approve=approve).run()
    finally:
        set_current_run(None)
        writer.close()
        await brain.close()


def _stop_on_sigterm() -> None:
    """SIGTERM (a scheduler's stop, `timeout`) stops the run like Ctrl-C: state saved, resumable."""
    import signal

    task = asyncio.current_task()
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    except (NotImplementedError, RuntimeError):  # not the main thread or not supported: keep the default
        pass


def start(config: RunConfig, console=None, approve=None) -> str:
    """Validate, create the run directory, and run to the end. Returns the final status."""
    from posttrain.orchestrator.workspace import RunWorkspace
    from posttrain.tools.tiny_model import build_tiny_model

    base = resolve_base_model(config.base_model)
    prepared = prepare(config)
    workspace = RunWorkspace.create(config.run_dir)
    base = base or str(build_tiny_model(workspace.root / "base-model").resolve())
    return asyncio.run(execute(prepared, workspace, base, None, console, approve))


def resume(run_dir: str, console=None, approve=None, max_iterations: int | None = None) -> str:
    """Continue a stopped or killed run from its last checkpoint."""
    from posttrain.orchestrator.workspace import RunWorkspace

    workspace = RunWorkspace.open(run_dir)
    state = workspace.load_state()
    config = RunConfig.model_validate({**state["config"], "run_dir": str(workspace.root)})
    if max_iterations is not None:
        config = config.model_copy(update={"max_iterations": max_iterations})
    elif state.get("status") in ("goal_met", "max_iterations", "budget_exhausted"):
        raise ConfigError(f"run {run_dir} already finished ({state['status']}); pass --max-iterations N to extend it")
    prepared = prepare(config)
    workspace.rewind_log(workspace.transcript_path, state["transcript_lines"])
    workspace.rewind_log(workspace.events_path, state["event_lines"])
    return asyncio.run(execute(prepared, workspace, state["base_model_path"], state, console, approve))

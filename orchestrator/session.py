"""Start or resume a run: validate every input first (nothing is created for a bad command line), then build the
workspace, the brain, the specialists and the team, and hand them to the iteration loop."""

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posttrain.orchestrator.base_model import (  # noqa: F401 - part of the session API (commands, tests)
    materialize_base_model,
    resolve_base_model,
    size_without_loading,
)
from posttrain.run.config import RunConfig
from posttrain.run.state import RunState
from posttrain.tools.errors import ConfigError


@dataclass
class Prepared:
    """Inputs that passed validation, ready to run."""

    config: RunConfig
    brain: Any
    specialists: dict
    benchmark: Any
    """The goal's benchmark, parsed once for the whole run."""


def read_objective(goal: str, *, brain: str, benchmark: str | None = None, base_model: str | None = None,
                   target: float | None = None, time_budget: str | None = None, train_data: list[str] = (),
                   teacher: str | None = None, say=None):
    """The goal read into an `Objective`: by rules offline, by the brain's structured output with an LLM (falling
    back to the rules, and saying so, when its reading does not validate). Flags override the text."""
    from posttrain.orchestrator.brains import parse_brain
    from posttrain.orchestrator.goal import read_goal, read_goal_with_model

    flags = dict(benchmark=benchmark, base_model=base_model, target=target, time_budget=time_budget,
                 train_data=list(train_data), teacher=teacher)
    spec = parse_brain(brain)
    if spec.kind == "offline":
        return read_goal(goal, **flags)
    from posttrain.orchestrator.brains import check_endpoint
    from posttrain.orchestrator.brains.endpoints import api_key_for, build_endpoint_client, retry_policy_from_env
    from posttrain.orchestrator.brains.meter import BrainMeter
    from posttrain.orchestrator.brains.metered import MeteredClient

    api_key_for(spec)
    say = say or (lambda line: None)
    say(f"probing the brain endpoint {spec.base_url or 'api.openai.com'} (up to 5 s)…")
    check_endpoint(spec)
    # One reading is worth a short wait, not the run's bound per call (6 tries x 120 s): at most 2 tries, 90 s.
    policy = retry_policy_from_env()
    policy.max_tries, policy.deadline_s = min(policy.max_tries, 2), min(policy.deadline_s, GOAL_READING_S)
    policy.timeout_s = min(policy.timeout_s, policy.deadline_s)
    meter = BrainMeter(spec, bound_s=policy.deadline_s, say=say)

    async def ask():
        client = build_endpoint_client(spec, policy)
        try:
            return await read_goal_with_model(goal, MeteredClient(client, meter, "goal"), **flags)
        finally:
            await client.close()

    objective = asyncio.run(ask())
    objective.brain_usage = meter.usage.goal
    return objective


GOAL_READING_S = 90.0


def configure(goal: str, *, brain: str, run_dir: str | None = None, **options: Any) -> RunConfig:
    """The run's config with the goal read: benchmark, base model, target and budget resolved."""
    from posttrain.run.config import slugify
    from posttrain.run.usage import check_budget
    from posttrain.run.workspace import default_run_dir

    reading = {k: options.pop(k, None) for k in ("benchmark", "base_model", "target", "time_budget", "teacher",
                                                 "say")}
    reading["train_data"] = options.pop("train_data", None) or []
    check_budget(brain, options.get("brain_budget"), options.get("brain_price"))  # before the brain is asked
    objective = read_objective(goal, brain=brain, **reading)
    if objective.time_budget_s is None:
        objective = with_default_budget(objective, options.get("max_iterations", 3))
    budget = f"{objective.time_budget_s:g}s" if objective.time_budget_s else None
    return RunConfig(goal=goal, brain=brain, benchmark=objective.benchmark, base_model=objective.base_model,
                     target=objective.target, time_budget=budget, train_data=objective.train_data,
                     teacher=objective.teacher, objective=objective,
                     run_dir=run_dir or str(default_run_dir(slugify(goal))), **options)


# Without --time-budget a run still needs one, or plans are sized by epochs alone (750 LoRA steps = 16 minutes on two
# CPU cores for one iteration of a 135M model). The default answers "how long would a person wait for a first result
# on this machine": minutes on a laptop's CPU, an hour an iteration on a GPU. Pass --time-budget for anything else.
DEFAULT_ITERATION_S = {"cpu": 10 * 60, "cuda": 60 * 60}


def with_default_budget(objective, max_iterations: int):
    """The objective with a time budget derived from the machine and the iterations, and the reading says how."""
    # the NVIDIA driver's device list, not torch: reading the goal (and --dry-run) never imports torch
    gpus = Path("/proc/driver/nvidia/gpus")
    device = "cuda" if gpus.is_dir() and any(gpus.iterdir()) else "cpu"
    per = DEFAULT_ITERATION_S[device]
    total = per * max(1, max_iterations)
    line = (f"time budget {total / 60:g} min: default, {per / 60:g} min per iteration on {device.upper()} × "
            f"{max(1, max_iterations)} iterations (the baseline included); pass --time-budget to set it")
    return objective.model_copy(update={"time_budget_s": float(total), "reading": [*objective.reading, line],
                                        "compute_note": f"default: {per / 60:g} min per iteration on "
                                                        f"{device.upper()}"})


def first_plan(config: RunConfig, bench):
    """The plan the Manager's offline rule would make for iteration 1, without loading or training anything."""
    from posttrain.agents.manager.offline import default_plan
    from posttrain.run.facts import Facts, count_source_rows

    size = size_without_loading(config.base_model)
    items = config.objective.benchmark_items if config.objective else None
    facts = Facts(size=size, n_eval=items, has_generator=bench.has_generator, verifiable=bench.answer_type != "code",
                  max_new_tokens=bench.max_new_tokens, baseline=None, best=None, last=None, trained_methods=[],
                  remaining_s=config.time_budget_s, iterations_left=max(1, config.max_iterations),
                  source_rows=count_source_rows(tuple(config.train_data)))
    return default_plan(facts, config.seed + 1)


def data_outlook(config: RunConfig, bench) -> list[str]:
    """Where training data would come from, judged without loading any (for --dry-run): one line each, and a
    warning line when the run would block for lack of data."""
    lines = [f"data: your --train-data {ref}" for ref in config.train_data]
    split = getattr(getattr(bench, "source", None), "train_split", None)
    if split:
        lines.append(f"data: {bench.source.dataset} split {split!r} (the benchmark's own training split)")
    if config.teacher:
        lines.append(f"data: teacher {config.teacher}, kept where the {bench.name} scorer accepts its answers")
    if bench.has_generator:
        lines.append(f"data: the {bench.name} generator (items disjoint from the eval set)")
    if not lines:
        lines.append(f"warning: no training data known for {bench.name}: unless a Hub search finds a dataset that "
                     "fits, the run will stop blocked; pass --train-data PATH|HUB_ID or --teacher MODEL")
    return lines


def check_inputs(config: RunConfig):
    """Everything a run needs, checked before anything is created: benchmark rows, data references. Returns the
    parsed benchmark (parsed once per run, then passed on)."""
    from posttrain.tools.data.spec import parse_data_ref
    from posttrain.tools.evaluation import get_benchmark
    from posttrain.tools.evaluation.file_benchmark import FileBenchmark

    bench = get_benchmark(config.benchmark)
    if isinstance(bench, FileBenchmark):
        bench.eval_items()  # unreadable, empty or malformed rows are a ConfigError now, not after the team started
    for ref in config.train_data:
        parse_data_ref(ref)
    return bench


def prepare(config: RunConfig) -> Prepared:
    """Validate benchmark, data, base model, brain (key and endpoint) and plug-ins; build the specialists."""
    from posttrain.agents.specialist import builtin_factories
    from posttrain.orchestrator.brains import Brain, check_endpoint, parse_brain
    from posttrain.orchestrator.brains.endpoints import api_key_for
    from posttrain.orchestrator.brains.meter import BrainMeter
    from posttrain.orchestrator.plugins import load_specialist
    from posttrain.run.usage import check_budget, parse_budget, price_for

    benchmark = check_inputs(config)
    check_budget(config.brain, config.brain_budget, config.brain_price)
    spec = parse_brain(config.brain)
    context = config.brain_context
    if spec.kind != "offline":
        api_key_for(spec)
        context = context or check_endpoint(spec)
    budget = parse_budget(config.brain_budget) if config.brain_budget else None
    meter = BrainMeter(spec, budget=budget, price=price_for(config.brain, config.brain_price), context_tokens=context)
    if config.objective is not None and config.objective.brain_usage is not None:
        meter.usage.goal = config.objective.brain_usage  # the goal reading's tokens join the run's count
    brain = Brain(spec, meter)
    specialists = {name: factory(brain.client_for(name)) for name, factory in builtin_factories().items()}
    for agent_spec in config.agents:
        client = brain.client_for(None)
        specialist = load_specialist(agent_spec, client)
        if specialist.name in specialists:
            raise ConfigError(f"--agent {agent_spec!r}: a specialist named {specialist.name} is already in the team")
        brain.adopt(client, specialist.name)
        specialists[specialist.name] = specialist
    brain.specialists.update(specialists)
    from posttrain.tools.vllm_support import vllm_usable

    vllm_usable()  # a vLLM TRL does not support is announced now, on the console, before stderr goes to run.log
    return Prepared(config=config, brain=brain, specialists=specialists, benchmark=benchmark)


async def execute(prepared: Prepared, workspace, base_model_path: str, state: "RunState | None", console=None,
                  approve=None) -> str:
    """Run the loop inside one event loop (AgentChat teams are bound to the loop that made them)."""
    from posttrain.orchestrator.loop import IterationLoop
    from posttrain.orchestrator.team import build_team
    from posttrain.orchestrator.transcript import TranscriptWriter
    from posttrain.run.context import RunContext, set_current_run
    from posttrain.run.events import EventBus, RunStarted
    from posttrain.run.ledger import Ledger

    config, brain = prepared.config, prepared.brain
    ledger = state.ledger if state else Ledger()
    ctx = RunContext(config=config, workspace=workspace, ledger=ledger, bus=EventBus(), benchmark=prepared.benchmark,
                     base_model_path=base_model_path, elapsed_before=state.elapsed_s if state else 0.0)
    brain.bind(ctx)
    team = build_team(ctx, prepared.specialists, brain.client_for("Manager"), brain.client_for("Selector"),
                      config.debate_rounds)
    if state and state.work_team:
        await team.work.load_state(state.work_team)
    writer = TranscriptWriter(workspace.transcript_path, workspace.events_path)
    ctx.bus.subscribe(writer)
    if console is not None:
        ctx.bus.subscribe(console)
    from posttrain.orchestrator.team_tracking import TeamTracker

    ctx.bus.subscribe(TeamTracker(ctx))  # each iteration's results into the run's Trackio project, run "team"
    set_current_run(ctx)
    loop = IterationLoop(ctx, team, writer, approve=approve, team_state=state.work_team if state else None,
                         meter=brain.meter)
    _stop_on_signals(loop)
    try:
        reading = config.objective.describe() if config.objective else ""
        ctx.bus.publish(RunStarted(goal=config.goal, run_dir=str(workspace.root), brain=brain.spec.label,
                                   benchmark=config.benchmark, base_model=config.base_model, resumed=state is not None,
                                   reading=reading))
        return await loop.run()
    finally:
        set_current_run(None)
        writer.close()
        await brain.close()


def _stop_on_signals(iteration_loop) -> None:
    """Ctrl-C or SIGTERM (a scheduler's stop, `timeout`): say "stopping…" at once, stop the work in flight (the
    training task included) and cancel the run, which saves state as `stopped` and exits 130. A second signal exits
    at once: the last checkpoint is already on disk, so nothing a resume needs is lost."""
    import logging
    import os
    import signal

    from posttrain.run.events import Notice

    task = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def cancel_the_rest() -> None:
        for other in asyncio.all_tasks(loop):
            if other is not task:
                other.cancel()

    def stop() -> None:
        if task.cancelling():  # the second signal: the user does not want to wait
            from posttrain.orchestrator.library_logs import console_stderr
            from posttrain.tools.training.launcher import kill_processes

            print("stopped at once; continue with `posttrain resume`", file=console_stderr(),  # noqa: T201
                  flush=True)
            kill_processes()  # the local Ray cluster, which would otherwise outlive us
            os._exit(130)
        iteration_loop.ctx.bus.publish(Notice(level="warning", text="stopping… (Ctrl-C again to force)"))
        iteration_loop.stop()
        task.cancel()
        # AgentChat winds a cancelled team down by waiting for its runtime to go idle, which can wait forever (its
        # queue's task accounting does not survive a cancelled tool call): give it a second, then cancel its tasks.
        # Their errors are expected while stopping and are not printed (they were the tracebacks on Ctrl-C).
        loop.set_exception_handler(lambda _loop, _context: None)
        logging.getLogger("autogen_core").disabled = True
        loop.call_later(1.0, cancel_the_rest)

    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is signal.SIG_IGN:  # started with it ignored (nohup, a background job): keep that
            continue
        try:
            loop.add_signal_handler(sig, stop)  # replaces asyncio.run's SIGINT handler, which only cancels the task
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread or not supported: the default
            pass


def _run(coro) -> str:
    """asyncio.run, with a run stopped by a signal raised as KeyboardInterrupt: the CLI says "interrupted", exit 130."""
    try:
        return asyncio.run(coro)
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


def _check_larger_budget(run_dir: str, state: "RunState", config: RunConfig, given: str | None) -> None:
    """A run stopped at its --brain-budget continues only with one it has not used up yet."""
    from posttrain.run.usage import parse_budget, price_for

    used = state.ledger.brain_usage
    if given and used.spent(parse_budget(given), price_for(config.brain, config.brain_price)) < 1.0:
        return
    raise ConfigError(f"run {run_dir} stopped at its brain budget ({state.reason or config.brain_budget}); "
                      "resume it with a larger --brain-budget")


def start(config: RunConfig, console=None, approve=None) -> str:
    """Validate, create the run directory, and run to the end. Returns the final status."""
    from posttrain.run.workspace import RunWorkspace

    base = resolve_base_model(config.base_model)
    prepared = prepare(config)
    from posttrain.orchestrator.library_logs import RUN_LOG, library_output_to

    workspace = RunWorkspace.create(config.run_dir)
    with library_output_to(workspace.root / RUN_LOG):  # Ray, transformers, tqdm: to RUN/run.log, not the console
        base = base or str(materialize_base_model(config.base_model, workspace.root / "base-model").resolve())
        return _run(execute(prepared, workspace, base, None, console, approve))


def with_added_data(config: RunConfig, train_data: list[str], teacher: str | None) -> RunConfig:
    """`config` with resume's --train-data appended and --teacher set, in the config and in its objective alike
    (summary.json and the report show both: they must not disagree about the run's data)."""
    data, teacher = [*config.train_data, *train_data], teacher or config.teacher
    update: dict = {"train_data": data, "teacher": teacher}
    if config.objective is not None:
        added = [f"train data: {', '.join(train_data)} added on resume"] if train_data else []
        added += [f"teacher: {teacher} set on resume"] if teacher != config.objective.teacher else []
        update["objective"] = config.objective.model_copy(update={
            "train_data": data, "teacher": teacher, "reading": [*config.objective.reading, *added]})
    return config.model_copy(update=update)


def resume(run_dir: str, console=None, approve=None, max_iterations: int | None = None,
           train_data: list[str] | None = None, teacher: str | None = None, agents: list[str] | None = None,
           brain: str | None = None, brain_budget: str | None = None, brain_price: str | None = None) -> str:
    """Continue a stopped, blocked or killed run from its last checkpoint (a blocked run with the data it lacked).
    Plug-ins load only when `agents` (this command line's --agent) names the ones the run used."""
    from posttrain.orchestrator.plugins import check_resume_plugins
    from posttrain.run.workspace import RunWorkspace
    from posttrain.tools.redact import seal

    workspace = RunWorkspace.open(run_dir)
    state = workspace.load_state()
    config = state.config.model_copy(update={"run_dir": str(workspace.root)})  # the run may have been moved
    check_resume_plugins(run_dir, config.agents, agents or [])  # never import what state.json names on its own
    if brain:  # e.g. a brain URL whose credentials were masked in state.json
        config = config.model_copy(update={"brain": seal(brain)})
    if brain_budget or brain_price:
        config = RunConfig.model_validate({**config.model_dump(), "brain_budget": brain_budget or config.brain_budget,
                                           "brain_price": brain_price or config.brain_price})
    if state.status == "budget":
        _check_larger_budget(run_dir, state, config, given=brain_budget)
    if max_iterations is not None:
        config = config.model_copy(update={"max_iterations": max_iterations})
    elif state.status in ("goal_met", "max_iterations", "budget_exhausted"):
        raise ConfigError(f"run {run_dir} already finished ({state.status}); pass --max-iterations N to extend it")
    if train_data or teacher:
        config = with_added_data(config, train_data or [], teacher)
    if state.status == "blocked":
        if not (train_data or teacher):
            raise ConfigError(f"run {run_dir} is blocked ({state.reason}); resume it with --train-data "
                              "PATH|HUB_ID or --teacher MODEL")
        current = state.ledger.current  # redo the blocked iteration's work with the new data
        current.blocked = current.data_candidates = current.data_search = None
    prepared = prepare(config)
    workspace.rewind_log(workspace.transcript_path, state.transcript_lines)
    workspace.rewind_log(workspace.events_path, state.event_lines)
    from posttrain.orchestrator.library_logs import RUN_LOG, library_output_to

    with library_output_to(workspace.root / RUN_LOG):  # Ray, transformers, tqdm: to RUN/run.log, not the console
        return _run(execute(prepared, workspace, state.base_model_path, state, console, approve))

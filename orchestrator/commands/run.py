"""`posttrain run GOAL` and `posttrain resume RUN_DIR`."""

from typing import Annotated

import typer


def run(
    goal: Annotated[str, typer.Argument(help="What to achieve, e.g. 'Teach the base model 3-digit addition'.")],
    base_model: Annotated[str, typer.Option(help="'tiny' (built locally), a Hub id, or a local path.")] = "tiny",
    benchmark: Annotated[str, typer.Option(help="arithmetic | caesar | gsm8k | … | items.jsonl | bench.yaml")] = "arithmetic",
    target: Annotated[float | None, typer.Option(help="Stop when the score reaches this (0-1).")] = None,
    brain: Annotated[str | None, typer.Option(help="offline | openai:MODEL | hf:MODEL | vllm:MODEL@URL | ollama:MODEL "
                                                    "(default: offline unless OPENAI_API_KEY or POSTTRAIN_BRAIN is set)")] = None,
    max_iterations: Annotated[int, typer.Option(help="Work iterations after the baseline.")] = 3,
    time_budget: Annotated[str | None, typer.Option(help="Wall-clock budget, e.g. 30m, 1.5h.")] = None,
    run_dir: Annotated[str | None, typer.Option(help="Run directory (default runs/<UTC time>-<goal slug>).")] = None,
    agent: Annotated[list[str] | None, typer.Option("--agent", help="Plug-in specialist: pkg.module:factory, "
                                                    "file.py:factory or an entry-point name. Repeatable.")] = None,
    approve: Annotated[bool, typer.Option(help="Ask before each iteration's plan is carried out.")] = False,
    teacher_noise: Annotated[float, typer.Option(help="Share of wrong labels from the synthetic teacher (0-1).")] = 0.0,
    debate_rounds: Annotated[int, typer.Option(help="Debate rounds per iteration (2+ adds rebuttals).")] = 1,
    seed: Annotated[int, typer.Option(help="Seed for data generation and training.")] = 0,
    playbook_scale: Annotated[float, typer.Option(help="Scale the offline playbook's steps and data (0.25 = smoke run).")] = 1.0,
) -> None:
    """Run the team on a goal: baseline, then debate → decide → data → train → evaluate, per iteration."""
    from pydantic import ValidationError

    from posttrain.orchestrator import session
    from posttrain.orchestrator.brains import default_brain
    from posttrain.orchestrator.config import RunConfig, slugify
    from posttrain.orchestrator.console import ConsoleView
    from posttrain.orchestrator.workspace import default_run_dir
    from posttrain.tools.errors import ConfigError

    try:
        config = RunConfig(goal=goal, base_model=base_model, benchmark=benchmark, target=target,
                           brain=brain or default_brain(), max_iterations=max_iterations, time_budget=time_budget,
                           run_dir=run_dir or str(default_run_dir(slugify(goal))), agents=agent or [],
                           approve=approve, teacher_noise=teacher_noise, debate_rounds=debate_rounds, seed=seed,
                           playbook_scale=playbook_scale)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"--{'-'.join(map(str, first['loc'])).replace('_', '-')}: {first['msg']}") from None
    status = session.start(config, console=ConsoleView(), approve=_ask if approve else None)
    if status == "failed":
        raise typer.Exit(1)


def resume(
    run_dir: Annotated[str, typer.Argument(help="The run directory to continue.")],
    max_iterations: Annotated[int | None, typer.Option(help="Extend a finished run to this many iterations.")] = None,
    approve: Annotated[bool, typer.Option(help="Ask before each iteration's plan is carried out.")] = False,
) -> None:
    """Continue a stopped, interrupted or killed run from its last checkpoint."""
    from posttrain.orchestrator import session
    from posttrain.orchestrator.console import ConsoleView

    status = session.resume(run_dir, console=ConsoleView(), approve=_ask if approve else None,
                            max_iterations=max_iterations)
    if status == "failed":
        raise typer.Exit(1)


def _ask(decision: str) -> bool:
    return typer.confirm(f"Plan: {decision}\nCarry it out?", default=True)


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(resume)

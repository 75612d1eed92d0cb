"""`posttrain run GOAL` and `posttrain resume RUN_DIR`.

Exit codes: 0 finished, 1 the run failed, 2 bad input (nothing created), 3 blocked (e.g. no training data: the line
says what unblocks it; `posttrain resume RUN --train-data …` continues it), 130 interrupted.
"""

import json
from typing import Annotated

import typer


EXIT_BY_STATUS = {"failed": 1, "blocked": 3}  # `budget` (the --brain-budget was reached) exits 0
BrainBudgetOpt = Annotated[str | None, typer.Option(help="The brain's budget for the run: tokens (2M, 500k) or money "
                                                         "($5); at it the run saves and stops (status budget).")]
BrainPriceOpt = Annotated[str | None, typer.Option(help="US$ per million prompt/completion tokens, IN/OUT (e.g. "
                                                        "0.5/1.5), for a brain outside the price table.")]


def run(
    goal: Annotated[str, typer.Argument(help="What to achieve, e.g. 'Improve Qwen/Qwen3-1.7B-Base on GSM8K to 30% "
                                             "within 2 hours'. Benchmark, model, target and budget are read from it.")],
    base_model: Annotated[str | None, typer.Option(help="'tiny' (built locally), a Hub id, a local path, or a .gguf file "
                                                        "(dequantized once into the run) "
                                                        "(default: read from the goal, else tiny).")] = None,
    benchmark: Annotated[str | None, typer.Option(help="arithmetic | caesar | gsm8k | … | items.jsonl | bench.yaml "
                                                       "(default: read from the goal).")] = None,
    train_data: Annotated[list[str] | None, typer.Option("--train-data", help="Your training data: a JSONL/parquet/"
                                                         "CSV file, a dataset folder, or a Hub id owner/name[:config]"
                                                         "[@split]. Repeatable.")] = None,
    teacher: Annotated[str | None, typer.Option(help="A local teacher model (path or Hub id) whose answers are "
                                                     "kept when the benchmark's scorer accepts them.")] = None,
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
    ablation: Annotated[bool, typer.Option("--ablation/--no-ablation", help="Run a measurable dissent as a second "
                                           "arm beside the decision when the Ray cluster has room.")] = True,
    max_arms: Annotated[int, typer.Option(help="Most arms trained side by side per iteration, the decision's "
                                               "own included.")] = 2,
    dry_run: Annotated[bool, typer.Option(help="Print how the goal was read and the first plan, then exit "
                                               "(no model is loaded, nothing is trained).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --dry-run: print JSON.")] = False,
    brain_budget: BrainBudgetOpt = None,
    brain_price: BrainPriceOpt = None,
    brain_context: Annotated[int | None, typer.Option(help="The brain model's context length in tokens, when the "
                                                           "endpoint does not say it.")] = None,
) -> None:
    """Run the team on a goal: baseline, then debate → decide → data → train → evaluate, per iteration."""
    from pydantic import ValidationError

    from posttrain.orchestrator import session
    from posttrain.orchestrator.brains import default_brain
    from posttrain.orchestrator.console import ConsoleView
    from posttrain.tools.errors import ConfigError

    try:
        config = session.configure(goal, brain=brain or default_brain(), run_dir=run_dir, base_model=base_model,
                                   benchmark=benchmark, target=target, time_budget=time_budget,
                                   train_data=train_data or [], teacher=teacher, max_iterations=max_iterations,
                                   agents=agent or [], teacher_noise=teacher_noise,
                                   debate_rounds=debate_rounds, seed=seed, playbook_scale=playbook_scale,
                                   ablation=ablation, max_arms=max_arms, brain_budget=brain_budget,
                                   brain_price=brain_price, brain_context=brain_context,
                                   say=None if as_json else typer.echo)  # stdout: an error stays one stderr line
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"--{'-'.join(map(str, first['loc'])).replace('_', '-')}: {first['msg']}") from None
    if dry_run:
        session.resolve_base_model(config.base_model, download=False)  # a missing path or .gguf fails here, not later
        bench = session.check_inputs(config)
        plan, data = session.first_plan(config, bench), session.data_outlook(config, bench)
        if as_json:
            typer.echo(json.dumps({"objective": config.objective.model_dump(), "data": data,
                                   "first_plan": plan.model_dump()}, indent=2))
        else:
            typer.echo(config.objective.describe())
            typer.echo("\n".join(data))
            typer.echo(f"first plan: {plan.describe()}, because {plan.rationale}")
        return
    status = session.start(config, console=ConsoleView(), approve=_ask if approve else None)
    _exit_for(status)


def resume(
    run_dir: Annotated[str, typer.Argument(help="The run to continue: its directory, its id under --runs-root (or a "
                                                "unique prefix), or `latest`.")],
    max_iterations: Annotated[int | None, typer.Option(help="Extend a finished run to this many iterations.")] = None,
    train_data: Annotated[list[str] | None, typer.Option("--train-data", help="Training data to add (unblocks a run "
                                                         "that stopped for lack of data). Repeatable.")] = None,
    teacher: Annotated[str | None, typer.Option(help="A local teacher model to add.")] = None,
    approve: Annotated[bool, typer.Option(help="Ask before each iteration's plan is carried out.")] = False,
    agent: Annotated[list[str] | None, typer.Option("--agent", help="The plug-ins the run used, named again: "
                                                    "plug-ins never load from state.json. Repeatable.")] = None,
    brain: Annotated[str | None, typer.Option(help="The brain to continue with (needed when its URL carried "
                                                    "credentials, which are never saved).")] = None,
    runs_root: Annotated[str, typer.Option(help="Folder holding run directories (for ids and `latest`).")] = "runs",
    brain_budget: BrainBudgetOpt = None,
    brain_price: BrainPriceOpt = None,
) -> None:
    """Continue a stopped, blocked, interrupted or killed run from its last checkpoint."""
    from posttrain.orchestrator import session
    from posttrain.orchestrator.console import ConsoleView
    from posttrain.orchestrator.run_lookup import resolve_run

    run_dir = str(resolve_run(run_dir, runs_root))
    status = session.resume(run_dir, console=ConsoleView(), approve=_ask if approve else None,
                            max_iterations=max_iterations, train_data=train_data, teacher=teacher,
                            agents=agent or [], brain=brain, brain_budget=brain_budget, brain_price=brain_price)
    _exit_for(status)


def _exit_for(status: str) -> None:
    code = EXIT_BY_STATUS.get(status, 0)
    if code:
        raise typer.Exit(code)


def _ask(decision: str) -> bool | str:
    """y (or Enter) carries the plan out, n stops; anything else carries it out and joins the next debate."""
    answer = typer.prompt(f"Plan: {decision}\nCarry it out? [Y/n, or a message for the next debate]", default="y",
                          show_default=False).strip()
    if answer.lower() in ("y", "yes"):
        return True
    if answer.lower() in ("n", "no"):
        return False
    return answer


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(resume)

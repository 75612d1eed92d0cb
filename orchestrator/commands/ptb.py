"""`posttrain ptb --prompt-file TASK.txt`: PostTrainBench mode (see posttrain.orchestrator.ptb.runner).

Exit codes: 0 the audit passed, 1 it failed (the verdict says what to fix), 2 bad input (one line), 130 interrupted.
"""

from typing import Annotated

import typer


def ptb(
    prompt_file: Annotated[str, typer.Option(help="The PostTrainBench task text ($PROMPT written to a file).")],
    output_dir: Annotated[str | None, typer.Option(help="Where to leave the model (default: the folder the task "
                                                        "names, else final_model).")] = None,
    timer: Annotated[str | None, typer.Option(help="Timer script; `bash timer.sh` prints the time left "
                                                   "(default: the task's timer.sh when present).")] = None,
    remaining_file: Annotated[str | None, typer.Option(help="A file holding the seconds left "
                                                            "(default: ~/.timer/remaining_secs if any).")] = None,
    reserve: Annotated[str, typer.Option(help="Time kept for packaging and the audit; no training starts "
                                              "inside it.")] = "10m",
    task_dir: Annotated[str | None, typer.Option(help="Folder the task's relative paths start from "
                                                      "(default: the current folder).")] = None,
    benchmark: Annotated[str | None, typer.Option(help="Override the task's benchmark (name or items file).")] = None,
    base_model: Annotated[str | None, typer.Option(help="Override the task's base model.")] = None,
    train_data: Annotated[list[str] | None, typer.Option("--train-data", help="Training data to offer the team. "
                                                         "Repeatable.")] = None,
    run_dir: Annotated[str | None, typer.Option(help="Run directory (default runs/<UTC time>-<slug>).")] = None,
    brain: Annotated[str | None, typer.Option(help="Brain (default: from the environment, as `run`).")] = None,
    max_iterations: Annotated[int | None, typer.Option(help="Iterations (default: about one per half hour of "
                                                            "budget; the budget stops the run anyway).")] = None,
    playbook_scale: Annotated[float, typer.Option(help="Scale the offline playbook's steps and data.")] = 1.0,
    dry_run: Annotated[bool, typer.Option(help="Print how the task was read and the time left, then exit.")] = False,
) -> None:
    """Compete in a PostTrainBench task: read it, train within the time left, hand in final_model, audit it."""
    from pathlib import Path

    from posttrain.orchestrator.console import ConsoleView
    from posttrain.orchestrator.ptb.task import parse_task
    from posttrain.orchestrator.ptb.timing import read_remaining
    from posttrain.run.config import parse_duration
    from posttrain.tools.durations import minutes
    from posttrain.tools.errors import ConfigError

    path = Path(prompt_file).expanduser()
    if not path.is_file():
        raise ConfigError(f"prompt file {prompt_file} does not exist; write $PROMPT to a file and pass its path")
    task = parse_task(path.read_text(encoding="utf-8"), task_dir or Path.cwd(), benchmark=benchmark,
                      base_model=base_model)
    reserve_s = parse_duration(reserve)
    if dry_run:
        remaining, source = read_remaining(timer or task.timer, remaining_file, task.hours)
        typer.echo(task.describe())
        typer.echo(f"time left   {minutes(remaining)} ({source}); budget {minutes(remaining - reserve_s)}")
        return
    from posttrain.orchestrator.ptb.runner import run_ptb

    code, _ = run_ptb(task, say=typer.echo, output_dir=output_dir, timer=timer, remaining_file=remaining_file,
                      reserve_s=reserve_s, run_dir=run_dir, brain=brain, max_iterations=max_iterations,
                      playbook_scale=playbook_scale, train_data=train_data, console=ConsoleView())
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(ptb)

"""`posttrain audit RUN`: check a run against PostTrainBench's rules; writes RUN/audit.json.

Exit codes: 0 pass, 1 fail (each failed check says what to fix), 2 bad input.
"""

import json
from typing import Annotated

import typer


def audit(
    run_dir: Annotated[str, typer.Argument(help="The run directory to audit.")],
    final_model: Annotated[str | None, typer.Option(help="The model to hand in (default: the one `ptb` "
                                                         "recorded in RUN/ptb.json).")] = None,
    checker: Annotated[str | None, typer.Option(help="The task's contamination checker (--reference FILE "
                                                     "--input ROWS.jsonl; exit 1 = contaminated).")] = None,
    reference: Annotated[str | None, typer.Option(help="The benchmark's test items (JSON array or JSONL).")] = None,
    vllm: Annotated[bool, typer.Option(help="Also load final_model with vLLM (on a GPU).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print audit.json instead of the verdict.")] = False,
) -> None:
    """Audit a run: contamination, model identity, no hosted API, no benchmark lookup, packaging."""
    from posttrain.orchestrator.ptb.audit import run_audit

    report = run_audit(run_dir, final_model=final_model, checker=checker, reference=reference, vllm=vllm)
    typer.echo(json.dumps(report.model_dump(mode="json"), indent=1) if as_json else report.render())
    if report.verdict == "fail":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(audit)

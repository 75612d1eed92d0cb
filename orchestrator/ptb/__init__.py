"""PostTrainBench mode: read a task prompt, run the team unattended within the time left, keep a valid
`final_model/` at every moment, and audit the run like the judges (`posttrain ptb`, `posttrain audit`)."""

from posttrain.orchestrator.ptb.audit import run_audit
from posttrain.orchestrator.ptb.checks import AuditReport, Check
from posttrain.orchestrator.ptb.package import Packager, package_model
from posttrain.orchestrator.ptb.task import PtbTask, parse_task
from posttrain.orchestrator.ptb.timing import parse_remaining, read_remaining


__all__ = ["AuditReport", "Check", "Packager", "PtbTask", "package_model", "parse_remaining", "parse_task",
           "read_remaining", "run_audit"]

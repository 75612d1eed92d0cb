"""The Trainer's tools: SFT, GRPO and DPO specs run through TRL on Ray, tracked in Trackio, diagnosed when they fail.

    from posttrain.tools.training import SFTSpec, run_training
    result = run_training(SFTSpec(base_model="runs/x/base-model", dataset="runs/x/sft.jsonl"), "runs/x/sft",
                          project="x", run_name="sft")
"""

from posttrain.tools.training.base_config import LoraSpec
from posttrain.tools.training.diagnosis import Finding, diagnose, next_beta
from posttrain.tools.training.dpo_config import DPOSpec
from posttrain.tools.training.grpo_config import GRPOSpec, RewardSpec
from posttrain.tools.training.launcher import run_training
from posttrain.tools.training.result import TrainingResult
from posttrain.tools.training.sft_config import SFTSpec
from posttrain.tools.training.tracking import DashboardHandle, dashboard, list_tracked_runs, read_tracked_metrics


__all__ = [
    "DashboardHandle",
    "DPOSpec",
    "Finding",
    "GRPOSpec",
    "LoraSpec",
    "RewardSpec",
    "SFTSpec",
    "TrainingResult",
    "dashboard",
    "diagnose",
    "list_tracked_runs",
    "next_beta",
    "read_tracked_metrics",
    "run_training",
]

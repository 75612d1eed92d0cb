"""Data tools for the Data Engineer: build training sets (synthetic, local, Hub), check quality, decontaminate.

>>> from posttrain.tools.data import build_benchmark_dataset
>>> artifact = build_benchmark_dataset("arithmetic", "runs/x/data", n=3000, fmt="sft", teacher_noise=0.2)
"""

from posttrain.tools.data.artifact import ContaminationSummary, DatasetArtifact
from posttrain.tools.data.decontam import decontaminate
from posttrain.tools.data.formats import MethodFit, propose_fits, to_training_rows
from posttrain.tools.data.quality import QualityReport, quality_report
from posttrain.tools.data.synthetic import build_benchmark_dataset


__all__ = [
    "ContaminationSummary",
    "DatasetArtifact",
    "MethodFit",
    "QualityReport",
    "build_benchmark_dataset",
    "decontaminate",
    "propose_fits",
    "quality_report",
    "to_training_rows",
]

"""Data tools for the Data Engineer: build training sets (synthetic, local, Hub, teacher), measure, decontaminate.

>>> from posttrain.tools.data import build_benchmark_dataset
>>> artifact = build_benchmark_dataset("arithmetic", "runs/x/data", n=3000, fmt="sft", teacher_noise=0.2)
>>> artifact.counts, artifact.contamination.dropped, artifact.label_accuracy
"""

from posttrain.tools.data.artifact import ContaminationSummary, DatasetArtifact
from posttrain.tools.data.build import build_dataset
from posttrain.tools.data.decontam import decontaminate
from posttrain.tools.data.discover import SourceCandidate, SourceCandidates, compose_build_spec, find_sources
from posttrain.tools.data.formats import MethodFit, describe_mapping, propose_fits, to_training_rows
from posttrain.tools.data.labels import LabelCheck, check_labels
from posttrain.tools.data.quality import QualityReport, quality_report
from posttrain.tools.data.spec import BuildSpec, SourceSpec, TeacherSpec, load_spec, parse_data_ref
from posttrain.tools.data.synthetic import build_benchmark_dataset
from posttrain.tools.data.teacher import HostedAPI, TeacherSamples, generate_samples
from posttrain.tools.data.verify import VerifiedSamples, verified_generation


__all__ = [
    "BuildSpec",
    "ContaminationSummary",
    "DatasetArtifact",
    "HostedAPI",
    "LabelCheck",
    "MethodFit",
    "QualityReport",
    "SourceCandidate",
    "SourceCandidates",
    "SourceSpec",
    "TeacherSamples",
    "TeacherSpec",
    "VerifiedSamples",
    "build_benchmark_dataset",
    "build_dataset",
    "check_labels",
    "compose_build_spec",
    "decontaminate",
    "describe_mapping",
    "find_sources",
    "generate_samples",
    "load_spec",
    "parse_data_ref",
    "propose_fits",
    "quality_report",
    "to_training_rows",
    "verified_generation",
]

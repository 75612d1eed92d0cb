"""The typed result of every dataset build: where the parquet and its card are, and what happened on the way.

>>> artifact = build_benchmark_dataset("arithmetic", "runs/x/data", n=3000, fmt="sft")
>>> artifact.counts          # {"generated": 3000, "after_dedupe": 2990, "after_decontam": 2990}
"""


from pydantic import BaseModel, Field

from posttrain.tools.data.labels import LabelCheck
from posttrain.tools.data.quality import QualityReport
from posttrain.tools.methods import DataFormat


DatasetFormat = DataFormat  # the registry's one type (tools/methods.py)


class DroppedRow(BaseModel):
    """One row the gate dropped and the benchmark item it matched."""

    row: int = Field(description="0-based index of the row in the set the gate checked (after mixing, before the "
                     "split).")
    benchmark: str = Field(description="Benchmark the matched item belongs to.")
    eval_id: str = Field(description="Id of the matched test item.")
    field: str = Field(description="The item's field that matched: question, answer or passage.")
    rule: str = Field(description="overlap, combined, paraphrase or answer+numbers (see docs/data.md).")
    score: float = Field(description="The rule's score, 0-1.")
    text: str = Field(description="The dropped row's text, cut to 160 characters.")


class ContaminationSummary(BaseModel):
    """Result of the decontamination gate: which benchmarks were checked and how many training rows it dropped."""

    checked_against: list[str] = Field(
        default_factory=list, description="Benchmark names the rows were checked against."
    )
    dropped: int = Field(0, description="Training rows dropped because they hold a benchmark item.")
    rate: float = Field(0.0, description="dropped / rows checked (0.0 when nothing was checked).")
    method: str = Field("", description="How rows were scored (the shared decontamination module's rules).")
    contaminated_eval_items: int = Field(0, description="Benchmark items that appeared in the training rows.")
    per_benchmark: dict[str, int] = Field(default_factory=dict, description="Rows dropped, per benchmark.")
    dropped_rows: list[DroppedRow] = Field(default_factory=list, description="Every dropped row with its match.")
    template_siblings: int = Field(0, description="Rows kept as template siblings (same wording, other numbers).")


class DatasetArtifact(BaseModel):
    """A dataset saved as parquet with its card; this is what the Trainer receives."""

    path: str = Field(description="Parquet file of the training split.")
    format: DatasetFormat = Field(
        description="sft: prompt+completion (or messages); grpo: prompt+answer; dpo: prompt+chosen+rejected."
    )
    n_rows: int = Field(description="Rows in the training split.")
    columns: list[str] = Field(description="Columns of the parquet file.")
    card_path: str = Field(description="Dataset card (README.md with a YAML header) beside the parquet file.")
    counts: dict[str, int] = Field(
        description="Row counts after each step, in order, e.g. generated → after_dedupe → after_decontam."
    )
    contamination: ContaminationSummary = Field(description="What the decontamination gate checked and dropped.")
    label_accuracy: float | None = Field(
        None, description="Measured share of checked labels the benchmark's scorer accepted; None when unknown."
    )
    label_check: LabelCheck | None = Field(None, description="The label check: checked, accepted, dropped, how.")
    sources: list[str] = Field(
        default_factory=list, description="Each source with its revision, e.g. 'benchmark:arithmetic@seed=0'."
    )
    transformations: list[str] = Field(default_factory=list, description="What was done to the rows, in order.")
    splits: dict[str, str] = Field(default_factory=dict, description="Split name → parquet path (train is `path`).")
    generation: dict[str, float | int | str] = Field(
        default_factory=dict,
        description="Teacher generation facts when used: backend, model, acceptance_rate, hosted_api.",
    )

    quality: QualityReport | None = Field(
        None, description="Quality of (up to 1000 of) the saved rows: duplicates left, token lengths, answer formats."
    )

    def describe(self) -> str:
        """One line for a transcript: rows, sources, mapping, the steps that changed the row count, label check,
        decontamination. Source labels are shown once; counts that a step left unchanged are not repeated."""
        gate = self.contamination
        checked = ", ".join(gate.checked_against) or "nothing"
        mappings = [step.split(": mapped ", 1)[1] for step in self.transformations if ": mapped " in step]
        text = f"{self.n_rows} {self.format} rows from {', '.join(self.sources) or 'no source'}"
        text += f" ({'; '.join(mappings)})" if mappings else ""
        text += f"; rows {_count_steps(self.counts)}"
        text += f"; decontaminated against {checked}: {gate.dropped} dropped ({gate.rate:.1%})"
        if self.label_check is not None:
            text += f"; {self.label_check.line()}"
        elif self.label_accuracy is not None:
            text += f"; labels {self.label_accuracy:.1%} correct"
        if "acceptance_rate" in self.generation:
            text += f"; teacher acceptance {float(self.generation['acceptance_rate']):.1%}"
        return text + f"; saved {self.path}"

    summary = describe  # the earlier name, kept for callers outside tools/data


def _count_steps(counts: dict[str, int]) -> str:
    """'6000 → after_label_check 3259 → after_decontam 3250': the first count, then each step that changed it."""
    items = list(counts.items())
    if not items:
        return "none"
    parts, previous = [str(items[0][1])], items[0][1]
    for name, count in items[1:]:
        if count != previous:
            parts.append(f"{name.split(':')[0]} {count}")
            previous = count
    return " → ".join(parts)

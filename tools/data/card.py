"""Write a dataset card (README.md with a YAML header) beside a saved dataset, and read it back.

The YAML header is machine-readable (the Hub reads `configs`, `license`, `tags`; posttrain reads `posttrain:`), the
body is for people: sources with revisions, transformations, counts before and after each filter, decontamination.

>>> card_path = write_card(out_dir, artifact)      # out_dir/README.md
>>> read_card(card_path)["posttrain"]["counts"]
"""

from pathlib import Path
from typing import Any

from posttrain.tools.data.artifact import DatasetArtifact


def write_card(out_dir: str | Path, artifact: DatasetArtifact, *, name: str, license: str | None = None) -> Path:
    """Write out_dir/README.md describing ``artifact`` and return its path."""
    import yaml

    out = Path(out_dir)
    data_files = [
        {"split": split, "path": Path(path).name}
        for split, path in {"train": artifact.path, **artifact.splits}.items()
    ]
    header: dict[str, Any] = {
        "configs": [{"config_name": "default", "data_files": data_files}],
        "tags": [
            "posttrain",
            artifact.format,
            "synthetic" if artifact.generation or _is_synthetic(artifact) else "curated",
        ],
        "posttrain": {
            "name": name,
            "format": artifact.format,
            "n_rows": artifact.n_rows,
            "columns": artifact.columns,
            "sources": artifact.sources,
            "transformations": artifact.transformations,
            "counts": artifact.counts,
            "contamination": artifact.contamination.model_dump(),
            "label_accuracy": artifact.label_accuracy,
            "label_check": artifact.label_check.model_dump() if artifact.label_check else None,
            "generation": artifact.generation,
            "quality": artifact.quality.model_dump() if artifact.quality else None,
        },
    }
    if license:
        header["license"] = license
    body = [
        f"# {name}",
        "",
        f"{artifact.n_rows} rows, format `{artifact.format}`, columns {', '.join(artifact.columns)}.",
        "",
    ]
    body += ["## Sources", ""] + [f"- `{source}`" for source in artifact.sources] + [""]
    body += ["## Transformations", ""] + [f"{i}. {step}" for i, step in enumerate(artifact.transformations, 1)] + [""]
    body += (
        ["## Counts", "", "| step | rows |", "|---|---|"]
        + [f"| {k} | {v} |" for k, v in artifact.counts.items()]
        + [""]
    )
    body += ["## Decontamination", "", _contamination_line(artifact), ""] + _dropped_table(artifact)
    if artifact.label_check is not None:
        body += ["## Label check", "", artifact.label_check.line() + ".", ""]
    elif artifact.label_accuracy is not None:
        body += ["## Label accuracy", "", f"{artifact.label_accuracy:.1%} of the labels are correct.", ""]
    if artifact.generation:
        body += ["## Generation", ""] + [f"- {k}: {v}" for k, v in artifact.generation.items()] + [""]
    text = "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True) + "---\n\n" + "\n".join(body)
    path = out / "README.md"
    path.write_text(text, encoding="utf-8")
    return path


def read_card(card_path: str | Path) -> dict[str, Any]:
    """Parse the YAML header of a card written by ``write_card``."""
    import yaml

    text = Path(card_path).read_text(encoding="utf-8")
    _, header, _ = text.split("---\n", 2)
    return yaml.safe_load(header)


def _is_synthetic(artifact: DatasetArtifact) -> bool:
    return any(source.startswith(("benchmark:", "teacher:")) for source in artifact.sources)


def _contamination_line(artifact: DatasetArtifact) -> str:
    summary = artifact.contamination
    if not summary.checked_against:
        return "Not checked against any benchmark."
    per = ", ".join(f"{name}: {count}" for name, count in summary.per_benchmark.items()) or "none"
    return (
        f"Checked against {', '.join(summary.checked_against)} ({summary.method}): "
        f"{summary.dropped} rows dropped ({summary.rate:.2%}; per benchmark: {per}); "
        f"{summary.contaminated_eval_items} benchmark items were found in the training rows; "
        f"{summary.template_siblings} rows kept as template siblings (same wording, other numbers)."
    )


def _dropped_table(artifact: DatasetArtifact) -> list[str]:
    """Every dropped row with the item it matched, so a reader can check each verdict."""
    rows = artifact.contamination.dropped_rows
    if not rows:
        return []
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731 - a pipe in a row would break the table
    return (["| benchmark | item | field | rule | score | dropped row |", "|---|---|---|---|---|---|"]
            + [f"| {r.benchmark} | {r.eval_id} | {r.field} | {r.rule} | {r.score:.2f} | {cell(r.text)} |"
               for r in rows] + [""])

"""Save rows as parquet with a dataset card, returning the DatasetArtifact the Trainer receives; optional Hub push.

>>> artifact = save_dataset(rows, "runs/x/data", name="arithmetic-sft", fmt="sft", counts=..., contamination=...)
"""

from pathlib import Path
from typing import Any

from posttrain.tools.data.artifact import ContaminationSummary, DatasetArtifact, DatasetFormat
from posttrain.tools.data.card import write_card
from posttrain.tools.data.labels import LabelCheck
from posttrain.tools.data.quality import QualityReport
from posttrain.tools.errors import ConfigError, NetworkError, ToolError


def save_dataset(
    rows: list[dict[str, Any]],
    out_dir: str | Path,
    *,
    name: str,
    fmt: DatasetFormat,
    counts: dict[str, int],
    contamination: ContaminationSummary,
    sources: list[str],
    transformations: list[str],
    test_rows: list[dict[str, Any]] | None = None,
    validation_rows: list[dict[str, Any]] | None = None,
    label_accuracy: float | None = None,
    label_check: LabelCheck | None = None,
    generation: dict[str, Any] | None = None,
    license: str | None = None,
    quality: QualityReport | None = None,
) -> DatasetArtifact:
    """Write out_dir/<name>.parquet (and <name>-test.parquet / <name>-validation.parquet when those rows are given)
    plus out_dir/README.md."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not rows:
        raise ToolError(
            f"dataset {name!r} has no rows left after filtering (counts: {counts}); loosen the filters or add sources"
        )
    columns = list(dict.fromkeys(key for row in rows for key in row))  # a column some sources lack is null there
    rows = [{key: row.get(key) for key in columns} for row in rows]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.parquet"
    train = pa.Table.from_pylist(rows)
    pq.write_table(train, path)
    splits = {}
    if test_rows:
        test_path = out / f"{name}-test.parquet"
        pq.write_table(pa.Table.from_pylist(test_rows, schema=train.schema), test_path)
        splits["test"] = str(test_path)
    if validation_rows:
        validation_path = out / f"{name}-validation.parquet"
        pq.write_table(pa.Table.from_pylist(validation_rows, schema=train.schema), validation_path)
        splits["validation"] = str(validation_path)
    artifact = DatasetArtifact(
        path=str(path),
        format=fmt,
        n_rows=len(rows),
        columns=list(train.column_names),
        card_path=str(out / "README.md"),
        counts=counts,
        contamination=contamination,
        label_accuracy=label_check.accuracy if label_check else label_accuracy,
        label_check=label_check,
        sources=sources,
        transformations=transformations,
        splits=splits,
        generation=generation or {},
        quality=quality,
    )
    write_card(out, artifact, name=name, license=license)
    return artifact


def push_dataset(artifact: DatasetArtifact, repo_id: str, *, private: bool = True) -> str:
    """Upload the artifact's folder (parquet files + card) to a Hub dataset repo; returns the repo URL.

    Needs HF_TOKEN with write access and network; POSTTRAIN_OFFLINE=1 refuses before any request.
    """
    import os

    if os.environ.get("POSTTRAIN_OFFLINE") == "1":
        raise ConfigError(f"cannot push {repo_id}: POSTTRAIN_OFFLINE=1; fix: unset it and set HF_TOKEN")
    from huggingface_hub import HfApi

    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT"), token=os.environ.get("HF_TOKEN"))
    folder = Path(artifact.path).parent
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        files = [Path(artifact.path).name, *(Path(p).name for p in artifact.splits.values()), "README.md"]
        api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=folder, allow_patterns=files)
    except Exception as exc:  # httpx / HfHubHTTPError / OfflineModeIsEnabled: all mean "the push did not happen"
        raise NetworkError(
            f"push of {folder} to {repo_id} failed: {exc}; check HF_TOKEN (write access) and network"
        ) from exc
    return f"{api.endpoint}/datasets/{repo_id}"

"""Inspect one Hub dataset: Hub metadata plus the dataset viewer's splits, sizes, schema, first rows → DatasetReport.

Every part is fetched on its own; a part that fails (offline, gated, not ready, the dataset's own error) is left
empty and its reason goes in ``report.errors[part]``, while the rest is still reported. The sample rows feed the
method-fit analysis (SFT / GRPO / DPO with the proposed column mapping) and the quality numbers.

>>> report = inspect_dataset("openai/gsm8k", tokenizer="runs/x/base-model")
>>> report.splits, [f for f in report.fits if f.fits], report.quality.near_duplicates, report.errors
"""

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from posttrain.tools.data.formats import MethodFit, propose_fits
from posttrain.tools.data.quality import QualityReport, quality_report
from posttrain.tools.hub.search import hub_api, network_error_text, offline_reason
from posttrain.tools.hub.viewer import viewer_get
from posttrain.tools.query_guard import refusal_for


MAX_CELL_CHARS = 500


class SplitInfo(BaseModel):
    """One split of one config, with its size when the viewer knows it."""

    config: str = Field(description="Config (subset) name.")
    split: str = Field(description="Split name: train, test, ...")
    num_rows: int | None = Field(None, description="Rows in the split (None when /size failed).")
    num_bytes_parquet: int | None = Field(None, description="Size of the split's parquet files in bytes.")


class DatasetReport(BaseModel):
    """What a Data Engineer needs to decide whether and how to train on a Hub dataset."""

    id: str = Field(description="Hub id.")
    revision: str | None = Field(None, description="Commit sha of the main branch (pin it in the build spec).")
    license: str | None = Field(None, description="Licence from the card or tags.")
    gated: str | bool | None = Field(
        None, description="False, 'auto' or 'manual'; gated data needs HF_TOKEN and accepted terms."
    )
    private: bool | None = Field(None, description="Private repo.")
    downloads: int | None = Field(None, description="Downloads in the last 30 days.")
    tags: list[str] = Field(default_factory=list, description="Hub tags (capped at 30).")
    viewer: dict[str, bool] = Field(
        default_factory=dict, description="/is-valid capabilities: preview, viewer, search..."
    )
    configs: list[str] = Field(default_factory=list, description="Config (subset) names.")
    splits: list[SplitInfo] = Field(default_factory=list, description="Splits per config, with row counts.")
    sampled: str | None = Field(None, description="'config/split' the sample rows come from.")
    column_types: dict[str, str] = Field(
        default_factory=dict, description="Schema of the sampled split: column → type."
    )
    sample_rows: list[dict[str, Any]] = Field(
        default_factory=list, description=f"First rows, cells cut at {MAX_CELL_CHARS} chars."
    )
    fits: list[MethodFit] = Field(
        default_factory=list, description="Fit per method (sft, grpo, dpo) and proposed column mapping."
    )
    quality: QualityReport | None = Field(None, description="Quality numbers on the sample rows.")
    errors: dict[str, str] = Field(
        default_factory=dict,
        description="Part → why it is missing (hub, is-valid, splits, size, first-rows, tokenizer).",
    )
    offline: bool = Field(False, description="True when neither the Hub nor the viewer could be reached.")


def type_name(feature: Any) -> str:
    """A short readable type for a datasets feature in the viewer's JSON form."""
    if isinstance(feature, list):
        return f"list[{type_name(feature[0])}]" if feature else "list"
    if not isinstance(feature, dict):
        return str(feature)
    kind = feature.get("_type")
    if kind == "Value":
        return feature.get("dtype", "value")
    if kind == "ClassLabel":
        return f"ClassLabel({','.join(feature.get('names', [])[:10])})"
    if kind in ("List", "Sequence", "LargeList"):
        return f"list[{type_name(feature.get('feature'))}]"
    if kind is None:
        return "struct{" + ",".join(f"{k}:{type_name(v)}" for k, v in feature.items()) + "}"
    return kind


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        return value[:MAX_CELL_CHARS] + " …[truncated]"
    if isinstance(value, list):
        return [_cut(v) for v in value]
    if isinstance(value, dict):
        return {k: _cut(v) for k, v in value.items()}
    return value


def _hub_part(report: DatasetReport) -> None:
    reason = offline_reason()
    if reason:
        report.errors["hub"] = reason
        return
    import httpx2
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

    try:
        info = hub_api().dataset_info(report.id)
    except GatedRepoError as exc:
        report.errors["hub"] = (
            f"gated: accept the terms at https://huggingface.co/datasets/{report.id} and set HF_TOKEN ({exc})"
        )
        return
    except RepositoryNotFoundError:
        report.errors["hub"] = (
            f"{report.id} not found on the Hub (or private): check the id, or set HF_TOKEN for private data"
        )
        return
    except HfHubHTTPError as exc:
        report.errors["hub"] = f"Hub refused dataset_info: {str(exc)[:300]}"
        return
    except (httpx2.HTTPError, OSError) as exc:
        report.errors["hub"] = network_error_text(exc)
        return
    tags = list(info.tags or [])
    card_license = getattr(info.card_data, "license", None) if info.card_data else None
    if isinstance(card_license, list):
        card_license = card_license[0] if card_license else None
    tag_license = next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), None)
    report.revision, report.gated, report.private = info.sha, info.gated, info.private
    report.license, report.downloads, report.tags = card_license or tag_license, info.downloads, tags[:30]


def _viewer_parts(report: DatasetReport) -> None:
    valid = viewer_get("is-valid", dataset=report.id)
    if valid.data is not None:
        report.viewer = {k: bool(v) for k, v in valid.data.items() if isinstance(v, bool)}
    else:
        report.errors["is-valid"] = valid.error or ""
    splits = viewer_get("splits", dataset=report.id)
    if splits.data is None:
        report.errors["splits"] = splits.error or ""
        return
    report.splits = [SplitInfo(config=s["config"], split=s["split"]) for s in splits.data.get("splits", [])]
    report.configs = list(dict.fromkeys(s.config for s in report.splits))
    if splits.data.get("failed"):
        report.errors["splits"] = f"failed configs: {splits.data['failed']}"
    size = viewer_get("size", dataset=report.id)
    if size.data is None:
        report.errors["size"] = size.error or ""
    else:
        by_key = {(s.get("config"), s.get("split")): s for s in size.data.get("size", {}).get("splits", [])}
        for split in report.splits:
            known = by_key.get((split.config, split.split), {})
            split.num_rows, split.num_bytes_parquet = known.get("num_rows"), known.get("num_bytes_parquet_files")


def _sample_part(
    report: DatasetReport, sample_rows: int, config: str | None, split: str | None
) -> list[dict[str, Any]]:
    if not report.splits:
        return []
    wanted = [s for s in report.splits if config in (None, s.config) and split in (None, s.split)]
    if not wanted:
        known = ", ".join(f"{s.config}/{s.split}" for s in report.splits)
        report.errors["first-rows"] = f"no split {config or '*'}/{split or '*'} in {report.id}; choose one of: {known}"
        return []
    chosen = next((s for s in wanted if s.split == "train"), wanted[0])
    first = viewer_get("first-rows", dataset=report.id, config=chosen.config, split=chosen.split)
    if first.data is None:
        report.errors["first-rows"] = first.error or ""
        return []
    report.sampled = f"{chosen.config}/{chosen.split}"
    report.column_types = {f["name"]: type_name(f["type"]) for f in first.data.get("features", [])}
    rows = [r["row"] for r in first.data.get("rows", [])][:sample_rows]
    report.sample_rows = [_cut(row) for row in rows]
    return rows


def inspect_dataset(
    dataset_id: str,
    *,
    sample_rows: int = 20,
    tokenizer: str | None = None,
    config: str | None = None,
    split: str | None = None,
) -> DatasetReport:
    """Inspect a Hub dataset before training on it: licence, gating, splits and sizes, schema, sample rows,
    fit per method (SFT / GRPO / DPO, with the proposed column mapping) and quality numbers on the sample.

    ``dataset_id`` may also be a local .jsonl/.json/.parquet/.csv file: then the report has its row count,
    columns, sha256 revision, fits and quality (first ``sample_rows`` rows), and nothing is fetched.
    ``tokenizer``: a model id or local path; token lengths are then in that tokenizer's tokens (chars otherwise).
    ``config`` / ``split`` choose the sampled split (default: the first config's train split).
    ``sample_rows`` ≤ 100 rows are returned (the viewer's first rows). Never raises for network trouble: a part
    that failed is empty and ``errors[part]`` says why (offline, gated → set HF_TOKEN, not ready → retry later).
    """
    report = DatasetReport(id=dataset_id)
    sample_rows = min(max(sample_rows, 1), 100)
    if Path(dataset_id).is_file() or Path(dataset_id).is_dir():  # a local file, save_to_disk or Hub-layout folder
        rows = _local_part(report, Path(dataset_id), sample_rows)
    elif refusal := refusal_for(dataset_id, surface="hub.inspect_dataset"):  # a PostTrainBench lookup: nothing sent
        report.errors["hub"] = refusal.message()
        return report
    else:
        _hub_part(report)
        _viewer_parts(report)
        rows = _sample_part(report, sample_rows, config, split)
        unreachable = ("offline", "unreachable", "skipped")
        report.offline = all(
            any(word in report.errors.get(part, "") for word in unreachable) for part in ("hub", "splits")
        )
    if rows:
        report.fits = propose_fits(list(report.column_types), rows)
        fitting = next((f for f in report.fits if f.fits), None)
        report.quality = quality_report(
            rows, fitting.mapping if fitting else None, tokenizer=_load_tokenizer(report, tokenizer)
        )
    return report


def _local_part(report: DatasetReport, path: Path, sample_rows: int) -> list[dict[str, Any]]:
    from posttrain.tools.data.load import load_rows

    rows, revision = load_rows(path=path)
    report.revision, report.configs = revision, ["default"]
    report.splits = [SplitInfo(config="default", split="train", num_rows=len(rows))]
    report.sampled = "default/train"
    report.column_types = {k: type(v).__name__ for k, v in (rows[0] if rows else {}).items()}
    report.sample_rows = [_cut(row) for row in rows[:sample_rows]]
    return rows[:sample_rows]


def _load_tokenizer(report: DatasetReport, name: str | None) -> Any | None:
    if not name:
        return None
    try:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as exc:
        report.errors["tokenizer"] = f"could not load tokenizer {name!r} ({str(exc)[:200]}); lengths are in characters"
        return None

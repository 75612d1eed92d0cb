"""Weight-matrix statistics of a checkpoint against another of the same architecture (safetensors files only).

Per matrix: the relative change ||W - W0|| / ||W0|| and the cosine between W and W0. Both audits use them:
audit_model (does final_model descend from the base?) and audit_origin (is it closer to a cached instruct sibling
than to the base?), so they live here, below both::

    stats = weight_stats(Path("final_model"), Path("base"))   # {"median_relative_change": 0.03, ...}
"""

import statistics
from pathlib import Path
from typing import Any


UNRELATED_COSINE = 0.2  # below this a matrix does not descend from the base's


def _tensors(folder: Path) -> dict[str, tuple[Path, tuple[int, ...]]]:
    from safetensors import safe_open

    found = {}
    for file in sorted(folder.glob("*.safetensors")):
        with safe_open(str(file), framework="pt") as handle:
            for name in handle.keys():
                found[name] = (file, tuple(handle.get_slice(name).get_shape()))
    return found


def _load(file: Path, name: str):
    from safetensors import safe_open

    with safe_open(str(file), framework="pt") as handle:
        return handle.get_tensor(name).float()


def weight_stats(final: Path, base: Path) -> dict[str, Any]:
    """Names/shapes compared, then per matrix the relative change and cosine to the base."""
    mine, theirs = _tensors(final), _tensors(base)
    missing, extra = sorted(set(theirs) - set(mine)), sorted(set(mine) - set(theirs))
    reshaped = sorted(n for n in set(mine) & set(theirs) if mine[n][1] != theirs[n][1])
    changes, cosines, unrelated = [], [], []
    for name in sorted(set(mine) & set(theirs)):
        if name in reshaped or len(mine[name][1]) < 2:
            continue
        a, b = _load(theirs[name][0], name), _load(mine[name][0], name)
        norm = a.norm().item()
        changes.append((b - a).norm().item() / max(norm, 1e-12))
        cosine = (a.flatten() @ b.flatten()).item() / max(norm * b.norm().item(), 1e-12)
        cosines.append(cosine)
        if cosine < UNRELATED_COSINE:
            unrelated.append(name)
    return {"tensors": len(mine), "missing": missing[:10], "extra": extra[:10], "reshaped": reshaped[:10],
            "matrices": len(changes), "unrelated": unrelated[:10],
            "unrelated_share": len(unrelated) / max(1, len(changes)),
            "median_relative_change": statistics.median(changes) if changes else 0.0,
            "max_relative_change": max(changes, default=0.0),
            "median_cosine": statistics.median(cosines) if cosines else 1.0, "min_cosine": min(cosines, default=1.0)}

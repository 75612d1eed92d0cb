"""Always leave a valid `final_model/`: the best checkpoint (LoRA merged, tokenizer with its chat template,
`generation_config.json` from the Evaluator's decoding check) is written to a temporary folder beside the output
and swapped in atomically, so a kill at any moment leaves either the previous package or the new one, never half.

The swap exchanges the two folders in one `renameat2(RENAME_EXCHANGE)` call where Linux offers it; elsewhere it
renames the old folder aside, the new one in, and `recover()` puts the old one back if a kill fell in between.

`Packager` is an event-bus subscriber: it packages the base model when the run starts and, after every iteration
(`IterationFinished`), the ledger's best checkpoint when it changed.
"""

import ctypes
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from posttrain.tools.errors import ToolError


SKIP_FILES = {"training_args.bin", "optimizer.pt", "scheduler.pt", "trainer_state.json", "worker.pid"}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer_config.json")
MARKER = "posttrain_package.json"


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def recover(out: Path) -> None:
    """After a kill: restore a renamed-aside package if the output is missing; drop half-written temporaries."""
    out = Path(out)
    olds = sorted(out.parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if not out.exists() and olds:
        os.rename(olds.pop(), out)
    for stale in [*olds, *out.parent.glob(f".{out.name}.tmp-*")]:
        shutil.rmtree(stale, ignore_errors=True)


def _place(src: Path, dst: Path) -> None:
    """Weights are hard-linked when possible (never rewritten in place); everything else is copied."""
    if src.suffix == ".safetensors":
        try:
            os.link(os.path.realpath(src), dst)
            return
        except OSError:
            pass
    shutil.copyfile(src, dst)  # follows Hub-cache symlinks: the package holds the bytes


def _copy_model(src: Path, tmp: Path, base: Path | None) -> None:
    if (src / "adapter_config.json").is_file() and not (src / "config.json").is_file():
        _merge_adapter(src, tmp)
    else:
        for item in src.iterdir():
            if item.is_file() and item.name not in SKIP_FILES and not item.name.startswith("."):
                _place(item, tmp / item.name)
    donors = [d for d in (src, base) if d is not None]
    if not any((tmp / name).is_file() for name in TOKENIZER_FILES):
        donor = next((d for d in donors if any((d / n).is_file() for n in TOKENIZER_FILES)), None)
        if donor is None:
            raise ToolError(f"no tokenizer in {src} or the base model; fix: save the tokenizer beside the checkpoint")
        for item in donor.iterdir():
            if item.is_file() and ("token" in item.name or item.suffix in (".model", ".jinja", ".txt")):
                shutil.copyfile(item, tmp / item.name)
    if not _has_chat_template(tmp) and base is not None and (base / "chat_template.jinja").is_file():
        shutil.copyfile(base / "chat_template.jinja", tmp / "chat_template.jinja")


def _add_generation_config(tmp: Path) -> None:
    """A checkpoint the Evaluator never checked (the base): the model config's token ids, default decoding."""
    from transformers import AutoConfig, GenerationConfig

    GenerationConfig.from_model_config(AutoConfig.from_pretrained(tmp)).save_pretrained(tmp)


def _merge_adapter(src: Path, tmp: Path) -> None:
    from peft import AutoPeftModelForCausalLM

    AutoPeftModelForCausalLM.from_pretrained(src).merge_and_unload().save_pretrained(tmp)
    if (src / "generation_config.json").is_file():
        shutil.copyfile(src / "generation_config.json", tmp / "generation_config.json")


def _has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    config = folder / "tokenizer_config.json"
    return config.is_file() and bool(json.loads(config.read_text(encoding="utf-8")).get("chat_template"))


def check_package(folder: Path) -> list[str]:
    """What a package lacks (empty when complete): config, weights, tokenizer, generation config."""
    missing = []
    if not (folder / "config.json").is_file():
        missing.append("config.json")
    if not any(folder.glob("*.safetensors")) and not any(folder.glob("*.bin")):
        missing.append("weights (*.safetensors)")
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        missing.append("tokenizer")
    if not (folder / "generation_config.json").is_file():
        missing.append("generation_config.json")
    return missing


def package_model(src: str | Path, out: str | Path, *, base: str | Path | None = None,
                  info: dict[str, Any] | None = None) -> Path:
    """Write `src` (a checkpoint folder) as a complete model to `out`, atomically. Returns `out`."""
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise ToolError(f"checkpoint {src} is not a folder; fix: package a saved model directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{time.monotonic_ns()}"
    tmp.mkdir()
    try:
        _copy_model(src, tmp, Path(base) if base else None)
        missing = [m for m in check_package(tmp) if m != "generation_config.json"]
        if not missing and not (tmp / "generation_config.json").is_file():
            _add_generation_config(tmp)
        if missing:
            raise ToolError(f"package of {src} lacks {', '.join(missing)}; fix: save the full model there")
        marker = {"source": str(src), "packaged_at": time.time(), **(info or {})}
        (tmp / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
        _fsync_dir(tmp)
        _swap(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _fsync_dir(folder: Path) -> None:
    for item in folder.iterdir():
        with open(item, "rb") as handle:
            os.fsync(handle.fileno())


def _swap(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.rename(tmp, out)
        return
    if _exchange(tmp, out):  # tmp now holds the previous package; the caller removes it
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}-{time.monotonic_ns()}"
    os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def packaged_source(out: str | Path) -> dict[str, Any]:
    """The marker of the package in `out` ({} when none)."""
    marker = Path(out) / MARKER
    return json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else {}


class Packager:
    """Event-bus subscriber that keeps `out` holding the run's best model (the base until a checkpoint beats it)."""

    def __init__(self, out: str | Path, base: str | None = None):
        self.out = Path(out)
        self.base = base
        self.source: str | None = None
        self.errors: list[str] = []
        self._reported = 0

    def package(self, src: str, **info: Any) -> bool:
        if src == self.source:
            return False
        try:
            package_model(src, self.out, base=self.base, info=info)
        except Exception as exc:  # noqa: BLE001 - a failed package keeps the previous one; the run goes on
            self.errors.append(f"packaging {src} failed: {type(exc).__name__}: {exc}")
            return False
        self.source = src
        return True

    def __call__(self, item: Any) -> None:
        from posttrain.run.events import IterationFinished, Notice, RunStarted

        if not isinstance(item, RunStarted | IterationFinished):
            return
        from posttrain.run.context import current_run

        ctx = current_run()
        self.base = self.base or ctx.base_model_path
        if isinstance(item, RunStarted):
            if self.source is None and self.package(ctx.base_model_path, iteration=0, kind="base"):
                ctx.bus.publish(Notice(text=f"packaged the base model into {self.out}"))
            return
        best, where = ctx.ledger.best()
        checkpoint = ctx.ledger.best_checkpoint()
        if checkpoint and self.package(checkpoint, iteration=where, score=best.score if best else None,
                                       kind="checkpoint"):
            ctx.bus.publish(Notice(text=f"packaged iteration {where}'s checkpoint (score {best.score:.3f}) into "
                                        f"{self.out}"))
        for error in self.errors[self._reported:]:
            ctx.bus.publish(Notice(level="warning", text=error))
        self._reported = len(self.errors)

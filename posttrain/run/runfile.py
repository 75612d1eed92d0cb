"""Reading a versioned run file (`state.json`, `summary.json`) into its model, or refusing it in one line.

Each file carries a `version`. A file from an older version is brought up to the current one by its migrations (one
function per step, `version k` → `version k + 1`) before the model reads it; a file from a newer posttrain, or one
the model cannot read, is refused with a `ConfigError` naming the file and the fix (the CLI exits 2, no traceback).
"""

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from posttrain.tools.errors import ConfigError


Model = TypeVar("Model", bound=BaseModel)


class TornFile(ConfigError):
    """The file is not valid JSON. Run files are replaced atomically, so this is damage, except to a reader racing a
    writer on a filesystem without atomic rename (`posttrain status` on a live run), which may read it again."""
Migration = Callable[[dict], dict]


def read_json_object(path: Path) -> dict | None:
    """The file's JSON object; None when the file is absent (a run that has not checkpointed yet). Bad JSON is
    refused rather than read as empty: a run file is written atomically, so a torn one means damage, not timing."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc.strerror or exc}); fix: check its permissions") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TornFile(f"{path} is corrupt ({exc.msg} at line {exc.lineno}); fix: restore it from a copy of the "
                          "run, or start a new run") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} holds a JSON {type(data).__name__}, not an object; fix: restore it from a copy "
                          "of the run")
    return data


def upgrade(data: dict, path: Path, current: int, migrations: Mapping[int, Migration]) -> dict:
    """`data` brought to version `current` by `migrations` (from-version → step); a file without a `version` is
    version 0, from before run files carried one."""
    version = data.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ConfigError(f"{path} has version {version!r}, not a whole number; fix: restore it from a copy of the "
                          "run")
    if version > current:
        raise ConfigError(f"{path} is version {version}, written by a newer posttrain than this one (which reads up "
                          f"to version {current}); fix: upgrade posttrain to read it")
    while version < current:
        step = migrations.get(version)
        if step is None:
            raise ConfigError(f"{path} is version {version}, older than this posttrain reads (version "
                              f"{min(migrations, default=current)} and later); fix: read it with the posttrain "
                              "release that wrote it")
        data, version = step(dict(data)), version + 1
        data["version"] = version
    return data


def load_model(path: Path, model: type[Model], current: int, migrations: Mapping[int, Migration]) -> Model | None:
    """The run file at `path` as `model` (None when absent), migrated from an older version; ConfigError otherwise."""
    data = read_json_object(path)
    if data is None:
        return None
    data = upgrade(data, path, current, migrations)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the top level"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{path} does not read as a version-{current} {model.__name__}: {where}: {first['msg']}"
                          f"{more}; fix: restore it from a copy of the run") from None

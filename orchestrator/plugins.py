"""Plug-in specialists: `--agent package.module:factory`, `--agent path/to/file.py:factory`, or `--agent NAME` for an
installed entry point in the group `posttrain.specialists`. A factory takes the brain's model client and returns a
`posttrain.agents.specialist.Specialist`. Plug-ins are code: they load only when named on the command line of
this invocation, never from a transcript or state file (`posttrain resume RUN` refuses a run that used plug-ins
unless the same --agent specs are given again: `check_resume_plugins`). Entry points load only when named too."""

import importlib
import importlib.util
import inspect
import shlex
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from posttrain.agents.specialist import BUILTIN_ROLES, Specialist, SpecialistFactory
from posttrain.tools.errors import ConfigError


ENTRY_POINT_GROUP = "posttrain.specialists"
RESERVED = {"Manager", "user", "Debate", *BUILTIN_ROLES}


def installed_plugins() -> dict[str, str]:
    """Entry points in the `posttrain.specialists` group: name → 'module:attr'."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def resolve_factory(spec: str) -> SpecialistFactory:
    """Import the factory named by a --agent spec; one-line ConfigError naming the spec on any failure."""
    target, _, attr = spec.rpartition(":")
    if not target:  # a bare name: an installed entry point
        plugins = installed_plugins()
        if spec not in plugins:
            known = ", ".join(sorted(plugins)) or "none installed"
            raise ConfigError(f"--agent {spec!r}: no entry point of that name in {ENTRY_POINT_GROUP} ({known}); "
                              "use package.module:factory or path/to/file.py:factory")
        target, _, attr = plugins[spec].rpartition(":")
    try:
        if target.endswith(".py"):
            path = Path(target)
            if not path.exists():
                raise ConfigError(f"--agent {spec!r}: file {path} does not exist; check the path")
            module_spec = importlib.util.spec_from_file_location(f"posttrain_plugin_{path.stem}", path)
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
    except ConfigError:
        raise
    except Exception as exc:  # whatever the plug-in's import raises, report it in one line
        raise ConfigError(f"--agent {spec!r} failed to import: {type(exc).__name__}: {exc}; fix the plug-in "
                          "or its path") from exc
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ConfigError(f"--agent {spec!r}: {target} has no callable {attr!r}; name the factory after the colon")
    return factory


def load_specialist(spec: str, model_client: Any) -> Specialist:
    """Build one plug-in specialist and check what it returned."""
    factory = resolve_factory(spec)
    try:
        specialist = factory(model_client)
    except Exception as exc:
        raise ConfigError(f"--agent {spec!r}: the factory raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(specialist, Specialist):
        raise ConfigError(f"--agent {spec!r}: the factory returned {type(specialist).__name__}, not a "
                          "posttrain.agents.specialist.Specialist; return Specialist(name=..., ...)")
    if not specialist.name.isidentifier() or specialist.name in RESERVED:
        raise ConfigError(f"--agent {spec!r}: name {specialist.name!r} must be a Python identifier and not one of "
                          f"{', '.join(sorted(RESERVED))}")
    for tool in specialist.tools:
        if not callable(tool) or not inspect.getdoc(tool):
            raise ConfigError(f"--agent {spec!r}: tool {tool!r} needs to be a function with a docstring "
                              "(the docstring is what the model reads)")
    specialist.builtin = False
    specialist.origin = spec
    return specialist


def check_resume_plugins(run_dir: str, used: list[str], named: list[str]) -> None:
    """Resume loads plug-ins only when this command line names exactly the ones the run used (state.json could
    come from anyone); otherwise a one-line ConfigError says which --agent options to pass."""
    if sorted(used) == sorted(named):
        return
    again = " ".join(f"--agent {shlex.quote(spec)}" for spec in used)
    if used and not named:
        raise ConfigError(f"run {run_dir} used plug-in(s) {', '.join(used)}, which load only when named on the "
                          f"command line; check their code, then resume with {again}")
    raise ConfigError(f"run {run_dir} used plug-in(s) {', '.join(used) or 'none'}, not {', '.join(named)}; resume "
                      f"needs the same team: {'pass ' + again if used else 'drop --agent'}")

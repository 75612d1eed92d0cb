"""Every `posttrain.*` module the source names exists, including imports inside functions and `except ImportError`
fallbacks, which only run on a rare path (goal.py once fell back to a `posttrain.orchestrator.config` that never
existed)."""

import ast
import importlib.util
from pathlib import Path

import pytest


ROOT = Path(__file__).parents[1]
SOURCES = [path for folder in ("agents", "orchestrator", "posttrain", "tools")
           for path in sorted((ROOT / folder).rglob("*.py"))]


def _named_modules(path: Path) -> list[tuple[int, str]]:
    named = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("posttrain"):
            named.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            named += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("posttrain")]
    return named


def test_the_source_tree_is_found():
    assert len(SOURCES) > 100 and any(p.name == "goal.py" for p in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_posttrain_import_names_a_module_that_exists(path):
    missing = [f"{path.relative_to(ROOT)}:{line} imports {module}" for line, module in _named_modules(path)
               if importlib.util.find_spec(module) is None]
    assert not missing, missing

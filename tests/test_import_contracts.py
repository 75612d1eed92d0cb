"""The import contracts CI checks (`.ci/lint-imports`, pyproject's [tool.importlinter]): they hold on this tree, and
a copy of the tree with one planted violation fails them, naming the import: a tool reaching up into the run layer,
and a cycle between two sibling modules."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / ".ci" / "lint-imports"

pytestmark = pytest.mark.skipif(importlib.util.find_spec("importlinter") is None,
                                reason="import-linter is not installed: pip install -e '.[dev]'")


def lint(root: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "PYTHON": sys.executable}
    return subprocess.run(["bash", str(SCRIPT), str(root)], capture_output=True, text=True, timeout=300, env=env)


def copy_tree(tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    for folder in ("agents", "orchestrator", "posttrain", "tools"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_tree_keeps_its_contracts():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
    assert "2 kept, 0 broken" in done.stdout


def test_a_tool_importing_the_run_layer_breaks_the_layers(tmp_path):
    copy = copy_tree(tmp_path)
    (copy / "tools" / "planted.py").write_text('"""Planted."""\n\nfrom posttrain.run.ledger import Plan\n')
    done = lint(copy)
    assert done.returncode != 0
    assert "posttrain.tools is not allowed to import posttrain.run" in done.stdout
    assert "posttrain.tools.planted -> posttrain.run.ledger" in done.stdout


def test_a_cycle_between_sibling_modules_is_refused(tmp_path):
    copy = copy_tree(tmp_path)
    arms = copy / "agents" / "trainer" / "arms.py"
    arms.write_text(arms.read_text() + "\n\ndef _planted():\n    from posttrain.agents.trainer import tools  # noqa\n")
    done = lint(copy)
    assert done.returncode != 0
    assert "No cycles are allowed in posttrain.agents.trainer" in done.stdout

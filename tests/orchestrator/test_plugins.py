"""Plug-in specialists load through the same registry as the built-ins, from a file, a module or an entry point."""

import sys
from pathlib import Path

import pytest

from posttrain.agents.specialist import Specialist
from posttrain.orchestrator.brains import Brain, parse_brain
from posttrain.orchestrator.cli import main
from posttrain.orchestrator.plugins import load_specialist


EXAMPLE = str(Path(__file__).parents[2] / "examples" / "statistician.py") + ":build_statistician"


def test_file_plugin_loads_as_a_specialist():
    brain = Brain(parse_brain("offline"))
    client = brain.client_for(None)
    spec = load_specialist(EXAMPLE, client)
    brain.adopt(client, spec.name)
    assert isinstance(spec, Specialist) and spec.name == "Statistician" and not spec.builtin
    assert client.role == "Statistician" and spec.origin == EXAMPLE


def test_module_plugin(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "examples"))
    spec = load_specialist("statistician:build_statistician", Brain(parse_brain("offline")).client_for(None))
    assert spec.tools[0].__name__ == "check_power"
    sys.modules.pop("statistician", None)


def test_power_math():
    from importlib.util import module_from_spec, spec_from_file_location

    module_spec = spec_from_file_location("stat_example", EXAMPLE.rsplit(":", 1)[0])
    module = module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    # Two-proportion test, p=0.5, n=200 per side: (1.96+0.84)·sqrt(2·0.25/200) = 0.14
    assert module.minimum_detectable_effect(0.5, 200) == pytest.approx(0.14, abs=1e-3)


def test_agents_list_shows_builtins_and_plugin(capsys):
    assert main(["agents", "list", "--agent", EXAMPLE]) == 0
    out = capsys.readouterr().out
    for name in ("Manager", "Librarian", "DataEngineer", "Trainer", "Evaluator", "Statistician"):
        assert name in out


def test_name_clash_is_rejected(tmp_path):
    plugin = tmp_path / "clash.py"
    plugin.write_text("from posttrain.agents.specialist import Specialist\n"
                      "def build(c):\n    return Specialist(name='Trainer', description='d', system_message='s',"
                      " debate_stance='x', model_client=c)\n")
    from posttrain.tools.errors import ConfigError

    with pytest.raises(ConfigError, match="must be a Python identifier and not one of"):
        load_specialist(f"{plugin}:build", None)

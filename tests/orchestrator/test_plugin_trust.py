"""Plug-ins are code: `posttrain resume RUN` never imports what state.json names; the user has to name it again."""

import json

from posttrain.orchestrator.cli import main


def _run_with_plugin(tmp_path):
    """A stopped run whose state.json names a plug-in that leaves a marker file when it is imported."""
    marker = tmp_path / "imported.marker"
    plugin = tmp_path / "planted.py"
    plugin.write_text(
        f"open({str(marker)!r}, 'w').write('imported')\n"
        "def build(client):\n    raise RuntimeError('factory reached')\n"
    )
    spec = f"{plugin}:build"
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    config = {"goal": "Teach the base model 3-digit addition", "benchmark": "arithmetic", "run_dir": str(run_dir),
              "agents": [spec]}
    state = {"version": 1, "config": config, "base_model_path": str(run_dir / "base-model"), "ledger": {},
             "work_team": None, "transcript_lines": 0, "event_lines": 0, "elapsed_s": 0.0, "status": "stopped",
             "reason": None}
    (run_dir / "state.json").write_text(json.dumps(state))
    return run_dir, spec, marker


def test_resume_without_agent_refuses_and_imports_nothing(tmp_path, capsys):
    run_dir, spec, marker = _run_with_plugin(tmp_path)
    assert main(["resume", str(run_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "used plug-in(s)" in err and f"--agent {spec}" in err
    assert not marker.exists()  # the planted code never ran


def test_resume_with_other_agents_refuses_and_imports_nothing(tmp_path, capsys):
    run_dir, spec, marker = _run_with_plugin(tmp_path)
    other = tmp_path / "other.py"
    other.write_text("def build(client):\n    raise RuntimeError('no')\n")
    assert main(["resume", str(run_dir), "--agent", f"{other}:build"]) == 2
    assert "resume needs the same team" in capsys.readouterr().err
    assert not marker.exists()


def test_resume_with_the_same_agent_loads_it(tmp_path, capsys):
    run_dir, spec, marker = _run_with_plugin(tmp_path)
    assert main(["resume", str(run_dir), "--agent", spec]) == 2  # the plug-in's factory raises: one line, exit 2
    assert "factory reached" in capsys.readouterr().err
    assert marker.read_text() == "imported"  # named on this command line, so it was loaded


def test_entry_points_are_listed_not_imported(monkeypatch):
    from posttrain.orchestrator import plugins

    class Planted:
        name, value = "planted", "no_such_module_anywhere:build"

    monkeypatch.setattr(plugins, "entry_points", lambda group: [Planted()])
    assert plugins.installed_plugins() == {"planted": "no_such_module_anywhere:build"}  # nothing imported

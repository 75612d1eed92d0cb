"""The live console as a person sees it: the real ConsoleView on a rich Console writing to a StringIO, fed real
run events; what a terminal would finally show is rebuilt from the escape codes rich wrote (cursor up, erase line,
carriage return), so stale bars and overflowing lines are caught as a person would see them. Plus: library output
goes to the run's log file, not the console."""

import io
import json
import logging
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from autogen_agentchat.messages import MessageFactory, TextMessage, ToolCallExecutionEvent
from autogen_core.models import FunctionExecutionResult
from pydantic import TypeAdapter
from rich.console import Console

from posttrain.orchestrator.console import ConsoleView
from posttrain.orchestrator.library_logs import console_stderr, library_output_to
from posttrain.run import events as ev


def screen(output: str) -> list[str]:
    """The lines a terminal shows after `output` (rich's live display codes: \\r, \\n, cursor up, erase line)."""
    lines, row, col = [""], 0, 0
    for token in re.split(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)", output):
        if not token:
            continue
        if token == "\r":
            col = 0
        elif token == "\n":
            row, col = row + 1, 0
            if row == len(lines):
                lines.append("")
        elif token.startswith("\x1b["):
            command, argument = token[-1], token[2:-1]
            if command == "A":
                row = max(0, row - int(argument or 1))
            elif command == "K":
                lines[row] = "" if argument == "2" else lines[row][:col]
        else:
            line = lines[row].ljust(col)
            lines[row] = line[:col] + token + line[col + len(token):]
            col += len(token)
    return [line.rstrip() for line in lines if line.strip()]


def terminal(width: int = 100) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=width, highlight=False, soft_wrap=False), out


def tool_returned(name: str) -> ev.AgentMessage:
    result = FunctionExecutionResult(content='{"summary": "done"}', name=name, call_id="1", is_error=False)
    return ev.AgentMessage(iteration=1, phase="work", message=ToolCallExecutionEvent(content=[result],
                                                                                   source="Trainer"))


def training(iteration: int, steps: list[int], total: int, start: float, seconds_per_step: float) -> list:
    """TRL's logged rows as the launcher forwards them: many metrics per step, of which the line shows the loss."""
    return [ev.Progress(iteration=iteration, task="train sft", completed=s, total=total,
                        at=start + s * seconds_per_step,
                        info={"loss": 3.0 / s, "grad_norm": 0.5, "learning_rate": 1e-3, "entropy": 0.2,
                              "mean_token_accuracy": 0.9, "num_tokens": 1e6, "epoch": s / total})
            for s in steps]


def evaluation(iteration: int, start: float) -> list:
    """What the Evaluator's harness reports: the eval task around its model-loading and generation sub-tasks."""
    return [ev.Progress(iteration=iteration, task="eval caesar", completed=0, total=300, at=start),
            ev.Progress(iteration=iteration, task="load model", completed=0, total=1, at=start),
            ev.Progress(iteration=iteration, task="load model", completed=1, total=1, at=start + 2),
            ev.Progress(iteration=iteration, task="generate", completed=256, total=300, at=start + 3,
                        info={"batch_size": 256}),
            ev.Progress(iteration=iteration, task="generate", completed=300, total=300, at=start + 4),
            ev.Progress(iteration=iteration, task="eval caesar", completed=300, total=300, at=start + 4)]


def test_the_live_line_shows_step_rate_eta_and_a_metric_within_the_width() -> None:
    now = time.time()
    for width in (100, 60):
        console, out = terminal(width)
        view = ConsoleView(console)
        # 190 steps in 146.15 s: 1.3 it/s, 1300 steps left → ETA 16:40, as a TRL user reads it
        view(ev.Progress(iteration=1, task="train sft", completed=10, total=1500, at=now - 190 / 1.3,
                         info={"loss": 2.5, "grad_norm": 1.0, "learning_rate": 1e-3, "entropy": 0.5}))
        view(ev.Progress(iteration=1, task="train sft", completed=200, total=1500, at=now,
                         info={"loss": 1.53, "grad_norm": 1.0, "learning_rate": 1e-3, "mean_token_accuracy": 0.4}))
        view.progress.refresh()
        shown = screen(out.getvalue())
        assert len(shown) == 1 and len(shown[0]) <= width, shown
        line = shown[0]
        assert line.startswith("iter 1 · train sft ━") and "step 200/1500" in line, line
        if width == 100:
            assert re.search(r"step 200/1500 · 1\.3 it/s · ETA 16:(39|40) · loss 1\.53$", line), line
            assert "grad_norm" not in line and "learning_rate" not in line  # those stay in Trackio
        else:
            assert line.endswith("…")  # cut, never wrapped: the bar and the count stay on the line
        view(ev.RunFinished(status="stopped", baseline=None, best=None, best_iteration=None, best_checkpoint=None,
                            run_dir="runs/x"))


def test_finished_tasks_collapse_into_one_summary_line_each() -> None:
    console, out = terminal(100)
    view = ConsoleView(console)
    start = time.time() - 200
    items = [ev.RunStarted(goal="g", run_dir="runs/x", brain="offline", benchmark="caesar", base_model="tiny"),
             ev.IterationStarted(iteration=0, phase="work"), *evaluation(0, start),
             ev.IterationFinished(iteration=0, duration_s=4.0), ev.IterationStarted(iteration=1, phase="work"),
             ev.Progress(iteration=1, task="load sources", completed=0, total=1, at=start + 10),
             ev.Progress(iteration=1, task="load sources", completed=1, total=1, at=start + 10.2),
             *training(1, [10, 20, 30, 40, 50, 60, 70, 80, 90, 94], 94, start + 20, 0.8), tool_returned("launch"),
             *evaluation(1, start + 120), ev.IterationFinished(iteration=1, duration_s=110.0),
             ev.RunFinished(status="goal_met", baseline=0.0, best=1.0, best_iteration=1, best_checkpoint=None,
                            run_dir="runs/x")]
    for item in items:
        view(item)
        if isinstance(item, ev.Progress):
            view.progress.refresh()  # a frame per update, as the auto-refresh would draw
    shown = screen(out.getvalue())
    assert not [line for line in shown if "━" in line], shown  # no bar left behind
    summaries = [line for line in shown if line.lstrip().startswith(("✓", "■"))]
    assert [re.sub(r" in .*", "", s.strip()) for s in summaries] == [
        "✓ iter 0 · eval caesar  300/300", "✓ iter 1 · train sft  94/94 steps", "✓ iter 1 · eval caesar  300/300"]
    assert "1.2 it/s · loss 0.0319" in summaries[1]  # rate from the events' own times, the last loss
    assert not [line for line in shown if "generate" in line or "load model" in line or "load sources" in line]


def test_a_tool_that_returned_does_not_end_the_next_tools_pass() -> None:
    """The agent's next tool (the decoding check) can start reporting before the previous tool's return reaches the
    console: that return ends only the passes begun before it, not the new one ("stopped at 0/300" was wrong)."""
    console, out = terminal(100)
    view = ConsoleView(console)
    start = time.time() - 100
    returned = tool_returned("evaluate_checkpoint")
    returned.message.created_at = datetime.fromtimestamp(start + 5).astimezone()
    for item in [*evaluation(1, start), ev.Progress(iteration=1, task="eval caesar", completed=0, total=300,
                                                    at=start + 6), returned,
                 *evaluation(1, start + 6)[1:]]:
        view(item)
    shown = screen(out.getvalue())
    assert not [line for line in shown if "stopped at" in line], shown
    assert [line.strip()[:26] for line in shown if line.lstrip().startswith("✓")] == ["✓ iter 1 · eval caesar  30"] * 2


def test_a_pipe_gets_summary_lines_and_a_sparse_heartbeat_not_a_bar_per_update() -> None:
    out = io.StringIO()
    view = ConsoleView(Console(file=out, width=100), heartbeat_s=30.0)  # not a terminal: CI, `| tee`, tests
    start = time.time() - 500
    for item in [*training(1, list(range(5, 301, 5)), 400, start, 1.0), tool_returned("launch_training")]:
        view(item)
    text = out.getvalue()
    assert "\x1b" not in text and "━" not in text
    heartbeats = [line for line in text.splitlines() if "train sft  step" in line]
    assert 5 <= len(heartbeats) <= 10, heartbeats  # 300 s of training: about one line every 30 s, not 60 lines
    assert re.search(r"step \d+/400 · 1\.0 it/s · ETA \d+:\d\d · loss", heartbeats[0])
    # stopped early (budget): the tool returned before the last step, and the line says where it stopped
    assert text.splitlines()[-1].strip().startswith("■ iter 1 · train sft  stopped at step 300/400 after 4:55")


def test_messages_wrap_counting_the_speaker_prefix() -> None:
    console, out = terminal(40)
    view = ConsoleView(console)
    view(ev.AgentMessage(iteration=1, phase="debate", message=TextMessage(
        source="DataEngineer", content="No training data built yet [offline] " + "word " * 30)))
    shown = screen(out.getvalue())
    assert shown[0].startswith("DataEngineer [debate] No training")
    assert "[offline]" in shown[0] + shown[1]  # brackets in a message are text, not markup
    assert all(len(line) <= 40 for line in shown), shown


def test_library_output_goes_to_the_run_log_not_the_console(tmp_path: Path, capfd) -> None:
    from tqdm import tqdm

    log = tmp_path / "run.log"
    # a library's handler made at import, before the run: it holds the process's real stderr (fd 2)
    early = logging.getLogger("posttrain.test.early")
    early.addHandler(logging.StreamHandler(sys.__stderr__))
    early.propagate = False
    try:
        with library_output_to(log):
            print("python-level stderr", file=sys.stderr)  # noqa: T201
            os.write(2, b"native write to fd 2\n")  # what Ray's C++ core worker does
            early.warning("early handler warning")
            for _ in tqdm(range(3), desc="Writing model shards"):
                pass
            print("stopped at once", file=console_stderr(), flush=True)  # noqa: T201
        print("after the run", file=sys.stderr)  # noqa: T201
    finally:
        early.handlers.clear()
    captured = capfd.readouterr()
    text = log.read_text()
    for line in ("python-level stderr", "native write to fd 2", "early handler warning", "Writing model shards"):
        assert line in text and line not in captured.err, line
    assert "stopped at once" in captured.err and "after the run" in captured.err
    assert "stopped at once" not in text and "after the run" not in text


# -- slow: the real run's own events, replayed ----------------------------------------------------------------------
def replay_items(run_dir: Path) -> list:
    """The run's events and transcript messages in the order they happened (events.jsonl keeps progress every ~2 s)."""
    adapter, items = TypeAdapter(ev.RunEvent), []
    for line in (run_dir / "events.jsonl").read_text().splitlines():
        item = adapter.validate_json(line)
        items.append((item.at, item))
    for line in (run_dir / "transcript.jsonl").read_text().splitlines():
        record = json.loads(line)
        iteration, phase = record.pop("iteration"), record.pop("phase")
        at = datetime.fromisoformat(record["created_at"].replace("Z", "+00:00")).timestamp()
        items.append((at, ev.AgentMessage(iteration=iteration, phase=phase, message=MessageFactory().create(record))))
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


@pytest.mark.slow
def test_a_real_run_replayed_leaves_no_stale_bars(offline_run: Path) -> None:
    console, out = terminal(120)
    view = ConsoleView(console)
    for item in replay_items(offline_run):
        view(item)
        if isinstance(item, ev.Progress):
            view.progress.refresh()
    shown = screen(out.getvalue())
    assert not [line for line in shown if "━" in line]
    trained = [line for line in shown if "✓ iter 1 · train sft" in line]
    assert len(trained) == 1 and re.search(r"\d+/\d+ steps in \d+:\d\d · [\d.]+ it/s · loss", trained[0]), trained
    assert all(len(line) <= 120 for line in shown)
    ending = " ".join(shown[-4:])  # long run paths wrap
    assert f"report: posttrain report {offline_run}" in ending and "posttrain dashboard" in ending

"""The `posttrain` command line. ``main(argv=None) -> int`` is the console script.

Every subcommand lives in ``orchestrator/commands/<group>.py``. This module only assembles them and turns
posttrain's errors into one line on stderr: exit code 2 for bad input (ConfigError), 1 for other failures.
"""

import importlib
import os
import signal
import sys

import typer

from posttrain.orchestrator.commands import COMMAND_MODULES
from posttrain.tools.errors import ConfigError, PosttrainError


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="posttrain",
        help="An autonomous post-training research team: state a goal, the agents debate, train and evaluate.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for name in COMMAND_MODULES:
        importlib.import_module(f"posttrain.orchestrator.commands.{name}").register(app)
    return app


def _click_errors(name: str) -> tuple[type, ...]:
    """typer vendors click (typer._click); plain click may be used too. Both classes, where they exist."""
    found = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            pass
    return tuple(found)


def _usage_line(exc) -> str:
    """click's usage error as one line: the problem, then where the valid options are listed."""
    message = " ".join(exc.format_message().split()).rstrip(".")
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "posttrain"
    return f"error: {message}; fix: see `{where} --help`"


_PROCESS_ENTRY = False  # True when this process is the `posttrain` command itself (see entry())


def entry() -> None:
    """The `posttrain` console script and `python -m`: main(), owning the process (it may exit without Ray's
    atexit wait when Ray did not stop in time)."""
    global _PROCESS_ENTRY
    _PROCESS_ENTRY = True
    raise SystemExit(main())


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code instead of raising SystemExit.

    0 success, 1 the work failed, 2 bad input (one line, no traceback), 3 blocked, 130 interrupted."""
    from posttrain.tools.network import disable_telemetry

    disable_telemetry()  # no phoning home from this process or the workers it starts, unless the user opted in
    # Ray's C++ core worker installs a failure-signal handler that catches SIGTERM, prints native stack lines over
    # the console and aborts (exit 134). Ray reads this switch when it is imported, so it is set before anything
    # imports ray; Python tracebacks of real crashes still come from faulthandler, which Ray enables.
    os.environ.setdefault("RAY_DISABLE_FAILURE_SIGNAL_HANDLER", "1")
    ray_was_up = _ray_up()
    previous = _sigterm_as_interrupt()
    code = 1  # where an unexpected error propagates, Ray is still shut down
    try:
        code = _run_app(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if not ray_was_up and _ray_up():  # never a cluster the caller (a test session) started
            _shut_down_ray(code)
    return code


def _ray_up() -> bool:
    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM stops a command like Ctrl-C: its cleanup runs, it says so, exit 130


def _sigterm_as_interrupt():
    """Make SIGTERM stop any command like Ctrl-C (the previous handler, to restore); None where that is not
    possible (not the main thread) or the caller chose a handler already. `run` installs its own during a run."""
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            return signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:
        pass
    return None


def _shut_down_ray(code: int) -> None:
    """Shut down the Ray cluster this command started, bounded: Ray's atexit hook can hang about a minute (e.g. after
    a failure) and its processes can outlive us. Where Ray did not stop in time, exit now rather than wait again."""
    from posttrain.tools.training.launcher import shutdown_ray

    if not shutdown_ray() and _PROCESS_ENTRY:  # never end a caller's process (a test calling main())
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _run_app(argv: list[str] | None) -> int:
    app = build_app()
    try:
        # standalone_mode=False: click returns typer.Exit's code instead of raising it (and exiting)
        code = app(args=argv, prog_name="posttrain", standalone_mode=False)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201 - the CLI is the one place that prints
        return 2
    except PosttrainError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)  # noqa: T201
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except Exception as exc:  # click's usage errors and aborts, a full disk
        from posttrain.tools.errors import out_of_space

        if out_of_space(exc):  # an environment failure, not a bug: one line, what to do, no traceback
            print(f"error: {out_of_space(exc)}", file=sys.stderr)  # noqa: T201
            return 1
        if isinstance(exc, _click_errors("UsageError")):
            print(_usage_line(exc), file=sys.stderr)  # noqa: T201
            return 2
        if isinstance(exc, (typer.Abort, *_click_errors("Abort"))):  # click turns Ctrl-C into Abort
            print("interrupted", file=sys.stderr)  # noqa: T201
            return 130
        raise
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    entry()

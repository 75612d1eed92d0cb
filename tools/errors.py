"""One exception tree for posttrain. Messages name the problem and the fix; only the CLI catches everything.

>>> raise ConfigError("unknown benchmark 'foo'; use one of: arithmetic, gsm8k")
"""


class PosttrainError(Exception):
    """Root of every error posttrain raises on purpose."""


class ConfigError(PosttrainError):
    """Bad user input (flags, paths, specs). The CLI prints it on one line and exits with code 2."""


class ToolError(PosttrainError):
    """A tool could not do its job; the message tells the agent what to try next."""


class Stopped(ToolError):
    """The user asked the run to stop (Ctrl-C, SIGTERM); a long tool ends at its next progress tick."""


class NetworkError(ToolError):
    """A remote API could not be reached or refused the request."""


class EvalError(PosttrainError):
    """An evaluation could not be completed."""


class DiskFull(PosttrainError):
    """A write failed for lack of space. Not a research result: nothing later in the run can succeed until the user
    frees space, so the run fails at once (resumable) instead of planning around it."""


OUT_OF_SPACE = ("No space left on device", "Disk quota exceeded", "os error 28", "[Errno 28]", "[Errno 122]")


def out_of_space(error: BaseException | str | None) -> str | None:
    """The one-line "disk full" message when `error` (an exception, possibly wrapped, or a tool's error text) was a
    write that ran out of space; None otherwise. Libraries wrap ENOSPC in their own types (safetensors, Arrow, Ray)."""
    import errno

    text, seen = "", error
    while isinstance(seen, BaseException):
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            where = f" writing {seen.filename}" if seen.filename else ""
            return (f"the disk is full ({seen.strerror}{where}); free space or use a --run-dir on a bigger disk, "
                    "then `posttrain resume RUN`")
        text += f" {type(seen).__name__}: {seen}"
        seen = seen.__cause__ or seen.__context__
    text = text if error is None or isinstance(error, BaseException) else str(error)
    if any(marker in text for marker in OUT_OF_SPACE):
        return ("the disk is full (No space left on device); free space or use a --run-dir on a bigger disk, "
                "then `posttrain resume RUN`")
    return None


class BrainUnavailable(PosttrainError):
    """The LLM brain's endpoint kept failing past the retry bound; the run stops with its state saved."""

    def __init__(self, message: str, tries: int = 0, reason: str = ""):
        super().__init__(message)
        self.tries = tries
        self.reason = reason

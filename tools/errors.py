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


class TrainingError(PosttrainError):
    """A training run failed; carries the diagnosis when one was made."""

    def __init__(self, message: str, findings: list | None = None):
        super().__init__(message)
        self.findings = findings or []


class EvalError(PosttrainError):
    """An evaluation could not be completed."""


class BrainUnavailable(PosttrainError):
    """The LLM brain's endpoint kept failing past the retry bound; the run stops with its state saved."""

    def __init__(self, message: str, tries: int = 0, reason: str = ""):
        super().__init__(message)
        self.tries = tries
        self.reason = reason

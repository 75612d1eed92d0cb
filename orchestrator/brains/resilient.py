"""`ResilientClient`: an LLM brain that misbehaves slows a run down or stops it cleanly, never crashes it.

It wraps autogen-ext's `OpenAIChatCompletionClient` and owns the whole retry policy. The wrapped client is built
with the OpenAI SDK's own retries off (`max_retries=0`), so one try here is exactly one HTTP request and nothing is
retried twice over. Within `max_tries` and `deadline_s` (both bounds hold) it retries, with exponential backoff and
jitter, what a later try can fix:

- HTTP 408/409/429/5xx (`openai.RateLimitError`, `InternalServerError`, …), honouring `Retry-After`;
- refused or dropped connections (`openai.APIConnectionError`) and hangs: each request gets a timeout
  (`openai.APITimeoutError`), never longer than what is left of the deadline;
- malformed bodies: empty or null `choices` (autogen-ext indexes `choices[0]`: IndexError/TypeError), non-JSON.

Other HTTP statuses (a bad key, an unknown model, a rejected request) are not retried. Whatever ends the tries is
raised as one `BrainUnavailable` line; a team wraps it in a RuntimeError, so use `brain_unavailable(exc)` to find it.

A tool call the agent cannot run (arguments that are not a JSON object, a tool that was not offered) is asked
again up to `repairs` times with a note saying what was wrong (each re-ask has its own bound); after that it is
returned as is and AgentChat turns it into an `is_error` tool result the model reads. Re-asking keeps the broken
call out of the history, which some servers (vLLM) re-parse on the next request.

    client = ResilientClient(OpenAIChatCompletionClient(..., max_retries=0), RetryPolicy(max_tries=3), label="m")
"""

import asyncio
import email.utils
import json
import random
import re
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import openai
from autogen_core import CancellationToken
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage, ModelInfo, RequestUsage, UserMessage
from autogen_core.tools import Tool, ToolSchema

from posttrain.tools.errors import BrainUnavailable, ConfigError


RETRIED_STATUS = {408, 409, 429}  # and every 5xx, as the OpenAI SDK itself does
FIX = "check the endpoint, then `posttrain resume RUN`"


@dataclass
class RetryPolicy:
    """How hard to try one model call; `endpoints.retry_policy_from_env` fills it from POSTTRAIN_BRAIN_*."""

    timeout_s: float = 120.0  # one request; long generations on a slow local server take a while
    max_tries: int = 6
    deadline_s: float = 600.0  # all tries of one call together, sleeps included
    backoff_s: float = 1.0  # first sleep; doubles each try
    max_backoff_s: float = 30.0
    repairs: int = 2  # re-asks for an unusable tool call
    jitter: bool = True  # tests turn it off to get exact sleeps
    jitter_seed: int | None = None  # None: seeded from the OS

    def __post_init__(self) -> None:
        if self.max_tries < 1 or self.repairs < 0:
            raise ConfigError(f"brain retries: max_tries must be >= 1 and repairs >= 0, got {self.max_tries} and "
                              f"{self.repairs}; set POSTTRAIN_BRAIN_MAX_TRIES to 1 or more")
        if min(self.timeout_s, self.deadline_s) <= 0 or min(self.backoff_s, self.max_backoff_s) < 0:
            raise ConfigError("brain retries: timeouts must be > 0 and backoffs >= 0; fix POSTTRAIN_BRAIN_TIMEOUT_S, "
                              "POSTTRAIN_BRAIN_DEADLINE_S or POSTTRAIN_BRAIN_BACKOFF_S")


def _retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` / `retry-after` (seconds or an HTTP date); None when absent or unreadable."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name) if headers is not None else None
        if value is None:
            continue
        try:
            return max(float(value) / divisor, 0.0)
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return max(email.utils.mktime_tz(parsed) - time.time(), 0.0)
    return None


def _malformed(exc: Exception) -> str | None:
    """Describe a malformed response body, or None when `exc` is something else (a bug must not be retried)."""
    if isinstance(exc, (json.JSONDecodeError, openai.APIResponseValidationError)):
        return f"a malformed response ({type(exc).__name__}: {exc})"
    if not isinstance(exc, (IndexError, TypeError, AttributeError)):
        return None
    # autogen-ext reads `result.choices[0]` and `result.usage` straight in its `create`; the same error types raised
    # anywhere else (building the request, our code) are bugs, so only that innermost frame counts.
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code if tb else None
    if code is None or code.co_name != "create" or not code.co_filename.endswith("_openai_client.py"):
        return None
    empty = isinstance(exc, (IndexError, TypeError))  # `choices` is [] or null
    return "a response with no choices" if empty else f"a malformed response ({exc})"


def _classify(exc: Exception, timeout_s: float) -> tuple[str, bool, float | None] | None:
    """(what failed, worth retrying, Retry-After) for an endpoint failure; None for anything else."""
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retry = status in RETRIED_STATUS or status >= 500
        return f"HTTP {status} ({str(exc.message)[:120]})", retry, _retry_after(exc.response.headers)
    if isinstance(exc, openai.APITimeoutError):
        return f"no answer within {timeout_s:.3g}s", True, None
    if isinstance(exc, openai.APIConnectionError):
        return f"connection failed ({str(exc.__cause__ or exc)[:120]})", True, None
    malformed = _malformed(exc)
    return (malformed, True, None) if malformed else None


def _unusable_call(result: CreateResult, offered: set[str]) -> str | None:
    """What is wrong with the result's tool calls, as a note the model can act on; None when they can run."""
    if not isinstance(result.content, list):
        return None
    for call in result.content:
        if call.name not in offered:
            return (f"Your last reply called a tool named {call.name!r}, which does not exist. "
                    f"The tools are: {', '.join(sorted(offered)) or 'none'}. Call one of them, or answer in text.")
        try:
            is_object = isinstance(json.loads(call.arguments), dict)
        except json.JSONDecodeError:
            is_object = False
        if not is_object:
            return (f"Your last reply called {call.name} with arguments that are not a JSON object "
                    f"({call.arguments[:200]!r}). Call it again with the arguments as one valid JSON object.")
    return None


def brain_unavailable(exc: BaseException) -> BrainUnavailable | None:
    """The `BrainUnavailable` behind `exc`: raised directly by an agent, or flattened to text by a team.

    AgentChat teams re-raise a participant's exception as `RuntimeError("BrainUnavailable: <line>\\nTraceback…")`
    (nested teams add a "RuntimeError: " prefix per level), so the class is lost and only the text is left.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BrainUnavailable):
            return seen
        match = re.search(r"BrainUnavailable: (.+)", str(seen))
        if match:
            return BrainUnavailable(match.group(1).strip())
        seen = seen.__cause__ or seen.__context__
    return None


class ResilientClient(ChatCompletionClient):
    """Retries and repairs around a `ChatCompletionClient`; `failure` holds the last `BrainUnavailable` (or None)."""

    def __init__(self, inner: ChatCompletionClient, policy: RetryPolicy | None = None, *, label: str = "brain"):
        self.inner = inner
        self.policy = policy or RetryPolicy()
        self.label = label
        self.failure: BrainUnavailable | None = None
        self._rng = random.Random(self.policy.jitter_seed) if self.policy.jitter else None

    async def create(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = (),
                     tool_choice: Any = "auto", json_output: Any = None, extra_create_args: Mapping[str, Any] = {},
                     cancellation_token: CancellationToken | None = None) -> CreateResult:
        offered = {t["name"] if isinstance(t, Mapping) else t.schema["name"] for t in tools}  # schemas or Tools
        kwargs = dict(tools=tools, tool_choice=tool_choice, json_output=json_output)
        asked = list(messages)
        for _ in range(self.policy.repairs):
            result = await self._create_bounded(asked, kwargs, extra_create_args, cancellation_token)
            note = _unusable_call(result, offered)
            if note is None:
                return result
            # The broken call stays out of the history: the note alone asks for a usable one.
            asked = [*messages, UserMessage(content=note, source="posttrain")]
        return await self._create_bounded(asked, kwargs, extra_create_args, cancellation_token)

    async def _create_bounded(self, messages: list[LLMMessage], kwargs: dict[str, Any],
                              extra: Mapping[str, Any], token: CancellationToken | None) -> CreateResult:
        policy, start, attempt = self.policy, time.monotonic(), 0
        while True:
            attempt += 1
            # The policy owns the request timeout (a caller's is replaced): never past what is left of the deadline.
            timeout = max(min(policy.timeout_s, policy.deadline_s - (time.monotonic() - start)), 0.01)
            try:
                result = await self.inner.create(messages, **kwargs, extra_create_args={**extra, "timeout": timeout},
                                                 cancellation_token=token)
                self.failure = None
                return result
            except Exception as exc:  # classified below; anything we do not recognise is re-raised untouched
                verdict = _classify(exc, timeout)
                if verdict is None:
                    raise
                reason, retry, retry_after = verdict
                delay = retry_after if retry_after is not None else self._backoff(attempt)
                spent = time.monotonic() - start
                if not retry or attempt == policy.max_tries or spent + delay >= policy.deadline_s:
                    raise self._give_up(reason, attempt, spent, retry, retry_after) from exc
            await self._sleep(delay, token)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.policy.backoff_s * 2 ** (attempt - 1), self.policy.max_backoff_s)
        return delay * (1 - 0.25 * self._rng.random()) if self._rng else delay  # jitter only shortens

    async def _sleep(self, delay: float, token: CancellationToken | None) -> None:
        sleep = asyncio.ensure_future(asyncio.sleep(delay))
        if token is not None:
            token.link_future(sleep)  # Ctrl-C during a backoff stops at once, like during a request
        await sleep

    def _give_up(self, reason: str, tries: int, spent: float, retry: bool, retry_after: float | None
                 ) -> BrainUnavailable:
        why = "" if retry else " (not retried)"
        if retry and retry_after is not None and tries < self.policy.max_tries:
            why = f" (Retry-After {retry_after:.3g}s is past the {self.policy.deadline_s:.3g}s bound)"
        plural = "try" if tries == 1 else "tries"
        self.failure = BrainUnavailable(f"{self.label} is unavailable: {reason}{why} after {tries} {plural} in "
                                        f"{spent:.1f}s; {FIX}", tries=tries, reason=reason)
        return self.failure

    async def create_stream(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = (),
                            tool_choice: Any = "auto", json_output: Any = None,
                            extra_create_args: Mapping[str, Any] = {},
                            cancellation_token: CancellationToken | None = None
                            ) -> AsyncGenerator[str | CreateResult, None]:
        # One whole result: a stream cut halfway cannot be retried cleanly, and posttrain's agents and selector
        # do not stream (model_client_stream defaults to False), so nothing is lost.
        yield await self.create(messages, tools=tools, tool_choice=tool_choice, json_output=json_output,
                                extra_create_args=extra_create_args, cancellation_token=cancellation_token)

    async def close(self) -> None:
        await self.inner.close()

    def actual_usage(self) -> RequestUsage:
        return self.inner.actual_usage()

    def total_usage(self) -> RequestUsage:
        return self.inner.total_usage()

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return self.inner.count_tokens(messages, tools=tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return self.inner.remaining_tokens(messages, tools=tools)

    @property
    def capabilities(self) -> ModelInfo:  # deprecated in autogen, still abstract
        return self.inner.model_info

    @property
    def model_info(self) -> ModelInfo:
        return self.inner.model_info

"""LLM brains behind any OpenAI-compatible endpoint (OpenAI, HF router, vLLM, Ollama) via autogen-ext's client.

Keys come from the environment only and are never written to disk (`dump_component` would mask them anyway, and
loading a masked config uses the mask as the key — so we never round-trip clients through configs).

    spec = parse_brain("vllm:Qwen/Qwen3-8B@http://localhost:8000")
    client = build_endpoint_client(spec)   # a ResilientClient around the OpenAI client

Every model call is retried within a bound (see `resilient.py`); the knobs come from the environment:

    POSTTRAIN_BRAIN_TIMEOUT_S   one request, seconds (default 120)
    POSTTRAIN_BRAIN_MAX_TRIES   tries per model call, the first included (default 6)
    POSTTRAIN_BRAIN_DEADLINE_S  all tries of one call together, sleeps included (default 600)
    POSTTRAIN_BRAIN_BACKOFF_S   first backoff sleep, doubled per try up to 30 s (default 1)

Past the bound the call raises `BrainUnavailable`, and the run stops with its state saved for `posttrain resume`.
"""

import os
import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError
from posttrain.tools.providers import HOSTED_KEYS, HOSTS, LOCAL_KEYS
from posttrain.tools.redact import is_sealed, redact, reveal


if TYPE_CHECKING:  # resilient.py imports openai and autogen: keep `posttrain --help` fast
    from posttrain.orchestrator.brains.resilient import ResilientClient, RetryPolicy


RETRY_ENV = {"timeout_s": "POSTTRAIN_BRAIN_TIMEOUT_S", "max_tries": "POSTTRAIN_BRAIN_MAX_TRIES",
             "deadline_s": "POSTTRAIN_BRAIN_DEADLINE_S", "backoff_s": "POSTTRAIN_BRAIN_BACKOFF_S"}
BrainKind = Literal["offline", "openai", "hf", "vllm", "ollama"]
HF_ROUTER_URL = f"https://{HOSTS['hf']}/v1"


class BrainSpec(BaseModel):
    """A parsed --brain value."""

    kind: BrainKind
    model: str | None = Field(None, description="Model name as the endpoint knows it.")
    base_url: str | None = Field(None, description="OpenAI-compatible base URL ending in /v1.")

    @property
    def label(self) -> str:
        """What screens, events and errors show: credentials in the URL are masked."""
        if self.kind == "offline":
            return "offline playbook (rule-based, no LLM)"
        return redact(f"{self.kind}:{self.model}" + (f" @ {self.base_url}" if self.base_url else ""))


def _with_v1(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/v1") else f"{url}/v1"


def parse_brain(text: str) -> BrainSpec:
    """Parse offline | openai:MODEL | hf:MODEL | vllm:MODEL@URL | ollama:MODEL (a value `seal`ed by the run config
    is read back with its credentials in the process that sealed it)."""
    text = reveal(text.strip())
    if is_sealed(text):
        raise ConfigError(f"--brain {text!r}: its credentials were masked when the run was saved; pass the full "
                          "--brain again (or put the key in VLLM_API_KEY instead of the URL)")
    if text == "offline":
        return BrainSpec(kind="offline")
    kind, _, rest = text.partition(":")
    if kind not in ("openai", "hf", "vllm", "ollama") or not rest:
        raise ConfigError(
            f"unknown --brain {redact(text)!r}; use offline, openai:MODEL, hf:MODEL, vllm:MODEL@URL or ollama:MODEL"
        )
    if kind == "vllm":
        found = re.match(r"(.+?)@(https?://.+)$", rest)  # the URL may carry user:pass@ itself
        model, url = found.groups() if found else ("", "")
        if not model:
            raise ConfigError(f"--brain {redact(text)!r} needs a model and a URL: vllm:MODEL@http://HOST:PORT")
        return BrainSpec(kind="vllm", model=model, base_url=_with_v1(url))
    if kind == "ollama":
        host = os.environ.get("OLLAMA_HOST", "http://localhost:11434")
        return BrainSpec(kind="ollama", model=rest, base_url=_with_v1(host if "://" in host else f"http://{host}"))
    if kind == "hf":
        return BrainSpec(kind="hf", model=rest, base_url=os.environ.get("POSTTRAIN_HF_ROUTER_URL", HF_ROUTER_URL))
    return BrainSpec(kind="openai", model=rest, base_url=os.environ.get("OPENAI_BASE_URL"))


def default_brain() -> str:
    """POSTTRAIN_BRAIN if set; an OpenAI brain when OPENAI_API_KEY is set; else the offline playbook."""
    if os.environ.get("POSTTRAIN_BRAIN"):
        return os.environ["POSTTRAIN_BRAIN"]
    return "openai:gpt-4o-mini" if os.environ.get(HOSTED_KEYS["openai"]) else "offline"


def api_key_for(spec: BrainSpec) -> str:
    env = HOSTED_KEYS.get(spec.kind)
    if env is None:  # local servers accept any placeholder
        local = LOCAL_KEYS.get(spec.kind)
        return os.environ.get(local, "EMPTY") if local else "EMPTY"
    key = os.environ.get(env)
    if not key:
        raise ConfigError(f"--brain {spec.kind}:{spec.model} needs {env} in the environment; "
                          f"export {env}=... or use --brain offline")
    return key


def check_endpoint(spec: BrainSpec, timeout_s: float = 5.0) -> int | None:
    """Fail fast, with one clear line, when the endpoint is unreachable or refuses the key. Returns the model's
    context length when `/models` says it (vLLM's `max_model_len`), else None."""
    import httpx

    url = (spec.base_url or f"https://{HOSTS['openai']}/v1").rstrip("/") + "/models"
    shown = redact(url)
    try:
        response = httpx.get(url, headers={"Authorization": f"Bearer {api_key_for(spec)}"}, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise ConfigError(f"brain endpoint {shown} is unreachable ({type(exc).__name__}: {redact(str(exc))}); "
                          "start the server, check the URL, or use --brain offline") from exc
    if response.status_code in (401, 403):
        raise ConfigError(f"brain endpoint {shown} rejected the API key (HTTP {response.status_code}); check "
                          f"{HOSTED_KEYS.get(spec.kind, 'the key variable')}")
    return context_length(response, spec.model)


def context_length(response, model: str | None) -> int | None:
    """`max_model_len` (vLLM) or `context_length` (some routers) of `model` in a `/models` answer."""
    try:
        rows = response.json().get("data") or []
    except (ValueError, AttributeError):
        return None
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and (row.get("id") == model or len(rows) == 1):
            for key in ("max_model_len", "context_length", "max_context_length"):
                if isinstance(row.get(key), int) and row[key] > 0:
                    return row[key]
    return None


def retry_policy_from_env() -> "RetryPolicy":
    """The retry bound from POSTTRAIN_BRAIN_* (unset variables keep `RetryPolicy`'s defaults)."""
    from posttrain.orchestrator.brains.resilient import RetryPolicy

    values: dict[str, float | int] = {}
    for field, env in RETRY_ENV.items():
        text = os.environ.get(env, "").strip()
        if not text:
            continue
        try:
            values[field] = int(text) if field == "max_tries" else float(text)
        except ValueError as exc:
            kind = "a whole number" if field == "max_tries" else "a number of seconds"
            raise ConfigError(f"{env}={text!r} is not {kind}; unset it or give e.g. {env}=5") from exc
    return RetryPolicy(**values)


def build_endpoint_client(spec: BrainSpec, policy: "RetryPolicy | None" = None) -> "ResilientClient":
    """A `ResilientClient` around an `OpenAIChatCompletionClient`: sequential tool calls, speaker names in the text.

    The SDK's own retries are off (max_retries=0) so the wrapper's bound is the only one, not multiplied by it.
    """
    from autogen_core.models import ModelFamily
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    from posttrain.orchestrator.brains.resilient import ResilientClient

    policy = policy or retry_policy_from_env()
    local = spec.kind != "openai"
    model_info = {"vision": False, "function_calling": True, "json_output": True, "family": ModelFamily.UNKNOWN,
                  "structured_output": True, "multiple_system_messages": False}
    kwargs = dict(model=spec.model, api_key=api_key_for(spec), parallel_tool_calls=False, temperature=0.2,
                  max_retries=0, timeout=policy.timeout_s)
    if spec.base_url:
        kwargs["base_url"] = spec.base_url
    if local or spec.base_url:
        kwargs["model_info"] = model_info
        kwargs["add_name_prefixes"] = True  # local chat templates drop `name`; keep who said what in debates
    try:
        inner = OpenAIChatCompletionClient(**kwargs)
    except ValueError as exc:  # e.g. an unknown OpenAI model name without model_info
        kwargs["model_info"] = model_info
        try:
            inner = OpenAIChatCompletionClient(**kwargs)
        except ValueError:
            raise ConfigError(f"cannot build a client for --brain {spec.label}: {exc}") from exc
    return ResilientClient(inner, policy, label=f"brain {spec.label}")

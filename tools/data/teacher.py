"""Teacher-model generation: n sampled completions per prompt with vLLM, a transformers fallback of the same
interface, or — only when the user asks for it — an OpenAI-compatible hosted API (recorded in the card).

A hosted API gets a key only from a known provider's documented variable, only at that provider's own address
(OPENAI_API_KEY → https://api.openai.com, HF_TOKEN → https://router.huggingface.co), and only after the user
allowed that provider on the command line of this invocation (`allow_hosted_teacher`, e.g. `--hosted-teacher
openai`): a spec file alone cannot send a secret anywhere. Any other URL (a local vLLM server) gets no key.

vLLM is imported lazily and used only where it can run (installed + CUDA); ``backend="auto"`` falls back to
batched ``transformers.generate`` with left padding. Sampling is seeded: prompt i uses seed ``seed + i`` on vLLM,
and each transformers batch re-seeds torch, so a rerun with the same arguments returns the same samples.

>>> out = generate_samples("runs/x/teacher", ["12+30=", "7+8="], n=4, temperature=0.8, max_new_tokens=6)
>>> out.samples[0], out.backend          # (['42', '42', '32', '42'], 'transformers')
"""

import os
import time
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, model_validator

from posttrain.tools.errors import ConfigError, NetworkError
from posttrain.tools.progress import ProgressFn, null_progress
from posttrain.tools.providers import HOSTED_KEYS, HOSTS
from posttrain.tools.redact import redact_url


TeacherBackend = Literal["auto", "vllm", "transformers", "hosted"]


class Provider(NamedTuple):
    """A hosted provider whose documented key variable may be sent, to its own address only."""

    name: str
    key_env: str
    host: str
    scheme: str = "https"
    port: int | None = None


PROVIDERS = {name: Provider(name, key_env, HOSTS[name]) for name, key_env in HOSTED_KEYS.items()}
_ALLOWED: set[str] = set()  # providers the user named on this invocation's command line


def allow_hosted_teacher(name: str) -> Provider:
    """Let this process send ``name``'s key to its own address (call only for a command-line flag, never a spec)."""
    if name not in PROVIDERS:
        raise ConfigError(f"unknown hosted teacher provider {name!r}; use one of {', '.join(sorted(PROVIDERS))}")
    _ALLOWED.add(name)
    return PROVIDERS[name]


def _provider_at(url: str) -> Provider | None:
    parts = urlsplit(url)
    for provider in PROVIDERS.values():
        if (parts.scheme, parts.hostname, parts.port) == (provider.scheme, provider.host, provider.port):
            return provider if parts.username is None else None
    return None


class HostedAPI(BaseModel):
    """An OpenAI-compatible chat-completions endpoint, used for data only when the user configures it."""

    base_url: str = Field(description="e.g. https://api.openai.com/v1 (the /chat/completions path is appended).")
    model: str = Field(description="Model name at that endpoint.")
    api_key_env: str | None = Field(
        None, description="Only a known provider's key variable (OPENAI_API_KEY for https://api.openai.com, HF_TOKEN "
        "for https://router.huggingface.co), inferred from the URL when omitted; other URLs get no key."
    )

    @model_validator(mode="after")
    def _key_only_to_its_provider(self) -> "HostedAPI":
        provider = _provider_at(self.base_url)
        if self.api_key_env is not None and (provider is None or provider.key_env != self.api_key_env):
            known = ", ".join(f"{p.key_env} for {p.scheme}://{p.host}" for p in PROVIDERS.values())
            raise ValueError(f"api_key_env {self.api_key_env!r} cannot go to {redact_url(self.base_url)}: a key goes "
                             f"only to its provider ({known}); fix: drop api_key_env for a server that needs no key")
        return self

    @property
    def provider(self) -> Provider | None:
        """The provider whose key goes with each request, or None (no key is sent)."""
        return _provider_at(self.base_url)


class TeacherSamples(BaseModel):
    """n completions per prompt, in prompt order, and how they were made."""

    samples: list[list[str]] = Field(description="samples[i] = the n completions of prompt i.")
    backend: str = Field(description="'vllm', 'transformers' or 'hosted'.")
    model: str = Field(description="Model path, Hub id or hosted model name.")
    n: int = Field(description="Completions per prompt.")
    seed: int = Field(description="Base seed.")
    duration_s: float = Field(description="Generation wall time, model loading excluded.")
    load_s: float = Field(0.0, description="Model loading time.")
    hosted_api: str | None = Field(None, description="base_url of the hosted API when one was used.")


def cut_at_stop(text: str, stop: list[str] | None) -> str:
    positions = [text.find(s) for s in stop or [] if s in text]
    return text[: min(positions)] if positions else text


def _chat(tokenizer, prompts: list[str], chat: bool) -> list[str]:
    if not chat or not getattr(tokenizer, "chat_template", None):
        return prompts
    return [
        tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
        for p in prompts
    ]


def _transformers(
    model_path: str, prompts: list[str], *, n, temperature, top_p, max_new_tokens, seed, batch_size, chat, progress
) -> tuple[list[list[str]], float]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    tokenizer.padding_side = "left"  # generation continues from the last position of every row
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype).to(device).eval()
    texts = _chat(tokenizer, prompts, chat)
    sampling = (
        {"do_sample": True, "temperature": temperature, "top_p": top_p}
        if temperature > 0
        else {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    )
    started, samples = time.perf_counter(), []
    for start in range(0, len(texts), batch_size):
        torch.manual_seed(seed + start)  # per-batch seed: reruns reproduce, batches differ
        encoded = tokenizer(
            texts[start : start + batch_size], return_tensors="pt", padding=True, add_special_tokens=False
        ).to(device)
        with torch.inference_mode():
            # greedy decoding refuses num_return_sequences > 1: decode once, repeat (the samples are identical)
            copies = n if temperature > 0 else 1
            out = model.generate(
                **encoded,
                max_new_tokens=max_new_tokens,
                num_return_sequences=copies,
                pad_token_id=tokenizer.pad_token_id,
                **sampling,
            )
        decoded = tokenizer.batch_decode(out[:, encoded["input_ids"].shape[1] :], skip_special_tokens=True)
        samples += [decoded[i : i + copies] * (n // copies) for i in range(0, len(decoded), copies)]
        progress("teacher generate", min(start + batch_size, len(texts)), len(texts))
    return samples, time.perf_counter() - started


def _vllm(
    model_path: str, prompts: list[str], *, n, temperature, top_p, max_new_tokens, seed, chat, progress
) -> tuple[list[list[str]], float]:
    import vllm

    llm = vllm.LLM(model=model_path, seed=seed)
    texts = _chat(llm.get_tokenizer(), prompts, chat)
    params = [
        vllm.SamplingParams(n=n, temperature=temperature, top_p=top_p, max_tokens=max_new_tokens, seed=seed + i)
        for i in range(len(texts))
    ]
    started = time.perf_counter()
    outputs = llm.generate(texts, params)
    progress("teacher generate", len(texts), len(texts))
    return [[c.text for c in o.outputs] for o in outputs], time.perf_counter() - started


def _hosted(
    api: HostedAPI, prompts: list[str], *, n, temperature, top_p, max_new_tokens, seed, progress
) -> tuple[list[list[str]], float]:
    import httpx

    headers, shown, provider = {}, redact_url(api.base_url), api.provider
    if provider is not None:
        if provider.name not in _ALLOWED:
            raise ConfigError(f"hosted teacher {shown} would send ${provider.key_env}, and a spec alone cannot use "
                              f"your key; fix: pass --hosted-teacher {provider.name} on the command line")
        key = os.environ.get(provider.key_env)
        if not key:
            raise ConfigError(f"hosted teacher needs ${provider.key_env}; fix: export it, or use a local teacher")
        headers["Authorization"] = f"Bearer {key}"
    started, samples = time.perf_counter(), []
    with httpx.Client(base_url=api.base_url.rstrip("/"), headers=headers, timeout=120) as client:
        for i, prompt in enumerate(prompts):
            body = {
                "model": api.model,
                "messages": [{"role": "user", "content": prompt}],
                "n": n,
                "temperature": temperature,
                "top_p": top_p,
                "max_tokens": max_new_tokens,
                "seed": seed + i,
            }
            try:
                response = client.post("/chat/completions", json=body)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise NetworkError(
                    f"hosted teacher {shown} failed on prompt {i}: {redact_url(str(exc))}; "
                    "check the key, model name and quota, or use a local teacher"
                ) from exc
            samples.append([c["message"]["content"] or "" for c in response.json()["choices"]])
            progress("teacher generate", i + 1, len(prompts))
    return samples, time.perf_counter() - started


def generate_samples(
    model: str,
    prompts: list[str],
    *,
    n: int = 4,
    temperature: float = 0.8,
    top_p: float = 1.0,
    max_new_tokens: int = 64,
    seed: int = 0,
    batch_size: int = 32,
    chat: bool = False,
    stop: list[str] | None = None,
    backend: TeacherBackend = "auto",
    hosted_api: HostedAPI | None = None,
    progress: ProgressFn = null_progress,
) -> TeacherSamples:
    """Sample ``n`` completions per prompt from a teacher model; use it to make synthetic training data.

    ``model``: local path or Hub id. ``backend``: auto (vLLM when installed with a GPU, else transformers),
    vllm, transformers, or hosted (needs ``hosted_api``; only when the user asked for a hosted API).
    ``chat`` wraps prompts in the tokenizer's chat template; ``stop`` cuts each completion at the first stop
    string. temperature 0 = greedy (all n samples equal). Returns TeacherSamples (samples[i] has n strings).
    """
    if n < 1 or max_new_tokens < 1 or batch_size < 1:
        raise ConfigError("n, max_new_tokens and batch_size must be >= 1; fix: e.g. n=4, max_new_tokens=64")
    if backend == "hosted" and hosted_api is None:
        raise ConfigError("backend 'hosted' needs hosted_api (base_url, model); fix: add it to the spec")
    from posttrain.tools.evaluation import resolve_backend

    chosen = "hosted" if backend == "hosted" else resolve_backend(backend)
    kwargs = dict(
        n=n, temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, seed=seed, progress=progress
    )
    started = time.perf_counter()
    if chosen == "hosted":
        samples, duration = _hosted(hosted_api, prompts, **kwargs)
    elif chosen == "vllm":
        samples, duration = _vllm(model, prompts, chat=chat, **kwargs)
    else:
        samples, duration = _transformers(model, prompts, batch_size=batch_size, chat=chat, **kwargs)
    from posttrain.tools.evaluation.backends import release_gpu_memory

    release_gpu_memory()  # the sampler's model is gone: give its cached GPU memory back before training starts
    load_s = max(0.0, time.perf_counter() - started - duration)
    samples = [[cut_at_stop(text, stop) for text in group] for group in samples]
    return TeacherSamples(
        samples=samples,
        backend=chosen,
        model=hosted_api.model if chosen == "hosted" else model,
        n=n,
        seed=seed,
        duration_s=round(duration, 3),
        load_s=round(load_s, 3),
        hosted_api=redact_url(hosted_api.base_url) if chosen == "hosted" else None,
    )

"""Generate completions for many prompts: vLLM when installed with a GPU, else batched transformers.

Both backends take the same ``GenerationSettings``. Unset sampling fields come from the model's
``generation_config.json`` (so a model shipped with greedy decoding is evaluated greedily); set them to override::

    result = generate("runs/x/model", ["12+30=", "7+8="], GenerationSettings(max_new_tokens=5))
    result.texts, result.backend, result.batch_size

The transformers path sorts prompts by length, pads on the left, and picks the batch size from the memory the
KV cache needs (free GPU memory, or available RAM on CPU); an out-of-memory error halves it and retries.
"""

import os
import time
from typing import Literal

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError, EvalError
from posttrain.tools.progress import ProgressFn, null_progress
from posttrain.tools.vllm_support import vllm_support, vllm_usable


Backend = Literal["auto", "vllm", "transformers"]


class GenerationSettings(BaseModel):
    """Decoding knobs; None means "as the model's generation_config.json says" (greedy when it says nothing)."""

    max_new_tokens: int = Field(64, ge=1, description="Tokens to generate per prompt.")
    temperature: float | None = Field(None, ge=0.0, description="0 = greedy; None = from generation_config.")
    top_p: float | None = Field(None, gt=0.0, le=1.0, description="Nucleus sampling; None = from generation_config.")
    seed: int = Field(0, description="Seed for sampled decoding.")
    batch_size: int | None = Field(None, ge=1, description="Fixed batch size; None = adapt to memory.")
    chat: bool = Field(False, description="Wrap each prompt as a user turn of the tokenizer's chat template.")
    stop: list[str] = Field(default_factory=list, description="Strings that end a completion early.")


class Generation(BaseModel):
    """Completions in prompt order plus how they were made."""

    texts: list[str] = Field(description="One completion per prompt, special tokens removed.")
    backend: str = Field(description="'vllm' or 'transformers'.")
    batch_size: int = Field(0, description="Largest batch used (transformers); 0 for vLLM (it schedules itself).")
    duration_s: float = Field(description="Wall time of generation, model loading excluded.")
    load_s: float = Field(0.0, description="Time to load the model and tokenizer.")
    sampling: dict[str, bool | float] = Field(
        default_factory=dict, description="Decoding actually used: do_sample, temperature, top_p.")
    finished: list[bool] = Field(default_factory=list, description="Per prompt: the completion ended by itself (end "
                                 "token or stop string), not at max_new_tokens; empty when the backend cannot tell.")
    new_tokens: list[int] = Field(default_factory=list, description="Per prompt: tokens generated up to its end "
                                  "(what an evaluation's time scales with); empty when the backend cannot tell.")


def vllm_available() -> bool:
    """True when an installed vLLM is inside TRL's supported range (`vllm_support`, which says once when it is not)
    and a CUDA device is visible (vLLM's PyPI wheel is CUDA-only)."""
    if not vllm_usable():
        return False
    import torch

    return torch.cuda.is_available()


def resolve_backend(backend: Backend) -> Literal["vllm", "transformers"]:
    """Pick the backend for ``auto``; asking for vllm where it cannot run is a ConfigError with the fix."""
    if backend == "transformers":
        return "transformers"
    if backend == "vllm":
        support = vllm_support()
        if support.installed is not None and not support.usable:
            raise ConfigError(f"--backend vllm: {support.reason}; fix: use --backend transformers (or auto), or "
                              f"install a vLLM in that range")
        if not vllm_available():
            raise ConfigError(
                "--backend vllm needs the vllm package and a CUDA GPU; fix: pip install 'posttrain[gpu]' "
                "on a GPU machine, or use --backend transformers"
            )
        return "vllm"
    if backend != "auto":
        raise ConfigError(f"unknown backend '{backend}'; use auto, vllm or transformers")
    return "vllm" if vllm_available() else "transformers"


def _sampling(model_config, settings: GenerationSettings) -> tuple[bool, float, float]:
    """(do_sample, temperature, top_p) after applying the overrides to the model's generation config."""
    temperature = settings.temperature
    if temperature is None:
        temperature = float(model_config.temperature or 1.0) if model_config.do_sample else 0.0
    top_p = settings.top_p if settings.top_p is not None else float(model_config.top_p or 1.0)
    return temperature > 0, temperature, top_p


def uses_chat_template(tokenizer, chat: bool) -> bool:
    """Whether prompts go through the chat template: asked for, and the tokenizer has one."""
    return chat and bool(getattr(tokenizer, "chat_template", None))


def _chat_prompts(tokenizer, prompts: list[str], chat: bool) -> list[str]:
    if not uses_chat_template(tokenizer, chat):
        return prompts
    return [
        tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
        for p in prompts
    ]


# On CPU a few dozen sequences already keep the cores' matrix units busy; larger batches only add padding and hold
# back the progress ticks (a 256-item batch of a 135M model ran minutes between two ticks on 2 cores).
CPU_MAX_BATCH = 64


def auto_batch_size(model, longest_tokens: int, device: str) -> int:
    """Batch size whose KV cache fits in half the free memory (GPU) or a quarter of the available RAM (CPU)."""
    import torch

    config = model.config
    text = getattr(config, "get_text_config", lambda: config)()
    layers = getattr(text, "num_hidden_layers", 24)
    heads = getattr(text, "num_key_value_heads", None) or getattr(text, "num_attention_heads", 16)
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
    per_sequence = 2 * layers * heads * head_dim * model.dtype.itemsize * max(longest_tokens, 1)
    if device.startswith("cuda"):
        free, _ = torch.cuda.mem_get_info()
        budget, most = free // 2, 256
    else:
        budget = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4
        most = CPU_MAX_BATCH
    # activations scale with batch too; x4 on the KV estimate keeps a margin for them
    return int(max(1, min(most, budget // (4 * per_sequence))))


def dtype_for(device: str):
    """bf16 on GPU (what the models are trained in), fp32 on CPU (bf16 matmuls are slow there)."""
    import torch

    return torch.bfloat16 if device.startswith("cuda") else torch.float32


def _tokenizer_source(model_path: str) -> str:
    """A LoRA adapter folder saved without its tokenizer borrows the base model's (named in adapter_config.json)."""
    import json
    from pathlib import Path

    folder = Path(model_path)
    adapter = folder / "adapter_config.json"
    if adapter.is_file() and not (folder / "tokenizer_config.json").is_file():
        return json.loads(adapter.read_text())["base_model_name_or_path"]
    return model_path


def _generate_transformers(model_path: str, prompts: list[str], settings: GenerationSettings,
                           progress: ProgressFn) -> Generation:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the weight-loading bar would interleave with ours on stderr
    progress("load model", 0, 1)
    started = time.perf_counter()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        tokenizer = AutoTokenizer.from_pretrained(_tokenizer_source(model_path))
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype_for(device)).to(device).eval()
    except OSError as exc:  # missing files, unknown Hub id, offline mode
        raise EvalError(
            f"could not load model '{model_path}': {str(exc)[:300]}; fix: pass a saved model folder, or a Hub id "
            "with network access (HF_HUB_OFFLINE unset)"
        ) from exc
    tokenizer.padding_side = "left"  # decoder-only generation continues from the last position
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    load_s = time.perf_counter() - started
    progress("load model", 1, 1)
    do_sample, temperature, top_p = _sampling(model.generation_config, settings)
    texts_in = _chat_prompts(tokenizer, prompts, settings.chat)
    # a rendered chat template already holds its BOS; raw prompts get the tokenizer's own (e.g. Llama's BOS)
    special = not uses_chat_template(tokenizer, settings.chat)
    lengths = [len(ids) for ids in tokenizer(texts_in, add_special_tokens=special)["input_ids"]]
    settings = _clamped_to_context(settings, model, max(lengths, default=0))
    order = sorted(range(len(prompts)), key=lambda i: -lengths[i])  # longest first: an OOM shows up at once
    batch = settings.batch_size or auto_batch_size(model, max(lengths, default=1) + settings.max_new_tokens, device)
    largest, done, outputs, finished = 0, 0, [""] * len(prompts), [True] * len(prompts)
    lengths_out = [0] * len(prompts)
    torch.manual_seed(settings.seed)
    started = time.perf_counter()
    while done < len(order):
        chunk = order[done : done + batch]
        try:
            texts, ended, counts = _generate_batch(model, tokenizer, [texts_in[i] for i in chunk], settings, special,
                                                   (do_sample, temperature, top_p), device)
        except torch.OutOfMemoryError as exc:
            if batch == 1:
                message = "out of memory with batch size 1; fix: lower max_new_tokens or use a bigger GPU"
                raise EvalError(message) from exc
            batch = max(1, batch // 2)
            if device == "cuda":
                torch.cuda.empty_cache()
            continue
        for index, text, end, count in zip(chunk, texts, ended, counts, strict=True):
            outputs[index], finished[index], lengths_out[index] = text, end, count
        done += len(chunk)
        largest = max(largest, len(chunk))
        progress("generate", done, len(order), batch_size=batch)
    return Generation(texts=outputs, backend="transformers", batch_size=largest, finished=finished,
                      new_tokens=lengths_out,
                      duration_s=time.perf_counter() - started, load_s=load_s,
                      sampling={"do_sample": do_sample, "temperature": temperature, "top_p": top_p})


def _clamped_to_context(settings: GenerationSettings, model, longest_prompt: int) -> GenerationSettings:
    """Never ask for tokens past the model's context: positions beyond it are undefined (and slow on CPU)."""
    context = getattr(model.config, "max_position_embeddings", None)
    if not context or longest_prompt + settings.max_new_tokens <= context:
        return settings
    return settings.model_copy(update={"max_new_tokens": max(1, context - longest_prompt)})


def _end_ids(model, tokenizer) -> set[int]:
    ids = model.generation_config.eos_token_id
    ids = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
    return ids | ({tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set())


def _generate_batch(model, tokenizer, prompts, settings, special, sampling,
                    device) -> tuple[list[str], list[bool], list[int]]:
    import torch

    do_sample, temperature, top_p = sampling
    encoded = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=special).to(device)
    kwargs = {"do_sample": do_sample, "max_new_tokens": settings.max_new_tokens,
              "pad_token_id": tokenizer.pad_token_id}
    if settings.stop:  # stop early instead of generating the whole budget; the text is cut afterwards anyway
        kwargs |= {"stop_strings": list(settings.stop), "tokenizer": tokenizer}
    kwargs |= {"temperature": temperature, "top_p": top_p} if do_sample else {"temperature": None, "top_p": None,
                                                                             "top_k": None}
    with torch.inference_mode():
        generated = model.generate(**encoded, **kwargs)
    new = generated[:, encoded["input_ids"].shape[1] :]
    texts = tokenizer.batch_decode(new, skip_special_tokens=True)
    # a row ended by itself when it produced an end token or a stop string before the budget ran out
    ends = _end_ids(model, tokenizer)
    ended = [bool(ends & set(row.tolist())) or new.shape[1] < settings.max_new_tokens
             or any(stop in text for stop in settings.stop) for row, text in zip(new, texts, strict=True)]
    counts = [next((i + 1 for i, token in enumerate(row.tolist()) if token in ends), len(row)) for row in new]
    return texts, ended, counts


def _generate_vllm(model_path: str, prompts: list[str], settings: GenerationSettings) -> Generation:
    from pathlib import Path

    import vllm

    if (Path(model_path) / "adapter_config.json").is_file():
        raise ConfigError(f"{model_path} is a LoRA adapter; fix: merge it into the base model first, or use "
                          "--backend transformers (it loads adapters through peft)")

    started = time.perf_counter()
    llm = vllm.LLM(model=model_path, seed=settings.seed)
    load_s = time.perf_counter() - started
    defaults = llm.get_default_sampling_params()  # vLLM reads generation_config.json itself, but ignores do_sample:
    # a greedy config without a temperature (as check_decoding writes) would be sampled at 1.0, so it is read here
    greedy = settings.temperature is None and _says_greedy(model_path)
    temperature = settings.temperature if settings.temperature is not None else 0.0 if greedy else defaults.temperature
    top_p = settings.top_p if settings.top_p is not None else defaults.top_p
    params = vllm.SamplingParams(temperature=temperature, top_p=top_p, max_tokens=settings.max_new_tokens,
                                 seed=settings.seed, **({"stop": list(settings.stop)} if settings.stop else {}))
    started = time.perf_counter()
    if settings.chat and llm.get_tokenizer().chat_template:
        outputs = llm.chat([[{"role": "user", "content": p}] for p in prompts], params)
    else:
        outputs = llm.generate(prompts, params)
    return Generation(texts=[o.outputs[0].text for o in outputs], backend="vllm",
                      finished=[getattr(o.outputs[0], "finish_reason", None) != "length" for o in outputs],
                      duration_s=time.perf_counter() - started, load_s=load_s,
                      sampling={"do_sample": temperature > 0, "temperature": temperature, "top_p": top_p})


def _says_greedy(model_path: str) -> bool:
    """True when the model ships a generation_config.json with do_sample false."""
    from transformers import GenerationConfig

    try:
        return not GenerationConfig.from_pretrained(model_path).do_sample
    except (OSError, ValueError):  # no generation_config.json (or unreachable): vLLM's defaults stand
        return False


def generate(model: str, prompts: list[str], settings: GenerationSettings | None = None, *,
             backend: Backend = "auto", progress: ProgressFn = null_progress) -> Generation:
    """Complete each prompt with ``model`` (local path or Hub id); returns texts in prompt order and the backend."""
    settings = settings or GenerationSettings()
    chosen = resolve_backend(backend)
    if not prompts:
        return Generation(texts=[], backend=chosen, duration_s=0.0)
    try:
        if chosen == "vllm":
            return _generate_vllm(model, prompts, settings)
        return _generate_transformers(model, prompts, settings, progress)
    finally:
        release_gpu_memory()


def release_gpu_memory() -> None:
    """Hand the card back before training starts: training runs in another process (a Ray worker), which cannot use
    memory this one's caching allocator still holds after the model is gone."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        import gc

        gc.collect()
        torch.cuda.empty_cache()

"""Is final_model an official instruct checkpoint? Evidence beyond weight statistics against the base.

Layer statistics cannot tell an instruct checkpoint of the base from heavy fine-tuning (both descend from the
base), so the audit also reads what a downloaded instruct model carries with it:

- names: config ``_name_or_path`` / ``name_or_path``, the model card (README.md ``base_model:`` or text) and the
  safetensors metadata naming a known instruct sibling of the base (``Qwen/Qwen3-1.7B`` for
  ``Qwen/Qwen3-1.7B-Base``, ``-it`` for gemma's ``-pt``, ``-Instruct``/``-Chat``/``-Thinking``) → fail;
- the tokenizer: a chat template other than the base's (posttrain's packager writes the base's, never another)
  or special tokens the base lacks → warn, fail when they are the cached instruct sibling's;
- ``generation_config.json`` of unknown origin (not the base's, not derived from the model config, not written by
  the Evaluator's decoding check beside ``posttrain_decoding.json``) → warn, fail when it is the sibling's;
- weights: when the Hub cache (``HF_HUB_CACHE`` / ``HF_HOME``) holds an instruct sibling, final_model must be
  closer to the base than to it (median relative change per matrix) → fail otherwise.
"""

import json
import os
import re
from pathlib import Path
from typing import Any


INSTRUCT_WORDS = re.compile(r"instruct|[-_]it\b|[-_]chat\b|thinking", re.I)
SPECIAL_KEYS = ("bos_token", "eos_token", "pad_token", "unk_token", "additional_special_tokens",
                "extra_special_tokens")


def instruct_siblings(base_id: str) -> list[str]:
    """Hub ids the base's maker publishes as its post-trained versions."""
    org, _, name = base_id.rpartition("/")
    prefix = f"{org}/" if org else ""
    for suffix in ("-Base", "-base"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return [prefix + stem + s for s in ("", "-Instruct", "-Chat", "-Instruct-2507", "-Thinking-2507")]
    if name.endswith("-pt"):
        return [prefix + name[:-3] + "-it"]
    return [prefix + name + s for s in ("-Instruct", "-it", "-Chat")]


def hub_id_of(path: str | Path) -> str | None:
    """`org/name` of a folder inside a Hub cache (models--org--name/snapshots/REV), else None."""
    for part in Path(path).resolve().parts:
        if part.startswith("models--"):
            return part[len("models--"):].replace("--", "/")
    return None


def hub_cache() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    return Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface") / "hub"


def cached_snapshot(repo_id: str) -> Path | None:
    """The newest cached snapshot of `repo_id` holding config.json and weights, or None."""
    snapshots = hub_cache() / f"models--{repo_id.replace('/', '--')}" / "snapshots"
    found = [s for s in snapshots.glob("*") if (s / "config.json").is_file() and any(s.glob("*.safetensors"))]
    return max(found, key=lambda s: s.stat().st_mtime, default=None)


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, json.JSONDecodeError):
        return {}


def _names_sibling(text: str, siblings: list[str]) -> str | None:
    lowered = text.lower()
    for sibling in siblings:
        if re.search(rf"(?<![\w-]){re.escape(sibling.lower())}(?![\w-])", lowered):
            return sibling
    return None


def name_signals(final: Path, siblings: list[str]) -> list[dict[str, Any]]:
    """Config, model card and safetensors metadata naming an instruct checkpoint."""
    found = []
    config = _json(final / "config.json")
    for key in ("_name_or_path", "name_or_path"):
        value = str(config.get(key) or "")
        # a local path names nothing, unless it is a Hub-cache snapshot (models--org--name/...)
        name = hub_id_of(value) if value.startswith(("/", ".", "~")) else value
        if name and (hit := _names_sibling(name, siblings) or (INSTRUCT_WORDS.search(name) and name)):
            found.append({"signal": f"config {key}", "severity": "fail", "evidence": f"{key} = {value!r} ({hit})"})
    card = final / "README.md"
    if card.is_file():
        text = card.read_text(encoding="utf-8", errors="replace")
        header = re.findall(r"^\s*-?\s*base_model\s*:?\s*(\S+)", text.split("---", 2)[1] if text.startswith("---")
                            else "", re.M)
        if hit := _names_sibling(text, siblings) or next((b for b in header if INSTRUCT_WORDS.search(b)), None):
            found.append({"signal": "model card", "severity": "fail", "evidence": f"README.md names {hit}"})
    from safetensors import safe_open

    for file in sorted(final.glob("*.safetensors")):
        with safe_open(str(file), framework="pt") as handle:
            metadata = handle.metadata() or {}
        text = " ".join(f"{k}={v}" for k, v in metadata.items() if k != "format")
        if text and (hit := _names_sibling(text, siblings) or INSTRUCT_WORDS.search(text)):
            hit = hit if isinstance(hit, str) else hit.group(0)
            found.append({"signal": "safetensors metadata", "severity": "fail",
                          "evidence": f"{file.name} metadata names {hit}: {text[:120]}"})
    return found


def _template(folder: Path) -> str | None:
    if (folder / "chat_template.jinja").is_file():
        return (folder / "chat_template.jinja").read_text(encoding="utf-8")
    if (folder / "chat_template.json").is_file():
        return str(_json(folder / "chat_template.json").get("chat_template"))
    value = _json(folder / "tokenizer_config.json").get("chat_template")
    return str(value) if value else None


def _specials(folder: Path) -> dict[str, Any]:
    config = _json(folder / "tokenizer_config.json")
    found = {k: json.dumps(config[k], sort_keys=True) for k in SPECIAL_KEYS if config.get(k)}
    added = {str(t.get("content")) for t in _json(folder / "tokenizer.json").get("added_tokens", [])}
    added |= {str(t.get("content")) for t in (config.get("added_tokens_decoder") or {}).values()}
    return {**found, "added_tokens": sorted(added)}


def tokenizer_signals(final: Path, base: Path, sibling: Path | None) -> list[dict[str, Any]]:
    """A chat template or special tokens the base does not have (the packager only ever writes the base's)."""
    found = []
    if not any((final / n).is_file() for n in ("tokenizer_config.json", "tokenizer.json")):
        return found  # no tokenizer at all: the packaging check's finding, not evidence of origin
    mine, theirs = _template(final), _template(base)
    if mine is not None and mine != theirs:  # a lost template is the packaging check's finding
        same = sibling is not None and mine is not None and mine == _template(sibling)
        found.append({"signal": "chat template", "severity": "fail" if same else "warn",
                      "evidence": "final_model's chat template is the instruct sibling's" if same else
                      ("final_model's chat template differs from the base's" if theirs else
                       "final_model has a chat template the base lacks") + " (posttrain packages the base's)"})
    ours, base_specials = _specials(final), _specials(base)
    changed = sorted(k for k in set(ours) | set(base_specials) if ours.get(k) != base_specials.get(k))
    if changed:
        same = sibling is not None and ours == _specials(sibling)
        new = sorted(set(ours.get("added_tokens", [])) - set(base_specials.get("added_tokens", [])))[:5]
        found.append({"signal": "special tokens", "severity": "fail" if same else "warn",
                      "evidence": f"tokenizer {', '.join(changed)} differ from the base's"
                                  + (f" (new tokens {new})" if new else "") + (", as the instruct sibling's" if same
                                                                              else "")})
    return found


def _generation(folder: Path) -> dict:
    return {k: v for k, v in _json(folder / "generation_config.json").items() if k != "transformers_version"}


def generation_signals(final: Path, base: Path, sibling: Path | None) -> list[dict[str, Any]]:
    """generation_config.json must come from the base, the model config, or the Evaluator's decoding check."""
    mine = _generation(final)
    if not mine or (final / "posttrain_decoding.json").is_file() or mine == _generation(base):
        return []
    if sibling is not None and mine == _generation(sibling):
        return [{"signal": "generation_config.json", "severity": "fail",
                 "evidence": "generation_config.json is the instruct sibling's"}]
    from transformers import AutoConfig, GenerationConfig

    try:
        derived = GenerationConfig.from_model_config(AutoConfig.from_pretrained(final)).to_diff_dict()
    except Exception:  # noqa: BLE001 - an unreadable config is the packaging check's finding
        derived = {}
    derived.pop("transformers_version", None)
    allowed = set(derived) | {"max_new_tokens", "do_sample"}
    if all(mine.get(k) == v for k, v in derived.items()) and set(mine) <= allowed:
        return []
    return [{"signal": "generation_config.json", "severity": "warn",
             "evidence": f"generation_config.json of unknown origin ({json.dumps(mine)[:120]}): not the base's, not "
                         "derived from the config, no posttrain_decoding.json beside it"}]


def sibling_weight_signal(final: Path, base: Path, sibling: Path, sibling_id: str) -> list[dict[str, Any]]:
    """final_model closer to the cached instruct sibling than to the base, matrix by matrix."""
    from posttrain.orchestrator.ptb.weights import weight_stats

    to_base, to_sibling = weight_stats(final, base), weight_stats(final, sibling)
    if to_sibling["reshaped"] or to_sibling["missing"]:
        return []
    a, b = to_base["median_relative_change"], to_sibling["median_relative_change"]
    evidence = f"median relative change {a:.3f} from the base, {b:.3f} from {sibling_id}"
    if b < a:
        return [{"signal": "instruct sibling weights", "severity": "fail", "evidence": evidence + ": closer to the "
                 "instruct checkpoint than to the base"}]
    return [{"signal": "instruct sibling weights", "severity": "pass", "evidence": evidence}]


def origin_signals(final: Path, base: Path, base_id: str | None = None) -> list[dict[str, Any]]:
    """Every signal, each {"signal", "severity" (fail | warn | pass), "evidence"}."""
    base_id = base_id if base_id and not Path(base_id).expanduser().exists() else hub_id_of(base)
    siblings = instruct_siblings(base_id) if base_id else []
    cached = next(((s, p) for s in siblings if (p := cached_snapshot(s)) is not None), None)
    found = name_signals(final, siblings)
    found += tokenizer_signals(final, base, cached[1] if cached else None)
    found += generation_signals(final, base, cached[1] if cached else None)
    if cached:
        found += sibling_weight_signal(final, base, cached[1], cached[0])
    else:
        found.append({"signal": "instruct sibling weights", "severity": "pass",
                      "evidence": f"no instruct sibling of {base_id or 'the base'} in {hub_cache()} to compare with"
                                  + (f" (looked for {', '.join(siblings[:3])})" if siblings else "")})
    return found

"""Fix decoding before training: measure one checkpoint greedy vs sampled, with vs without its chat template,
and save the winner beside the checkpoint so every later evaluation uses it.

A wrong decoding setting can cost more than any training run (one reported GSM8K run went from 43% to 78% by
setting greedy decoding in generation_config.json), so this is the first thing to check on a new model::

    check = check_decoding("runs/x/model", "gsm8k", "artifacts/0/decoding", limit=200)
    check.describe()     # "decoding for runs/x/model on gsm8k: chose greedy (0.780 ...); sampled 0.430 ..."
    evaluate_model("runs/x/model", "gsm8k", "artifacts/1/eval")     # now greedy, template as chosen
"""

import json
from pathlib import Path

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError
from posttrain.tools.evaluation.backends import Backend, GenerationSettings
from posttrain.tools.evaluation.benchmark import Benchmark
from posttrain.tools.evaluation.compare import Comparison, compare_reports
from posttrain.tools.evaluation.harness import DECODING_FILE, _check_model, evaluate_model
from posttrain.tools.evaluation.registry import get_benchmark
from posttrain.tools.progress import ProgressFn, null_progress


# Sampled candidate: temperature 0.7 with nucleus 0.95 is the common "sampled" setting model cards ship and chat
# UIs use. The exact values matter less than the question they answer: does sampling cost accuracy here?
SAMPLED = {"temperature": 0.7, "top_p": 0.95}


class DecodingCandidate(BaseModel):
    """One decoding setting and what it scored."""

    name: str = Field(description="greedy (the default: no template), sampled, or greedy+chat.")
    settings: dict[str, float | bool] = Field(description="do_sample, temperature, top_p, chat.")
    score: float = Field(description="Accuracy on the checked items.")
    n: int = Field(description="Items scored.")
    ci95: tuple[float, float] = Field(description="Wilson 95% interval of the score.")
    report: str = Field(description="The evaluation report file of this setting.")
    comparison: Comparison | None = Field(None, description="Paired test against the default (None for it).")
    lost: int = Field(0, description="Items whose answer was never judged: empty, cut or misread completions.")
    read_p: float | None = Field(None, description="Paired McNemar p-value of read vs lost items against the default "
                                                   "(None for it).")


class DecodingCheck(BaseModel):
    """Greedy vs sampled (and with vs without the chat template), the setting chosen, and the files written."""

    model: str = Field(description="The checkpoint that was checked.")
    benchmark: str = Field(description="Benchmark spec used for the check.")
    candidates: list[DecodingCandidate] = Field(description="Every setting measured; the first is the default.")
    chosen: str = Field(description="Name of the chosen candidate.")
    reason: str = Field(description="Why it was chosen, with the numbers.")
    written: list[str] = Field(description="Files written beside the checkpoint.")

    def describe(self) -> str:
        """One line for a transcript: the choice, then every candidate's score and p-value."""
        parts = []
        for c in self.candidates:
            versus = f" ({c.comparison.diff:+.3f}, p={c.comparison.p_value:.3g})" if c.comparison else ""
            parts.append(f"{c.name} {c.score:.3f} [{c.ci95[0]:.3f}, {c.ci95[1]:.3f}]{versus}")
        return (f"decoding for {self.model} on {self.benchmark}: chose {self.chosen} ({self.reason}); "
                f"{'; '.join(parts)} (n={self.candidates[0].n})")


def _has_chat_template(model: str) -> bool:
    from transformers import AutoTokenizer

    from posttrain.tools.evaluation.backends import _tokenizer_source

    return bool(getattr(AutoTokenizer.from_pretrained(_tokenizer_source(model)), "chat_template", None))


def _candidates(has_template: bool, default_chat: bool = False) -> list[tuple[str, dict[str, float | bool]]]:
    """Greedy in the default prompt format first (the setting kept unless beaten), then sampled in that format, then
    greedy in the other format when the tokenizer has a chat template."""
    greedy = {"do_sample": False, "temperature": 0.0, "top_p": 1.0}
    chat = default_chat and has_template
    suffix = "+chat" if chat else ""
    found = [("greedy" + suffix, greedy | {"chat": chat}), ("sampled" + suffix, {"do_sample": True, **SAMPLED,
                                                                                "chat": chat})]
    if has_template:
        found.append(("greedy" if chat else "greedy+chat", greedy | {"chat": not chat}))
    return found


def choose(candidates: list[DecodingCandidate]) -> tuple[str, str]:
    """(chosen name, reason): the default (first) unless another candidate beats it significantly (p < 0.05);
    among those that do, the best score (the simpler one on a tie, candidates being ordered simplest first)."""
    default = candidates[0]
    winners = [c for c in candidates[1:] if c.comparison and c.comparison.significant and c.comparison.diff > 0]
    # No score difference to go by: a setting whose answers are read significantly more often, at no lower score,
    # measures the skill where the default measures the format (a chat model's raw prompts come back empty).
    readable = [c for c in candidates[1:] if not winners and c.read_p is not None and c.read_p < 0.05
                and c.lost < default.lost and c.score >= default.score]
    if readable:
        best = min(readable, key=lambda c: (c.lost, -c.score))
        return best.name, (f"no score difference at p<0.05 ({best.name} {best.score:.3f}, {default.name} "
                           f"{default.score:.3f}), but {best.name}'s answers were read on {best.n - best.lost} items "
                           f"against {default.n - default.lost} (p={best.read_p:.3g}): the default measures the "
                           "format, not the skill")
    if not winners:
        best = max(candidates, key=lambda c: c.score)
        note = f"; {best.name} scored {best.score:.3f}, not significantly better" if best is not default else ""
        return default.name, f"no setting beat {default.name} ({default.score:.3f}) at p<0.05{note}"
    best = max(winners, key=lambda c: c.score)  # max keeps the first of equal scores: the simpler setting
    assert best.comparison is not None
    return best.name, (f"{best.name} {best.score:.3f} beat {default.name} {default.score:.3f} "
                       f"(diff {best.comparison.diff:+.3f}, p={best.comparison.p_value:.3g})")


def decoding_record(chosen: DecodingCandidate, candidates: list[DecodingCandidate], benchmark: str) -> dict:
    """What posttrain_decoding.json holds: the prompt format and sampling chosen, and every candidate's score."""
    return {"chat_template": bool(chosen.settings["chat"]), "chosen": chosen.name, "settings": chosen.settings,
            "scores": {c.name: c.score for c in candidates}, "benchmark": benchmark, "n": chosen.n}


def save_decoding(model_dir: Path, chosen: DecodingCandidate, candidates: list[DecodingCandidate],
                  benchmark: str) -> list[str]:
    """Update the checkpoint's generation_config.json (its eos/pad ids kept) and write posttrain_decoding.json."""
    from transformers import AutoConfig, GenerationConfig

    try:
        config = GenerationConfig.from_pretrained(model_dir)
    except OSError:  # no generation_config.json: start from the model config's token ids
        try:
            config = GenerationConfig.from_model_config(AutoConfig.from_pretrained(model_dir))
        except (OSError, ValueError):  # a LoRA adapter folder has no config.json either
            config = GenerationConfig()
    sampled = bool(chosen.settings["do_sample"])
    config.do_sample = sampled
    # greedy leaves temperature/top_p unset: transformers refuses to save them beside do_sample=False
    config.temperature = float(chosen.settings["temperature"]) if sampled else None
    config.top_p = float(chosen.settings["top_p"]) if sampled else None
    if not sampled:
        config.top_k = None
    config.save_pretrained(model_dir)
    path = model_dir / DECODING_FILE
    path.write_text(json.dumps(decoding_record(chosen, candidates, benchmark), indent=1) + "\n", encoding="utf-8")
    return [str(model_dir / "generation_config.json"), str(path)]


def _lost_items(report: str) -> dict[str, bool]:
    """Item id → whether its completion was lost before judging (empty, cut or a format miss)."""
    from posttrain.tools.evaluation.report import load_records

    return {r.id: r.outcome in ("empty", "cut", "format_miss") for r in load_records(report)}


def _read_p(default: dict[str, bool], other: dict[str, bool]) -> float:
    """McNemar's exact p on read-vs-lost, items paired by id."""
    from posttrain.tools.evaluation.compare import mcnemar_exact

    shared = default.keys() & other.keys()
    only_default_read = sum(1 for i in shared if not default[i] and other[i])
    only_other_read = sum(1 for i in shared if default[i] and not other[i])
    return mcnemar_exact(only_default_read, only_other_read)


def _reusable(known: str | None, settings: GenerationSettings, limit: int | None):
    """The known report when it was made greedily with the same prompt format and budget on all items."""
    from posttrain.tools.evaluation.report import load_report

    if known is None or limit is not None or settings.temperature:
        return None
    report = load_report(known)
    used = report.settings
    same = (used.get("chat") == settings.chat and used.get("max_new_tokens") == settings.max_new_tokens
            and not used.get("decoding", {}).get("do_sample", True))
    return report if same else None


def check_decoding(model: str, benchmark: Benchmark | str, out_dir: str | Path, *, limit: int | None = None,
                   seed: int = 0, backend: Backend = "auto", default_chat: bool | None = None,
                   save_beside_model: bool = True, known: str | None = None,
                   progress: ProgressFn = null_progress) -> DecodingCheck:
    """Evaluate ``model`` (a local checkpoint folder) greedy and sampled (temperature 0.7, top_p 0.95), and with
    its chat template when the tokenizer has one; save the winner beside the checkpoint.

    Rule: the default is greedy in the default prompt format (``default_chat``: the format the checkpoint was trained
    in; else the benchmark's; the baseline of a run starts from the benchmark's), the simplest setting. Each other setting is compared
    with it on the same items by the paired McNemar test; the default is kept unless another setting scores
    significantly higher (p < 0.05), and among those that do the best score wins. The choice goes into the
    checkpoint's generation_config.json (do_sample/temperature/top_p) and posttrain_decoding.json (chat template
    on/off, scores), which ``evaluate_model`` then honours for this model. Reports land in
    ``out_dir/<candidate>/<benchmark>.json``. A base model the run does not own (``save_beside_model=False``) is
    never written to: the choice goes to ``out_dir/posttrain_decoding.json`` only. ``known``: a report of this model
    on these items already made with a candidate's exact settings (the Evaluator's own score), reused, not redone.
    """
    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    folder = Path(model).expanduser()
    if save_beside_model and not folder.is_dir():
        raise ConfigError(f"check_decoding saves its choice beside the checkpoint, but {model} is not a local folder; "
                          "fix: save the model locally first (e.g. huggingface_hub.snapshot_download) and pass it")
    _check_model(model)
    candidates = []
    default_chat = bench.chat if default_chat is None else default_chat
    for name, setting in _candidates(_has_chat_template(model), default_chat):
        settings = GenerationSettings(max_new_tokens=bench.answer_budget(bool(setting["chat"])),
                                      stop=list(bench.stop), seed=seed,
                                      temperature=setting["temperature"], top_p=setting["top_p"],
                                      chat=bool(setting["chat"]))
        report = _reusable(known, settings, limit) or evaluate_model(
            model, bench, Path(out_dir) / name.replace("+", "-"), limit=limit, backend=backend, settings=settings,
            progress=progress)
        comparison = compare_reports(candidates[0].report, report) if candidates else None
        lost = _lost_items(report.path)
        read_p = _read_p(_lost_items(candidates[0].report), lost) if candidates else None
        candidates.append(DecodingCandidate(name=name, settings=setting, score=report.score, n=report.n,
                                            ci95=report.ci95, report=report.path, comparison=comparison,
                                            lost=sum(lost.values()), read_p=read_p))
    chosen, reason = choose(candidates)
    picked = next(c for c in candidates if c.name == chosen)
    if save_beside_model:
        written = save_decoding(folder, picked, candidates, bench.spec)
    else:
        record = Path(out_dir) / DECODING_FILE
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(decoding_record(picked, candidates, bench.spec), indent=1) + "\n",
                          encoding="utf-8")
        written = [str(record)]
    return DecodingCheck(model=model, benchmark=bench.spec, candidates=candidates, chosen=chosen, reason=reason,
                         written=written)

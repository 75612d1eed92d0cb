"""Offline recipe-card extraction: regular expressions and keyword lists over a paper's sections.

The rules only record what a sentence states outright (a named method, a model with a size, a known dataset, a
"learning rate of 1e-6", "49.3% on GSM8K"); anything else stays empty rather than guessed. Every value carries the
section and sentence it came from.

>>> card = fill_by_rules("arxiv:2308.01825", "RFT", [Section(title="Abstract", text="LLaMA-7B: 49.3% on GSM8K")])
>>> card.results[0].benchmark, card.results[0].score
('GSM8K', 49.3)
"""

import re
from collections import Counter

from .fulltext import Section
from .models import DatasetRef, FieldSource, Hyperparameter, RecipeCard, ReportedResult, SourcedValue


# Method name -> patterns that name it; the most-mentioned method wins, ties go to the earlier (more specific) one.
METHODS: dict[str, str] = {
    "DAPO": r"\bDAPO\b",
    "Dr. GRPO": r"\bDr\.? ?GRPO\b",
    "GRPO": r"\bGRPO\b|(?i:group relative policy optimi[sz]ation)",
    "RLOO": r"\bRLOO\b|(?i:REINFORCE leave-one-out)",
    "PPO": r"\bPPO\b|(?i:proximal policy optimi[sz]ation)",
    "DPO": r"\bDPO\b|(?i:direct preference optimi[sz]ation)",
    "KTO": r"\bKTO\b",
    "ORPO": r"\bORPO\b",
    "SimPO": r"\bSimPO\b",
    "RFT": r"\bRFT\b|(?i:rejection[- ]sampling fine-?tuning)",
    "STaR": r"\bSTaR\b",
    "SFT": r"\bSFT\b|(?i:supervised fine-?tuning|instruction tuning)",
    "LoRA": r"\bQ?LoRA\b|(?i:low-rank adaptation)",
}
# A sentence that presents the paper's own method counts more than one that mentions a baseline.
_PROPOSES = re.compile(r"\b(?:we|this paper|this work)\s+(?:propose|introduce|present|develop)", re.I)

# Dataset/benchmark name -> Hub id (None when there is no single canonical Hub repo).
DATASETS: dict[str, str | None] = {
    "GSM8K": "openai/gsm8k", "MATH-500": "HuggingFaceH4/MATH-500", "MATH": None, "AIME": None,
    "MetaMathQA": "meta-math/MetaMathQA", "NuminaMath": "AI-MO/NuminaMath-CoT", "HH-RLHF": "Anthropic/hh-rlhf",
    "UltraFeedback": "openbmb/UltraFeedback", "UltraChat": "stingning/ultrachat", "Alpaca": "tatsu-lab/alpaca",
    "AlpacaEval": "tatsu-lab/alpaca_eval", "MT-Bench": None, "OASST1": "OpenAssistant/oasst1",
    "Dolly": "databricks/databricks-dolly-15k", "MMLU": "cais/mmlu", "HumanEval": "openai/openai_humaneval",
    "MBPP": "google-research-datasets/mbpp", "ARC": "allenai/ai2_arc", "HellaSwag": "Rowan/hellaswag",
    "TruthfulQA": "truthfulqa/truthful_qa", "ShareGPT": None, "TL;DR": None,
}
BENCHMARKS = ["GSM8K", "MATH-500", "MATH", "AIME", "MMLU", "HumanEval", "MBPP", "ARC", "HellaSwag", "TruthfulQA",
              "AlpacaEval", "MT-Bench"]

MODEL_FAMILIES = (r"Qwen[\d.]*|LLaMA|Llama|Mistral|Mixtral|Gemma|Phi|DeepSeek|GPT-2|GPT-J|GPT-NeoX|Pythia|OLMo|"
                  r"Falcon|Vicuna|SmolLM\d?|BLOOM|OPT|T5|Yi|InternLM\d?")
MODEL = re.compile(rf"\b(?:{MODEL_FAMILIES})(?:[-\s]?[\w.]+?)*?[-\s]\d+(?:\.\d+)?[BM]\b")

_NUM = r"(\d+(?:\.\d+)?(?:\s*(?:[×x\*]|\\times)\s*10\s*\^?\s*\{?\s*[-−–]\s*\d+\}?|e-?\d+)?)"
_IS = r"\s*(?:(?:is|was|are|were)\s+(?:set\s+)?to|is|was|of|=|:|to|set to)?\s*"  # "is set to", "of", "=", ...
HYPERPARAMETERS: dict[str, re.Pattern] = {
    "learning_rate": re.compile(rf"(?:learning rate|\blr\b)(?: of the policy model)?{_IS}{_NUM}", re.I),
    "batch_size": re.compile(rf"batch size{_IS}(\d[\d,]*\d|\d)", re.I),
    "epochs": re.compile(r"(\d+)\s+epochs?\b|\bepochs?\s*(?:of|=|:)\s*(\d+)", re.I),
    "beta": re.compile(rf"(?:β|\\beta|\bbeta)\s*(?:=|of|is|to)\s*{_NUM}", re.I),
    "kl_coefficient": re.compile(rf"KL (?:coefficient|penalty|weight){_IS}{_NUM}", re.I),
    "num_generations": re.compile(r"(?:sample|samples|generate|sampling)\s+(\d+)\s+(?:outputs|responses|"
                                  r"completions|solutions|samples)", re.I),
    "lora_rank": re.compile(r"(?:LoRA )?rank\s*(?:r\s*)?(?:=|of)\s*(\d+)", re.I),
    "max_length": re.compile(rf"max(?:imum)? (?:sequence |generation |completion )?length{_IS}(\d[\d,]*\d|\d)", re.I),
    "warmup": re.compile(r"warm-?up\s*(?:of|over|for|=|:)?\s*(\d+\s*(?:steps|%)|\d+(?:\.\d+)?)", re.I),
    "clip_epsilon": re.compile(rf"(?:ε|\\epsilon|epsilon|clip(?:ping)? (?:ratio|range))[\w{{}}_]*\s*=\s*{_NUM}", re.I),
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])|\n")


def sentences(section: Section) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(section.text) if s.strip()]


def _source(paper_id: str, section: Section, sentence: str) -> FieldSource:
    return FieldSource(paper_id=paper_id, section=section.title, quote=sentence[:300])


def _method(paper_id: str, sections: list[Section]) -> SourcedValue | None:
    counts: Counter[str] = Counter()
    first: dict[str, tuple[Section, str]] = {}
    for section in sections:
        for sentence in sentences(section):
            weight = 3 if _PROPOSES.search(sentence) else 1
            for name, pattern in METHODS.items():
                if re.search(pattern, sentence):
                    counts[name] += weight
                    first.setdefault(name, (section, sentence))
    if not counts:
        return None
    order = list(METHODS)
    best = max(counts, key=lambda n: (counts[n], -order.index(n)))
    section, sentence = first[best]
    return SourcedValue(value=best, source=_source(paper_id, section, sentence))


def _dataset_pattern(name: str) -> re.Pattern:
    # "MATH" must be upper-case and alone, or every sentence about math would match.
    flags = 0 if name in {"MATH", "ARC", "AIME", "OPT"} else re.I
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", flags)


def fill_by_rules(paper_id: str, title: str, sections: list[Section]) -> RecipeCard:
    """A RecipeCard with every field the rules can read from ``sections``; the rest stays empty."""
    card = RecipeCard(paper_id=paper_id, title=title, sections_read=[s.title for s in sections])
    card.method = _method(paper_id, sections)
    seen_models, seen_data, seen_hp, seen_results = set(), set(), set(), set()
    for section in sections:
        for sentence in sentences(section):
            src = _source(paper_id, section, sentence)
            for match in MODEL.finditer(sentence):
                name = " ".join(match.group(0).split())
                if name.lower() not in seen_models:
                    seen_models.add(name.lower())
                    card.base_models.append(SourcedValue(value=name, source=src))
            for name, hub_id in DATASETS.items():
                if name not in seen_data and _dataset_pattern(name).search(sentence):
                    seen_data.add(name)
                    card.datasets.append(DatasetRef(name=name, hub_id=hub_id, source=src))
            for knob, pattern in HYPERPARAMETERS.items():
                match = pattern.search(sentence)
                if match and knob not in seen_hp:
                    seen_hp.add(knob)
                    value = next(g for g in match.groups() if g)
                    card.hyperparameters.append(Hyperparameter(name=knob, value=value.strip(), source=src))
            for result in _results(sentence, src):
                if (result.benchmark, result.score) not in seen_results:
                    seen_results.add((result.benchmark, result.score))
                    card.results.append(result)
    return card


def _results(sentence: str, src: FieldSource) -> list[ReportedResult]:
    """Scores stated as "49.3% on GSM8K", "GSM8K accuracy of 49.3%" or "GSM8K: 49.3"."""
    found = []
    for bench in BENCHMARKS:
        name = _dataset_pattern(bench).pattern
        patterns = [
            rf"(\d{{1,3}}(?:\.\d+)?)\s*%\s*(?:accuracy\s+|pass@1\s+)?on\s+(?:the\s+)?{name}",
            rf"{name}[^.;%]{{0,40}}?(?:accuracy|score|pass@1)\s*(?:of|:|=|is|to)\s*(\d{{1,3}}(?:\.\d+)?)\s*%?",
            rf"{name}\s*:\s*(\d{{1,3}}(?:\.\d+)?)\s*%?",
            rf"{name}[^.;%]{{0,30}}?(?:reach|achiev|obtain|scor)\w*\s+(?:an?\s+)?(?:accuracy\s+of\s+)?"
            rf"(\d{{1,3}}(?:\.\d+)?)\s*%",
        ]
        for pattern in patterns:
            match = re.search(pattern, sentence, 0 if bench in {"MATH", "ARC", "AIME"} else re.I)
            if match:
                found.append(ReportedResult(benchmark=bench, score=float(match.group(1)), source=src))
                break
    return found

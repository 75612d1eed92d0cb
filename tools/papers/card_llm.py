"""LLM recipe-card filler: an autogen ChatCompletionClient reads the sections and answers with structured output.

Every value the model returns must quote the section it came from; a value whose quote is not in that section is
dropped (and noted in ``card.errors``), so the card never holds an unsupported claim. Values merge into the rule
card: the model's method wins, lists are united.

>>> card = await fill_with_llm(rules_card, sections, OpenAIChatCompletionClient(model="gpt-4o-mini"))
"""

import re

from pydantic import BaseModel, Field, ValidationError

from .fulltext import Section
from .models import DatasetRef, FieldSource, Hyperparameter, RecipeCard, ReportedResult, SourcedValue


MAX_PROMPT_CHARS = 24_000
_PRIORITY = re.compile(r"abstract|method|approach|setup|training|implementation|experiment|result|evaluation|"
                       r"hyper|detail|appendix", re.I)


class Quoted(BaseModel):
    section: str = Field(description="Exact section title the value was read from")
    quote: str = Field(description="The sentence stating the value, copied verbatim from that section")


class DraftValue(Quoted):
    value: str = Field(description="The value as written in the paper")


class DraftDataset(Quoted):
    name: str = Field(description="Dataset name as written")
    hub_id: str | None = Field(default=None, description="Hugging Face Hub id if the paper gives one or it is certain")


class DraftHyperparameter(Quoted):
    name: str = Field(description="snake_case knob name, e.g. learning_rate, beta, num_generations, lora_rank")
    value: str = Field(description="Value as written")


class DraftResult(Quoted):
    benchmark: str = Field(description="Benchmark name")
    score: float = Field(description="The paper's own method's score as reported")


class CardDraft(BaseModel):
    """What the model must answer; empty lists / null where the paper does not say."""

    method: DraftValue | None = Field(default=None, description="Main post-training method: SFT, DPO, GRPO, ...")
    base_models: list[DraftValue] = Field(default_factory=list)
    datasets: list[DraftDataset] = Field(default_factory=list)
    hyperparameters: list[DraftHyperparameter] = Field(default_factory=list)
    results: list[DraftResult] = Field(default_factory=list)


SYSTEM = (
    "You read a machine-learning paper and extract its post-training recipe. Answer with one JSON object that "
    "matches this schema:\n{schema}\nRules: every item names the exact section title it came from and quotes the "
    "sentence verbatim; leave a field empty (null or []) when the paper does not state it; never guess."
)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _prompt_sections(sections: list[Section]) -> str:
    ordered = sorted(sections, key=lambda s: 0 if _PRIORITY.search(s.title) else 1)
    parts, used = [], 0
    for section in ordered:
        chunk = f"## {section.title}\n{section.text}\n"
        if used + len(chunk) > MAX_PROMPT_CHARS:
            chunk = chunk[: max(0, MAX_PROMPT_CHARS - used)]
        parts.append(chunk)
        used += len(chunk)
        if used >= MAX_PROMPT_CHARS:
            break
    return "\n".join(parts)


def _parse(content: str) -> CardDraft:
    text = content.strip()
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text)
    return CardDraft.model_validate_json(text)


async def fill_with_llm(card: RecipeCard, sections: list[Section], client) -> RecipeCard:
    """Ask ``client`` (an autogen ChatCompletionClient) for card fields; keep the quoted ones, merged into ``card``."""
    import json

    from autogen_core.models import SystemMessage, UserMessage

    info = client.model_info
    json_output = CardDraft if info.get("structured_output") else True if info.get("json_output") else None
    messages = [
        SystemMessage(content=SYSTEM.format(schema=json.dumps(CardDraft.model_json_schema()))),
        UserMessage(content=f"Paper {card.paper_id}: {card.title}\n\n{_prompt_sections(sections)}", source="user"),
    ]
    result = await client.create(messages, json_output=json_output)
    merged = card.model_copy(deep=True)
    try:
        draft = _parse(result.content if isinstance(result.content, str) else "")
    except (ValidationError, ValueError) as exc:
        merged.errors.append(f"LLM answer was not a valid card ({str(exc).splitlines()[0]}); kept the rule card")
        return merged
    texts = {s.title: _norm(s.text) for s in sections}

    def source(item: Quoted, label: str) -> FieldSource | None:
        section_text = texts.get(item.section)
        if section_text is None or _norm(item.quote) not in section_text:
            merged.errors.append(f"LLM value {label!r} dropped: its quote is not in section {item.section!r}")
            return None
        return FieldSource(paper_id=card.paper_id, section=item.section, quote=item.quote[:300])

    if draft.method and (src := source(draft.method, draft.method.value)):
        merged.method = SourcedValue(value=draft.method.value, source=src)
    have = {v.value.lower() for v in merged.base_models}
    merged.base_models += [SourcedValue(value=m.value, source=s) for m in draft.base_models
                           if m.value.lower() not in have and (s := source(m, m.value))]
    have = {d.name.lower() for d in merged.datasets}
    merged.datasets += [DatasetRef(name=d.name, hub_id=d.hub_id, source=s) for d in draft.datasets
                        if d.name.lower() not in have and (s := source(d, d.name))]
    have = {h.name for h in merged.hyperparameters}
    merged.hyperparameters += [Hyperparameter(name=h.name, value=h.value, source=s) for h in draft.hyperparameters
                               if h.name not in have and (s := source(h, h.name))]
    have = {(r.benchmark.lower(), r.score) for r in merged.results}
    merged.results += [ReportedResult(benchmark=r.benchmark, score=r.score, source=s) for r in draft.results
                       if (r.benchmark.lower(), r.score) not in have and (s := source(r, r.benchmark))]
    merged.filled_by = "rules+llm"
    return merged

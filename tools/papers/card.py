"""``recipe_card``: what a paper did (method, models, datasets, knobs, scores), each value traced to its section.

Reads the abstract (arXiv, else Semantic Scholar) and the full text (arXiv HTML) when reachable, fills the card by
rules, then, given an autogen ChatCompletionClient, lets the model fill more through structured output. Offline
with nothing cached, a paper in the curated catalogue still gets its method and reported settings (section
"catalogue").

>>> card = recipe_card("arxiv:2402.03300")
>>> card.method.value, [(h.name, h.value) for h in card.hyperparameters][:2]
"""

from typing import Annotated

from posttrain.tools.errors import PosttrainError

from .arxiv_source import get_arxiv_papers
from .blocklist import Blocklist
from .card_llm import fill_with_llm
from .card_rules import fill_by_rules
from .catalogue import CATALOGUE
from .fetch import BlockedError, OfflineError
from .fulltext import Section, fetch_sections
from .ids import arxiv_part, canonical_id
from .models import FieldSource, Hyperparameter, Paper, RecipeCard, SourcedValue
from .s2_source import get_s2_paper, run_sync


def _metadata(paper_id: str, errors: list[str]) -> Paper | None:
    bare = arxiv_part(paper_id)
    try:
        if bare:
            papers, missing = get_arxiv_papers([bare])
            if missing:
                errors.append(f"arXiv has no paper {bare}; fix: check the id")
            return next((p for p in papers if p.arxiv_id == bare), None)
        return get_s2_paper(paper_id)
    except OfflineError as exc:
        errors.append(f"{exc}; fix: unset POSTTRAIN_OFFLINE to read the paper")
    except PosttrainError as exc:
        errors.append(str(exc))
    return None


def _full_text(paper_id: str, errors: list[str]) -> list[Section]:
    bare = arxiv_part(paper_id)
    if not bare:
        errors.append("full text is only read from arXiv HTML; this paper has no arXiv id, so only the abstract")
        return []
    try:
        return fetch_sections(bare)
    except PosttrainError as exc:
        errors.append(str(exc))
        return []


def _from_catalogue(card: RecipeCard) -> None:
    """Fill method and knobs from the curated catalogue when the paper text gave none (e.g. offline)."""
    entry = next((t for t in CATALOGUE if t.paper_id == card.paper_id), None)
    if entry is None:
        return
    source = FieldSource(paper_id=card.paper_id, section="catalogue", quote=entry.when_to_use[:300])
    if card.method is None:
        card.method = SourcedValue(value=entry.name, source=source)
    if not card.hyperparameters:
        card.hyperparameters = [Hyperparameter(name=k, value=v, source=source)
                                for k, v in entry.key_hyperparameters.items()]
    if not card.title:
        card.title = entry.title


def recipe_card(
    paper_id: Annotated[str, "the paper, e.g. 'arxiv:2402.03300', '2305.18290' or a DOI"],
    *,
    client=None,
) -> RecipeCard:
    """Read a paper and return its recipe card; use it before copying a paper's training setup.

    RecipeCard fields: method, base_models, datasets (with Hub ids when known), hyperparameters, results
    (benchmark, score); every value has source = (paper_id, section, quote). Fields the paper does not state
    plainly stay empty. ``client``: an optional autogen ChatCompletionClient that fills more fields via structured
    output (quotes are checked against the text). ``errors`` lists what could not be read (offline, no HTML).
    """
    card, sections = _rule_card(paper_id)
    if client is not None and sections:
        card = run_sync(fill_with_llm(card, sections, client))
    return card


async def recipe_card_async(paper_id: str, *, client=None) -> RecipeCard:
    """``recipe_card`` for async callers: the model is awaited on the caller's event loop (clients are loop-bound)."""
    import asyncio

    card, sections = await asyncio.to_thread(_rule_card, paper_id)
    if client is not None and sections:
        card = await fill_with_llm(card, sections, client)
    return card


def _rule_card(paper_id: str) -> tuple[RecipeCard, list[Section]]:
    pid = canonical_id(paper_id)
    blocklist = Blocklist.from_env()
    if blocklist.blocks_id(pid):
        raise BlockedError(f"{pid} is on the user's blocklist; choose another paper")
    errors: list[str] = []
    paper = _metadata(pid, errors)
    if paper is not None and blocklist.blocks_paper(paper):
        raise BlockedError(f"{pid} is on the user's blocklist; choose another paper")
    sections = _full_text(pid, errors)
    if paper is not None and paper.abstract and not any(s.title.lower() == "abstract" for s in sections):
        sections.insert(0, Section(title="Abstract", text=paper.abstract))
    card = fill_by_rules(pid, paper.title if paper else "", sections)
    _from_catalogue(card)
    card.errors = errors + card.errors
    return card, sections

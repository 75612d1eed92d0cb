"""The Librarian's tools: search papers (arXiv, Semantic Scholar, HF Papers), a curated technique catalogue,
citation graphs ranked for a goal, and recipe cards traced to paper sections.

>>> from posttrain.tools.papers import search_papers, technique_catalogue, citation_graph, recipe_card
>>> technique_catalogue("raise GSM8K accuracy with RL", limit=3)[0].paper_id
'arxiv:2402.03300'
"""

from .blocklist import Blocklist
from .card import recipe_card, recipe_card_async
from .catalogue import technique_catalogue
from .fulltext import Section, fetch_sections
from .graph import citation_graph
from .hf_source import LinkedArtifacts, daily_papers, linked_artifacts
from .models import (
    CitationGraph,
    DatasetRef,
    FieldSource,
    GraphEdge,
    GraphNode,
    Hyperparameter,
    Paper,
    PaperHits,
    ReadingItem,
    RecipeCard,
    ReportedResult,
    SourcedValue,
    TechniqueRef,
)
from .s2_source import recommend_s2
from .search import search_papers


__all__ = [
    "Blocklist", "CitationGraph", "DatasetRef", "FieldSource", "GraphEdge", "GraphNode", "Hyperparameter",
    "LinkedArtifacts", "Paper", "PaperHits", "ReadingItem", "RecipeCard", "ReportedResult", "Section",
    "SourcedValue", "TechniqueRef", "citation_graph", "daily_papers", "fetch_sections", "linked_artifacts",
    "recipe_card", "recipe_card_async", "recommend_s2", "search_papers", "technique_catalogue",
]

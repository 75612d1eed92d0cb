"""Recipe cards: arXiv HTML sections, rule extraction with provenance, the LLM filler (Replay client), offline."""

import json

import pytest

from posttrain.tools.errors import ToolError
from posttrain.tools.papers import recipe_card, recipe_card_async
from posttrain.tools.papers.card_rules import fill_by_rules
from posttrain.tools.papers.fulltext import Section, parse_sections
from tests.conftest import Recorded


SETUP = "4.2 Training and Evaluating DeepSeekMath-RL"


@pytest.fixture
def paper_server(papers_server, own_fixtures):
    folder = own_fixtures / "papers"
    papers_server.route("/api/query", Recorded(200, (folder / "arxiv_search_grpo.atom.xml").read_bytes()))
    html = (folder / "arxiv_html_2402.03300_abridged.html").read_bytes()
    papers_server.route("/html/2402.03300", Recorded(200, html, {"Content-Type": "text/html"}))
    return papers_server


def test_html_is_split_into_sections(own_fixtures):
    html = (own_fixtures / "papers" / "arxiv_html_2402.03300_abridged.html").read_text()
    sections = parse_sections(html)
    assert [s.title for s in sections] == ["Abstract", SETUP, "4.3 Results"]  # no title block, nav or bibliography
    setup = sections[1].text
    assert "The KL coefficient is 0.04." in setup and "\\hat{A}_{i,t}=\\widetilde{r}_{i}" in setup  # LaTeX kept
    assert "MathJax" not in setup and "Table of contents" not in " ".join(s.text for s in sections)
    assert sections[2].text.splitlines()[-2:] == ["Model | GSM8K | MATH", "DeepSeekMath-RL 7B | 88.2 | 51.7"]


def test_rule_card_with_provenance(paper_server):
    card = recipe_card("arxiv:2402.03300")
    assert card.errors == [] and card.filled_by == "rules"
    assert card.title == "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open Language Models"
    assert (card.method.value, card.method.source.section) == ("GRPO", "Abstract")
    assert [m.value for m in card.base_models] == ["DeepSeekMath-Instruct 7B", "DeepSeekMath-RL 7B"]
    assert [(d.name, d.hub_id) for d in card.datasets] == [("GSM8K", "openai/gsm8k"), ("MATH", None)]
    knobs = {h.name: (h.value, h.source.section) for h in card.hyperparameters}
    assert knobs == {"learning_rate": ("1e-6", SETUP), "kl_coefficient": ("0.04", SETUP),
                     "num_generations": ("64", SETUP), "batch_size": ("1024", SETUP), "max_length": ("1024", SETUP)}
    assert [(r.benchmark, r.score) for r in card.results] == [("GSM8K", 88.2), ("MATH", 51.7)]
    assert card.results[0].source.quote == "DeepSeekMath-RL 7B achieves 88.2% on GSM8K and 51.7% on MATH."
    assert card.sections_read == ["Abstract", SETUP, "4.3 Results"]


def test_rules_leave_unstated_fields_empty():
    card = fill_by_rules("arxiv:1", "t", [Section(title="Intro", text="We study models. Results improve a lot.")])
    assert card.method is None and card.base_models == card.datasets == card.hyperparameters == card.results == []


def _replay(answer: str):
    from autogen_ext.models.replay import ReplayChatCompletionClient

    info = {"vision": False, "function_calling": False, "json_output": True, "family": "unknown",
            "structured_output": True}
    return ReplayChatCompletionClient([answer], model_info=info)


def test_llm_filler_adds_quoted_values_and_drops_unquoted_ones(paper_server):
    draft = {
        "method": {"value": "GRPO", "section": "Abstract",
                   "quote": "We introduce Group Relative Policy Optimization (GRPO)"},
        "hyperparameters": [
            {"name": "policy_updates_per_exploration", "value": "1", "section": SETUP,
             "quote": "The policy model only has a single update following each exploration stage."},
            {"name": "warmup_steps", "value": "100", "section": SETUP, "quote": "We warm up for 100 steps."},
        ],
        "results": [{"benchmark": "MATH", "score": 51.7, "section": "4.3 Results",
                     "quote": "DeepSeekMath-RL 7B achieves 88.2% on GSM8K and 51.7% on MATH."}],
    }
    client = _replay("```json\n" + json.dumps(draft) + "\n```")
    card = recipe_card("2402.03300", client=client)
    assert card.filled_by == "rules+llm"
    knobs = {h.name: h.value for h in card.hyperparameters}
    assert knobs["policy_updates_per_exploration"] == "1" and "warmup_steps" not in knobs
    assert card.errors == [f"LLM value 'warmup_steps' dropped: its quote is not in section '{SETUP}'"]
    assert [(r.benchmark, r.score) for r in card.results] == [("GSM8K", 88.2), ("MATH", 51.7)]  # no duplicate
    (call,) = client.create_calls
    assert call["json_output"].__name__ == "CardDraft"  # structured output was requested
    assert "## 4.2 Training and Evaluating DeepSeekMath-RL" in call["messages"][1].content


def test_llm_filler_with_invalid_json_keeps_the_rule_card(paper_server):
    import asyncio

    card = asyncio.run(recipe_card_async("2402.03300", client=_replay("I think it uses GRPO.")))
    assert card.method.value == "GRPO" and card.filled_by == "rules"
    assert card.errors[0].startswith("LLM answer was not a valid card")


def test_offline_card_falls_back_to_the_catalogue(paper_server, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "1")
    card = recipe_card("2305.18290")
    assert paper_server.requests == []
    assert card.title == "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
    assert card.method.value == "DPO" and card.method.source.section == "catalogue"
    assert {h.name: h.value for h in card.hyperparameters}["beta"] == "0.1"
    assert any("POSTTRAIN_OFFLINE=1" in e for e in card.errors)


def test_blocklisted_paper_is_refused(paper_server, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_PAPERS_BLOCKLIST", "2402.03300")
    with pytest.raises(ToolError, match="blocklist"):
        recipe_card("arxiv:2402.03300")
    assert paper_server.requests == []


def test_card_text_cites_paper_and_sections(paper_server):
    text = recipe_card("2402.03300").to_text()
    lines = text.splitlines()
    assert lines[0].startswith("arxiv:2402.03300 — DeepSeekMath")
    assert "method: GRPO [Abstract]" in lines
    assert f"learning_rate=1e-6 [{SETUP}]" in text and "GSM8K 88.2 [4.3 Results]" in text

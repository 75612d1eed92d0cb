"""The benchmark interface every registry entry implements: items, a scorer, a generation budget.

A benchmark turns into a list of ``Item`` (id, prompt, gold answer) and scores one completion at a time::

    bench = get_benchmark("arithmetic:digits=3")
    item = bench.eval_items(limit=1)[0]          # Item(id="arith-...", prompt="123+456=", answer="579")
    bench.score("579", item)                     # Scored(extracted="579", correct=True)

``score`` is pure and cheap, so the GRPO trainer can build its reward from it.
"""

from typing import Any, Literal

from pydantic import BaseModel, Field

from posttrain.tools.errors import ToolError


AnswerType = Literal["numeric", "choice", "code", "text"]


class Item(BaseModel):
    """One benchmark question."""

    id: str = Field(description="Stable id, unique within the benchmark; reports pair items by it.")
    prompt: str = Field(description="The text sent to the model (before any chat template).")
    answer: str = Field(description="The gold answer as text (a number, a letter, a string, or reference code).")
    meta: dict[str, Any] = Field(default_factory=dict, description="Extra fields: choices, tests, teacher labels...")


class Scored(BaseModel):
    """The verdict on one completion."""

    extracted: str | None = Field(description="The answer found in the completion; None when none was found.")
    correct: bool = Field(description="Whether the extracted answer equals the gold answer.")
    rule: str | None = Field(None, description="How the answer was found: 'boxed', 'answer marker', 'label word', "
                                               "'whole completion', 'final line', 'last number', …")


# Through a chat template a model answers the way it was tuned to: in a sentence, often after a short explanation
# ("To determine if 11,175 is odd or even, …"). A budget sized for the bare answer cuts that off and scores the
# format, not the skill; 128 tokens hold a short paragraph (~90 words). Generation stops at the end-of-turn token,
# so the room costs nothing to a model that answers briefly.
CHAT_ANSWER_TOKENS = 128


class Benchmark:
    """Base class of registry entries. Subclasses set the attributes and implement ``eval_items``.

    Attributes: ``name`` (file name of the report), ``spec`` (canonical spec string that rebuilds it),
    ``answer_type``, ``has_generator`` (synthetic, can make training items), ``max_new_tokens`` (generation
    budget), ``number_position`` (numeric scorer fallback: first or last number), ``chat`` (wrap the prompt
    in the model's chat template when it has one), ``stop`` (strings that end a completion; the text after
    the first one is cut before scoring), ``description``.
    """

    name: str = ""
    spec: str = ""
    answer_type: AnswerType = "text"
    has_generator: bool = False
    max_new_tokens: int = 64
    number_position: Literal["first", "last"] = "last"
    chat: bool = False
    stop: tuple[str, ...] = ()
    description: str = ""

    fixed_budget: bool = False  # the user set max_new_tokens explicitly: never widened
    train_capacity: int | None = None  # a generator's distinct training items outside the eval set (None: unbounded)

    def answer_budget(self, chat: bool) -> int:
        """Tokens to generate per item: the benchmark's budget, widened to ``CHAT_ANSWER_TOKENS`` when prompts go
        through a chat template (unless the user fixed the budget)."""
        if chat and not self.fixed_budget:
            return max(self.max_new_tokens, CHAT_ANSWER_TOKENS)
        return self.max_new_tokens

    def eval_items(self, limit: int | None = None) -> list[Item]:
        """The evaluation items, always the same ones in the same order (fixed by seed or by the dataset)."""
        raise NotImplementedError

    def train_items(self, n: int, seed: int = 0, teacher_noise: float = 0.0) -> list[Item]:
        """Synthetic training items disjoint from ``eval_items``; only benchmarks with a generator have them."""
        raise ToolError(
            f"benchmark '{self.name}' has no generator, so it cannot make training items; "
            "use a synthetic benchmark (arithmetic, caesar) or load a training dataset instead"
        )

    def score(self, completion: str, item: Item) -> Scored:
        """Score one completion against ``item.answer`` with this benchmark's scorer (pure, cheap: usable as a
        reward). Needs only id/prompt/answer, except code items (``meta`` test + entry_point)."""
        from posttrain.tools.evaluation.scorers import score_completion

        return score_completion(self.answer_type, completion, item, self.number_position)

    def __repr__(self) -> str:
        return f"<Benchmark {self.spec}>"


def cut_at_stop(text: str, stop: tuple[str, ...] | list[str]) -> str:
    """Cut ``text`` at the earliest stop string (the stop string itself is dropped)."""
    cut = len(text)
    for marker in stop:
        position = text.find(marker)
        if position != -1:
            cut = min(cut, position)
    return text[:cut]


def take(items: list[Item], limit: int | None) -> list[Item]:
    """The first ``limit`` items (all when limit is None); a negative limit is a user error."""
    if limit is None:
        return items
    if limit < 0:
        from posttrain.tools.errors import ConfigError

        raise ConfigError(f"limit must be >= 0, got {limit}; fix: pass a positive --limit or none")
    return items[:limit]

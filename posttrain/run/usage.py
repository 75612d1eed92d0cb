"""What the brain costs: prompt and completion tokens per agent, per iteration and per run, and the run's budget.

Counts come from the `usage` block of each response; a server that sends none is estimated with the model's own
tokenizer (or about four characters a token when it cannot be loaded), and every figure says which it is. The offline
playbook is no model: it costs nothing and says so.

    >>> parse_budget("2M").tokens, parse_budget("$5").dollars
    (2000000, 5.0)
"""

import re

from pydantic import BaseModel, Field

from posttrain.tools.errors import ConfigError


# US$ per million tokens (input, output), the providers' list prices for the models the brain table names.
PRICES: dict[str, tuple[float, float]] = {
    "openai:gpt-4o-mini": (0.15, 0.60),
    "openai:gpt-4o": (2.50, 10.00),
    "openai:gpt-4.1": (2.00, 8.00),
    "openai:gpt-4.1-mini": (0.40, 1.60),
    "openai:gpt-4.1-nano": (0.10, 0.40),
}
LOCAL_KINDS = ("vllm", "ollama")  # your own server: tokens are counted, money is not spent
NEAR_BUDGET = 0.8  # from this share of the budget on, the Manager is told


class TokenCount(BaseModel):
    """Tokens one agent (or a whole iteration or run) used."""

    prompt: int = Field(0, description="Prompt tokens sent.")
    completion: int = Field(0, description="Completion tokens received.")
    requests: int = Field(0, description="Model calls.")
    estimated: int = Field(0, description="Calls whose counts were estimated (the server sent no usage).")

    @property
    def total(self) -> int:
        return self.prompt + self.completion

    def add(self, other: "TokenCount") -> "TokenCount":
        return TokenCount(prompt=self.prompt + other.prompt, completion=self.completion + other.completion,
                          requests=self.requests + other.requests, estimated=self.estimated + other.estimated)

    def describe(self) -> str:
        how = "" if not self.estimated else (" (estimated: the server sent no usage)" if self.estimated ==
                                             self.requests else f" ({self.estimated} calls estimated)")
        return (f"{human_tokens(self.total)} tokens ({human_tokens(self.prompt)} prompt + "
                f"{human_tokens(self.completion)} completion, {self.requests} call{'' if self.requests == 1 else 's'})"
                f"{how}")


def human_tokens(n: float) -> str:
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return str(int(n))


class BrainBudget(BaseModel):
    """`--brain-budget`: tokens (`2M`, `500k`, `120000`) or money (`$5`)."""

    tokens: int | None = Field(None, description="Prompt + completion tokens for the whole run.")
    dollars: float | None = Field(None, description="US$ for the whole run at the brain's prices.")

    def describe(self) -> str:
        return f"${self.dollars:g}" if self.dollars is not None else f"{human_tokens(self.tokens or 0)} tokens"


def parse_budget(text: str) -> BrainBudget:
    raw = text.strip().replace(",", "").replace("_", "")
    money = re.fullmatch(r"\$\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:\$|usd)", raw, re.IGNORECASE)
    if money:
        value = float(money.group(1) or money.group(2))
        if value > 0:
            return BrainBudget(dollars=value)
    tokens = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmb]?)", raw, re.IGNORECASE)
    if tokens and float(tokens.group(1)) > 0:
        scale = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9}[tokens.group(2).lower()]
        return BrainBudget(tokens=int(float(tokens.group(1)) * scale))
    raise ConfigError(f"--brain-budget {text!r} is neither tokens nor money; use e.g. 2M, 500k or $5")


def parse_price(text: str) -> tuple[float, float]:
    """`--brain-price IN/OUT`: US$ per million prompt / completion tokens, e.g. 0.5/1.5."""
    found = re.fullmatch(r"\$?\s*(\d+(?:\.\d+)?)\s*/\s*\$?\s*(\d+(?:\.\d+)?)", text.strip())
    if not found:
        raise ConfigError(f"--brain-price {text!r}: give US$ per million prompt/completion tokens, e.g. 0.5/1.5")
    return float(found.group(1)), float(found.group(2))


def price_for(brain: str, price: str | None) -> tuple[float, float] | None:
    """(in, out) US$ per million tokens: --brain-price, the table, 0 for a local server; None when unknown."""
    if price:
        return parse_price(price)
    kind, _, rest = brain.partition(":")
    if kind == "offline" or kind in LOCAL_KINDS:
        return (0.0, 0.0)
    return PRICES.get(f"{kind}:{rest.split('@')[0]}")


def check_budget(brain: str, budget: str | None, price: str | None) -> None:
    """ConfigError when a money budget cannot be priced (a model outside the table and no --brain-price)."""
    if budget is None:
        if price:
            parse_price(price)
        return
    parsed = parse_budget(budget)
    if parsed.dollars is not None and price_for(brain, price) is None:
        known = ", ".join(PRICES)
        raise ConfigError(f"--brain-budget {budget}: no price known for {brain.split('@')[0]}; pass --brain-price "
                          f"IN/OUT (US$ per million tokens, e.g. 0.5/1.5) or a token budget (e.g. 2M); priced: "
                          f"{known}")


def cost(count: TokenCount, price: tuple[float, float] | None) -> float | None:
    if price is None:
        return None
    return (count.prompt * price[0] + count.completion * price[1]) / 1e6


class UsageLedger(BaseModel):
    """The run's brain usage: per iteration, per agent; goal reading on its own. Saved in state.json."""

    goal: TokenCount | None = Field(None, description="Reading the goal, before the run started.")
    iterations: dict[int, dict[str, TokenCount]] = Field(default_factory=dict)

    def record(self, iteration: int | None, agent: str, count: TokenCount) -> None:
        if iteration is None:
            self.goal = (self.goal or TokenCount()).add(count)
            return
        per_agent = self.iterations.setdefault(iteration, {})
        per_agent[agent] = per_agent.get(agent, TokenCount()).add(count)

    def per_iteration(self) -> dict[int, TokenCount]:
        return {i: _sum(agents.values()) for i, agents in sorted(self.iterations.items())}

    def per_agent(self) -> dict[str, TokenCount]:
        found: dict[str, TokenCount] = {}
        for agents in self.iterations.values():
            for name, count in agents.items():
                found[name] = found.get(name, TokenCount()).add(count)
        return found

    def total(self) -> TokenCount:
        return _sum([*self.per_iteration().values(), *([self.goal] if self.goal else [])])

    def spent(self, budget: BrainBudget, price: tuple[float, float] | None) -> float:
        """The share of the budget used (0 when there is none)."""
        total = self.total()
        if budget.tokens:
            return total.total / budget.tokens
        if budget.dollars and price is not None:
            return (cost(total, price) or 0.0) / budget.dollars
        return 0.0

    def summary(self, brain: str, price: tuple[float, float] | None, budget: BrainBudget | None) -> dict:
        """What summary.json, the report, Trackio and `status` show."""
        total = self.total()
        offline = brain.startswith("offline")
        return {
            "offline": offline,
            "note": "the offline playbook is no model: it costs nothing" if offline else
            ("counts estimated with the tokenizer (the server sent no usage)" if total.estimated else
             "counts from the server's usage"),
            "total": {**total.model_dump(), "tokens": total.total, "cost_usd": cost(total, price)},
            "goal_reading": self.goal.model_dump() if self.goal else None,
            "per_iteration": {str(i): c.model_dump() for i, c in self.per_iteration().items()},
            "per_agent": {name: c.model_dump() for name, c in self.per_agent().items()},
            "budget": budget.describe() if budget else None,
            "budget_used": round(self.spent(budget, price), 4) if budget else None,
            "price_per_mtok": list(price) if price else None,
        }


def _sum(counts) -> TokenCount:
    total = TokenCount()
    for count in counts:
        total = total.add(count)
    return total


def run_usage_summary(usage: UsageLedger, config) -> dict:
    """The usage summary for a run's config (its brain, --brain-price and --brain-budget)."""
    budget = parse_budget(config.brain_budget) if config.brain_budget else None
    return usage.summary(config.brain, price_for(config.brain, config.brain_price), budget)


def usage_line(summary: dict) -> str:
    """One line for the console and `status`: `brain: 12.3k tokens (…) · $0.0021 · 41% of the 30k tokens budget`."""
    if summary.get("offline"):
        return "brain: offline playbook, no model calls: costs nothing"
    total = TokenCount.model_validate({k: summary["total"][k] for k in TokenCount.model_fields})
    line = f"brain: {total.describe()}"
    if summary["total"].get("cost_usd"):
        line += f" · ${summary['total']['cost_usd']:.4f}"
    if summary.get("budget"):
        line += f" · {100 * (summary.get('budget_used') or 0):.0f}% of the {summary['budget']} budget"
    return line

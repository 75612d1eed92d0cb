"""`BrainMeter`: the run's one account of the brain — tokens per agent and iteration, the budget, the context bound,
what the run waits for, and what the server does not support (each said once).

The counts live in the ledger (`Ledger.brain_usage`, saved with every checkpoint, so resume keeps them) and in
`RUN/brain_usage.json`, rewritten after every request so `posttrain status` shows them live.

    meter = BrainMeter(spec, budget=parse_budget("2M"), price=(0.15, 0.6))
    meter.bind(ctx)            # counts go to ctx.ledger; notes and waits to ctx.bus
"""

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from posttrain.run.usage import NEAR_BUDGET, BrainBudget, TokenCount, UsageLedger, human_tokens, usage_line


CHARS_PER_TOKEN = 4  # the estimate when no tokenizer can be loaded (English text with BPE vocabularies)
CONTEXT_MARGIN = 0.05  # of the context, kept free besides the reply's max_tokens (chat template, tokenizer drift)
USAGE_FILE = "brain_usage.json"


def _text(message: Any) -> str:
    content = getattr(message, "content", "")
    if isinstance(content, str):
        return content
    return json.dumps(content, default=lambda o: getattr(o, "__dict__", str(o)))


class BrainMeter:
    def __init__(self, spec: Any, *, budget: BrainBudget | None = None, price: tuple[float, float] | None = None,
                 context_tokens: int | None = None, bound_s: float | None = None,
                 say: Callable[[str], None] | None = None):
        self.spec = spec
        self.budget, self.price = budget, price
        self.context_tokens = context_tokens
        self.bound_s = bound_s
        self.usage = UsageLedger()
        self.ctx: Any = None
        self._say = say
        self.noted: set[str] = set()
        self._tokenizer: Any = False  # False: not tried yet; None: none could be loaded
        self._warned_near = False

    def bind(self, ctx: Any) -> None:
        """Count into the run's ledger (resume continues its counts); the goal reading's tokens join it."""
        goal = self.usage.goal
        self.ctx, self.usage = ctx, ctx.ledger.brain_usage
        if goal is not None and self.usage.goal is None:
            self.usage.goal = goal

    # -- what the screen says ---------------------------------------------------------------------------------------
    def say(self, text: str, level: str = "info") -> None:
        if self.ctx is not None:
            from posttrain.run.events import Notice

            self.ctx.bus.publish(Notice(level=level, text=text))
        elif self._say is not None:
            self._say(text)

    def note_once(self, key: str, text: str) -> None:
        """A workaround the run applies from now on: said once per run, in the transcript too."""
        if key not in self.noted:
            self.noted.add(key)
            self.say(f"brain: {text}", level="warning")

    def waiting(self, who: str, max_tokens: int) -> None:
        bound = f", gives up after {self.bound_s:.0f} s" if self.bound_s else ""
        what = "to read the goal" if who == "goal reading" else f"for {who}"
        self.say(f"asking the brain {what} (≤ {max_tokens} tokens{bound})…")

    # -- counting -----------------------------------------------------------------------------------------------------
    def tokenizer(self) -> Any:
        if self._tokenizer is False:
            self._tokenizer = None
            model = getattr(self.spec, "model", None)
            if model:
                try:
                    from transformers import AutoTokenizer

                    self._tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=True)
                except Exception:  # noqa: BLE001 - an API model's name, or nothing cached: estimate by characters
                    self._tokenizer = None
        return self._tokenizer

    def count_text(self, text: str) -> int:
        tokenizer = self.tokenizer()
        if tokenizer is not None:
            return len(tokenizer(text, add_special_tokens=False)["input_ids"])
        return max(1, len(text) // CHARS_PER_TOKEN) if text else 0

    def count(self, messages: Sequence[Any]) -> int:
        return sum(self.count_text(_text(m)) + 4 for m in messages)  # + the chat template's few tokens a message

    def record(self, agent: str, messages: Sequence[Any], result: Any) -> TokenCount:
        usage = getattr(result, "usage", None)
        prompt, completion = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
        estimated = 0
        if not prompt and not completion:
            how = "the model's tokenizer" if self.tokenizer() is not None else f"~{CHARS_PER_TOKEN} characters a token"
            self.note_once("no usage", f"the server sends no token usage: counts are estimated with {how}")
            prompt, completion, estimated = self.count(messages), self.count_text(_text(result)), 1
        count = TokenCount(prompt=prompt, completion=completion, requests=1, estimated=estimated)
        ledger = getattr(self.ctx, "ledger", None)
        iteration = ledger.current.index if ledger is not None and ledger.iterations else None
        self.usage.record(iteration, agent, count)
        self._flush()
        self._check_budget()
        return count

    def summary(self) -> dict:
        brain = self.ctx.config.brain if self.ctx is not None else getattr(self.spec, "kind", "offline")
        return self.usage.summary(brain, self.price, self.budget)

    def _flush(self) -> None:
        if self.ctx is None:
            return
        path = Path(self.ctx.workspace.root) / USAGE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.summary(), indent=1))
        os.replace(tmp, path)

    # -- the budget ---------------------------------------------------------------------------------------------------
    def used(self) -> float:
        return self.usage.spent(self.budget, self.price) if self.budget else 0.0

    @property
    def near(self) -> bool:
        return self.budget is not None and self.used() >= NEAR_BUDGET

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.used() >= 1.0

    def budget_note(self) -> str | None:
        """What the Manager is told near the budget (None before)."""
        if not self.near:
            return None
        return (f"Brain budget: {100 * self.used():.0f}% of {self.budget.describe()} used. Keep turns short; at the "
                "budget the run finishes the current step, saves and stops (status `budget`).")

    def _check_budget(self) -> None:
        if self.near and not self._warned_near and not self.exhausted:
            self._warned_near = True
            self.say(f"brain budget: {100 * self.used():.0f}% of {self.budget.describe()} used; the Manager is told",
                     level="warning")

    def line(self) -> str:
        return usage_line(self.summary())

    # -- the context bound --------------------------------------------------------------------------------------------
    def fit(self, messages: list[Any], max_tokens: int, *, who: str) -> list[Any]:
        """`messages` compacted to the model's context less the reply and a margin: the oldest turns go first, then
        the longest text is cut in the middle (a visible marker); the system prompt and the last message stay."""
        if not self.context_tokens:
            return messages
        room = self.context_tokens - max_tokens - int(CONTEXT_MARGIN * self.context_tokens)
        before = self.count(messages)
        if before <= room:
            return messages
        head = [m for m in messages[:1] if type(m).__name__ == "SystemMessage"]
        middle, last = messages[len(head):-1], messages[-1:]
        while middle and self.count([*head, *middle, *last]) > room:
            middle.pop(0)
            while middle and type(middle[0]).__name__ == "FunctionExecutionResultMessage":
                middle.pop(0)  # a tool result without its call is malformed
        kept = [*head, *middle, *last]
        if self.count(kept) > room:
            kept = self._cut_longest(kept, room)
        self.say(f"brain: the request for {who} was {human_tokens(before)} tokens, over the model's context "
                 f"({self.context_tokens} less {max_tokens} for the reply and a margin): compacted to "
                 f"{human_tokens(self.count(kept))} tokens, oldest turns first", level="warning")
        return kept

    def _cut_longest(self, messages: list[Any], room: int) -> list[Any]:
        texts = [(len(m.content) if isinstance(getattr(m, "content", None), str) else -1, i)
                 for i, m in enumerate(messages)]
        length, index = max(texts)
        if length <= 0:
            return messages
        over = self.count(messages) - room
        keep = max(length - (over + 16) * CHARS_PER_TOKEN * 2, 200)
        text = messages[index].content
        cut = text[: keep // 2] + "\n[… cut to fit the model's context …]\n" + text[-keep // 2:]
        return [*messages[:index], messages[index].model_copy(update={"content": cut}), *messages[index + 1:]]

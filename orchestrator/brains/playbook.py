"""The offline playbook: each specialist's own rule (its `offline_debate`, `offline_request`, `offline_work`) and the
Manager's decision rule (`agents/manager/offline.py`), over one run's measured facts.

It is not a language model. Built-in roles and plug-ins go through the same hooks, so nothing here names a role;
a plug-in without its own rule speaks from the measurements or says plainly that it abstains.
"""

from typing import Any

from posttrain.run.context import RunContext
from posttrain.run.facts import Facts, Proposal


class Playbook:
    """Rules over one run's ledger and team."""

    def __init__(self, ctx: RunContext, specialists: dict[str, Any]):
        self.ctx = ctx
        self.specialists = specialists

    def debaters(self) -> list[str]:
        return [name for name in self.specialists if name != "Manager"]

    def proposal(self, name: str) -> Proposal:
        """This specialist's view now: its own rule's Proposal, its rule's text, or one from the measurements."""
        spec = self.specialists.get(name)
        rule = getattr(spec, "offline_debate", None)
        said = rule(self.ctx) if rule else None
        if isinstance(said, Proposal):
            said.speaker = name
            return said
        if isinstance(said, str):
            return Proposal(name, said, "", rank=0)
        return self._from_measurements(name)

    def _from_measurements(self, name: str) -> Proposal:
        """A specialist with no offline rule: the latest measured facts and its tools' last results, or abstain."""
        ledger = self.ctx.ledger
        last = ledger.last_evaluated()
        report = next((it.reports[name] for it in reversed(ledger.iterations) if name in it.reports), None)
        facts = []
        if last and last.index > 0 and last.evaluation:
            facts.append(f"iteration {last.index} scored {last.evaluation.describe()}")
            if last.comparison:
                facts.append(f"paired vs the previous best: {last.comparison.describe()}")
        elif ledger.baseline:
            facts.append(f"baseline {ledger.baseline.describe()}")
        if report:
            facts.append(f"my tools last reported: {report}")
        if not report:
            return Proposal(name, ("Measured so far: " + "; ".join(facts) + ". " if facts else "")
                            + "I have no offline rule and my tools have not run yet, so I abstain.", "", rank=0)
        return Proposal(name, "Measured so far: " + "; ".join(facts) + ".", "", rank=0)

    def proposals(self) -> list[Proposal]:
        return [self.proposal(name) for name in self.debaters()]

    def decision(self):
        """The Manager's decision from the debate's proposals (`--playbook-scale` shrinks the data)."""
        from posttrain.agents.manager.offline import decide

        ctx = self.ctx
        facts = Facts.from_run(ctx)
        return decide(facts, self.proposals() + self.steering(facts), ctx.config.seed + ctx.iteration.index,
                      scale=ctx.config.playbook_scale)

    def steering(self, facts: Facts) -> list[Proposal]:
        """What the person said before this debate (`posttrain steer`), each message as the user's proposal: one
        naming a plan field outranks every specialist's (run/steering.py)."""
        from posttrain.agents.manager.offline import default_plan
        from posttrain.run.steering import proposal_from

        it = self.ctx.iteration
        if not it.steering:
            return []
        plan = default_plan(facts, self.ctx.config.seed + it.index)
        current = {k: getattr(plan, k) for k in ("learning_rate", "max_steps", "n_train", "epochs")
                   if getattr(plan, k, None)}
        return [proposal_from(text, **current) for text in it.steering]

"""The Librarian's offline rules: cite the catalogue techniques whose conditions hold for this model and task."""

from posttrain.run.context import RunContext
from posttrain.run.facts import Facts, Proposal, applicable_techniques, conditions


def proposal(ctx: RunContext) -> Proposal:
    facts = Facts.from_run(ctx)
    fits = applicable_techniques(facts)
    if not fits:
        holding = ", ".join(sorted(conditions(facts))) or "none"
        return Proposal("Librarian", f"No catalogue technique's conditions all hold (holding: {holding}).",
                        "keep supervised fine-tuning until a method has something to work with", rank=0)
    cited = "; ".join(f"{t.name} ({t.paper_id}): {t.when_to_use}" for t in fits[:2])
    lead = next((t for t in fits if t.method), fits[0])
    action = f"{lead.name} ({lead.paper_id})" + (f" as {lead.method.upper()}" if lead.method else "")
    return Proposal("Librarian", f"Fits this model and task: {cited}", action, rank=0)


def request(ctx: RunContext) -> str | None:
    it = ctx.iteration
    if it.index == 0 or it.plan is None or it.techniques:
        return None
    what = it.plan.technique or it.plan.method.upper()
    return f"find techniques and papers for: {what} — {it.plan.rationale}"


def work(ctx: RunContext) -> list[tuple[str, dict]]:
    if request(ctx) is None:
        return []
    plan = ctx.iteration.plan
    return [("find_techniques", {"query": f"{plan.technique or plan.method} {ctx.benchmark.name}"})]

"""The offline playbook: deterministic rules that turn the ledger's measured results into proposals and a plan.

It is not a language model. Each specialist's proposal is a rule over the numbers it owns (the Trainer reads loss
curves and diagnoses, the Evaluator paired tests, the DataEngineer data size and label quality, the Librarian the
technique catalogue); the Manager's decision rule weighs them. Same inputs, same plan, every time.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from posttrain.orchestrator.context import RunContext
from posttrain.orchestrator.ledger import IterationRecord, Plan


@dataclass(frozen=True)
class Regime:
    """Hyperparameter defaults by model scale (tiny models take big learning rates; real ones need LoRA-sized ones)."""

    sft_lr: float
    grpo_lr: float
    sft_steps: int
    grpo_steps: int
    n_train: int
    max_sft_steps: int


SMALL = Regime(sft_lr=1e-2, grpo_lr=3e-4, sft_steps=1500, grpo_steps=150, n_train=4000, max_sft_steps=4000)
LARGE = Regime(sft_lr=1e-4, grpo_lr=1e-6, sft_steps=300, grpo_steps=100, n_train=2000, max_sft_steps=1200)


def regime_for(model_path: str) -> Regime:
    """SMALL for models under ~50M parameters (read from config.json), LARGE otherwise or when unknown."""
    config = Path(model_path) / "config.json"
    if not config.exists():
        return LARGE
    cfg = json.loads(config.read_text())
    hidden, layers = cfg.get("hidden_size", 4096), cfg.get("num_hidden_layers", 32)
    return SMALL if 12 * hidden * hidden * layers < 50_000_000 else LARGE


def scaled(regime: Regime, factor: float) -> Regime:
    """The same regime with step counts and data sizes multiplied by `factor` (learning rates unchanged)."""
    if factor == 1.0:
        return regime
    size = lambda n: max(10, int(n * factor))  # noqa: E731
    return Regime(sft_lr=regime.sft_lr, grpo_lr=regime.grpo_lr, sft_steps=size(regime.sft_steps),
                  grpo_steps=size(regime.grpo_steps), n_train=size(regime.n_train),
                  max_sft_steps=size(regime.max_sft_steps))


@dataclass
class Proposal:
    """One specialist's view in a debate: what the numbers say and what to do next."""

    speaker: str
    evidence: str
    action: str  # a short verb phrase the Manager compares against its decision
    method: str | None = None
    n_train: int | None = None  # set when the proposal is about the amount of data

    def text(self) -> str:
        return f"{self.evidence} I propose: {self.action}."


class Playbook:
    """Rules over one run's ledger."""

    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.regime = scaled(regime_for(ctx.base_model_path), ctx.config.playbook_scale)

    # -- facts the rules use ----------------------------------------------------------------------------------
    def last(self) -> IterationRecord | None:
        done = self.ctx.ledger.completed()
        return done[-1] if done else None

    def _loss_still_falling(self, it: IterationRecord) -> bool:
        summary = (it.training or {}).get("summary", {})
        return summary.get("late_improvement", 0.0) > 0.05

    def _gain(self, it: IterationRecord) -> tuple[float, bool]:
        comparison = it.comparison or {}
        return comparison.get("diff", 0.0), bool(comparison.get("significant"))

    def _score(self, it: IterationRecord | None) -> float:
        if it and it.evaluation:
            return it.evaluation.score
        base = self.ctx.ledger.baseline
        return base.score if base else 0.0

    def _epochs(self, it: IterationRecord) -> float:
        """Passes over the training data the last run made (batch 64 for the small regime's SFT)."""
        rows = (it.dataset or {}).get("n_rows") or 0
        return it.plan.max_steps * 64 / rows if (it.plan and rows) else 0.0

    def _findings(self, it: IterationRecord) -> list[dict]:
        return list((it.training or {}).get("findings", []))

    # -- the Manager's decision ---------------------------------------------------------------------------------
    def next_plan(self) -> Plan:
        """The plan for the iteration about to start, from the last completed one."""
        r, seed, last = self.regime, self.ctx.config.seed, self.last()
        if last is None or last.plan is None:
            return Plan(method="sft", init_from="base", max_steps=r.sft_steps, learning_rate=r.sft_lr,
                        n_train=r.n_train, seed=seed,
                        rationale="no trained model yet: supervised fine-tuning on verified synthetic data first")
        plan, score = last.plan, self._score(last)
        if not last.trained:
            return self._repair(last)
        gain, significant = self._gain(last)
        label_accuracy = (last.dataset or {}).get("label_accuracy")
        if plan.method == "sft":
            if label_accuracy is not None and label_accuracy < 0.9 and score >= 0.05:
                return Plan(method="grpo", init_from="best", max_steps=r.grpo_steps, learning_rate=r.grpo_lr,
                            n_train=min(plan.n_train, 2000), seed=plan.seed,
                            rationale=f"only {label_accuracy:.0%} of the SFT labels are right, so more SFT imitates the "
                                      f"teacher's errors; at score {score:.3f} the model samples correct answers, so "
                                      "reward them with GRPO against the verifier")
            if significant and gain > 0 and self._loss_still_falling(last):
                # Keep the data: on 3-digit addition, doubling it for the longer run measured 0.265 against
                # 0.815 with the same data (the model groks later per example seen); the DataEngineer dissents.
                return plan.model_copy(update=dict(
                    init_from="best", max_steps=min(plan.max_steps * 2, r.max_sft_steps),
                    rationale=f"SFT gained {gain:+.3f} (significant) and the loss was still falling: train longer"))
            if score < 0.05:
                return plan.model_copy(update=dict(
                    init_from="latest", max_steps=min(plan.max_steps * 2, r.max_sft_steps), n_train=plan.n_train * 2,
                    rationale=f"score {score:.3f} is still at the floor (the SFT plateau before the jump): "
                              "more steps and fresh data"))
            return Plan(method="grpo", init_from="best", max_steps=r.grpo_steps, learning_rate=r.grpo_lr,
                        n_train=min(plan.n_train, 2000), seed=plan.seed,
                        rationale=f"SFT plateaued (Δ {gain:+.3f}, {'significant' if significant else 'not significant'}"
                                  "); the answers are verifiable, so reinforce correct samples with GRPO")
        # GRPO last
        if significant and gain > 0:
            return plan.model_copy(update=dict(init_from="best", rationale=f"GRPO gained {gain:+.3f}: keep going"))
        return plan.model_copy(update=dict(
            init_from="best", learning_rate=plan.learning_rate / 2,
            rationale=f"GRPO did not improve significantly (Δ {gain:+.3f}): halve the learning rate from the best"))

    def _repair(self, last: IterationRecord) -> Plan:
        plan = last.plan
        kinds = {f.get("kind") for f in self._findings(last)}
        if kinds & {"loss_divergence", "kl_blowup", "entropy_collapse"}:
            return plan.model_copy(update=dict(learning_rate=plan.learning_rate / 3,
                                               rationale=f"training failed ({', '.join(sorted(kinds))}): lr ÷3"))
        if "out_of_memory" in kinds:
            return plan.model_copy(update=dict(n_train=plan.n_train, max_steps=plan.max_steps,
                                               rationale="out of memory: retry with LoRA-sized memory settings"))
        if "no_learning" in kinds:
            return plan.model_copy(update=dict(learning_rate=plan.learning_rate * 3,
                                               rationale="the loss did not move: lr ×3"))
        return plan.model_copy(update=dict(learning_rate=plan.learning_rate / 2,
                                           rationale=f"training did not finish ({(last.training or {}).get('error')}):"
                                                     " retry at half the learning rate"))

    # -- the specialists' debate proposals ----------------------------------------------------------------------
    def proposal(self, role: str) -> Proposal:
        last = self.last()
        builder = {"Evaluator": self._evaluator, "Trainer": self._trainer, "DataEngineer": self._data_engineer,
                   "Librarian": self._librarian}.get(role)
        if builder is None:
            return Proposal(role, f"Latest score {self._score(last):.3f}.", "follow the plan", None)
        return builder(last)

    def _evaluator(self, last: IterationRecord | None) -> Proposal:
        base = self.ctx.ledger.baseline
        if last is None or last.evaluation is None:
            b = f"baseline {base.score:.3f} (n={base.n}, 95% CI {base.ci95[0]:.3f}–{base.ci95[1]:.3f})" if base else "no baseline"
            return Proposal("Evaluator", f"We only have the {b}.", "train, then judge by a paired test", "sft")
        e, (gain, significant) = last.evaluation, self._gain(last)
        c = last.comparison or {}
        evidence = (f"Iteration {last.index} scored {e.score:.3f} (n={e.n}, 95% CI {e.ci95[0]:.3f}–{e.ci95[1]:.3f}); "
                    f"paired vs previous best: Δ {gain:+.3f}, p={c.get('p_value', 1.0):.3g} "
                    f"({'significant' if significant else 'not significant'} at 0.05).")
        if significant and gain > 0:
            return Proposal("Evaluator", evidence, "keep the method, the gain is real", last.plan.method if last.plan else None)
        return Proposal("Evaluator", evidence, "change the method: this gain is within noise", "grpo")

    def _trainer(self, last: IterationRecord | None) -> Proposal:
        if last is None or last.training is None:
            return Proposal("Trainer", f"Base model {Path(self.ctx.base_model_path).name}, nothing trained yet.",
                            f"SFT {self.regime.sft_steps} steps at lr {self.regime.sft_lr:g}", "sft")
        t = last.training
        s, findings = t.get("summary", {}), self._findings(last)
        curve = ""
        if "first_loss" in s:
            curve = f"loss {s['first_loss']:.3f}→{s['last_loss']:.3f}, late improvement {s.get('late_improvement', 0):.0%}"
        if "last_reward" in s:
            curve += f", reward {s.get('first_reward', 0):.2f}→{s['last_reward']:.2f}"
        found = "; ".join(f"{f['kind']} ({f['evidence']})" for f in findings) or "no findings"
        evidence = f"{t.get('method', '?').upper()} {t.get('status')}: {curve}; diagnosis: {found}."
        if t.get("status") != "succeeded":
            fix = findings[0]["fix"] if findings else "retry at half the learning rate"
            return Proposal("Trainer", evidence, fix, last.plan.method if last.plan else None)
        if self._loss_still_falling(last) and last.plan and last.plan.method == "sft":
            return Proposal("Trainer", evidence, f"continue SFT for {last.plan.max_steps * 2} steps", "sft")
        return Proposal("Trainer", evidence, "switch to GRPO from the best checkpoint", "grpo")

    def _data_engineer(self, last: IterationRecord | None) -> Proposal:
        if last is None or last.dataset is None:
            return Proposal("DataEngineer", "No training data yet; the benchmark has a seeded generator.",
                            f"generate {self.regime.n_train} rows, disjoint from the eval items", "sft")
        d, plan = last.dataset, last.plan
        contamination = d.get("contamination", {})
        acc = d.get("label_accuracy")
        epochs = self._epochs(last)
        evidence = (f"{d.get('n_rows')} {d.get('format')} rows, label accuracy "
                    f"{'n/a' if acc is None else f'{acc:.0%}'}, decontamination dropped {contamination.get('dropped', 0)}"
                    f" (rate {contamination.get('rate', 0):.1%}); about {epochs:.1f} epochs.")
        if acc is not None and acc < 0.9:
            return Proposal("DataEngineer", evidence, "stop imitating noisy labels: use the verifier as a reward", "grpo")
        if epochs > 8:
            return Proposal("DataEngineer", evidence, "double the data before training longer", "sft",
                            n_train=2 * d.get("n_rows", 0))
        return Proposal("DataEngineer", evidence, "keep the data recipe", plan.method if plan else None)

    def _librarian(self, last: IterationRecord | None) -> Proposal:
        from posttrain.tools.papers import technique_catalogue

        plateau = last is not None and last.plan is not None and not self._loss_still_falling(last)
        query = f"{self.ctx.config.goal} {'reinforcement learning verifiable reward plateau' if plateau else 'supervised fine-tuning'}"
        refs = technique_catalogue(query, limit=2)
        cited = "; ".join(f"{r.name} ({r.paper_id}): {r.when_to_use}" for r in refs) or "the catalogue has nothing on this"
        method = "grpo" if plateau else "sft"
        return Proposal("Librarian", f"Relevant work: {cited}.",
                        "GRPO with a verifiable reward (DAPO loss)" if plateau else "SFT first, RL once it plateaus",
                        method)

    def dissent(self, plan: Plan, proposals: list[Proposal]) -> list[str]:
        """Proposals whose method or data size differs from the decision, quoted so the record shows who disagreed."""
        return [f"{p.speaker}: {p.action}" for p in proposals
                if (p.method and p.method != plan.method) or (p.n_train and p.n_train != plan.n_train)]

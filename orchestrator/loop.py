"""The iteration loop: baseline, then per iteration a debate, the Manager's decision, and the delegated work.

Readable on purpose: one Python loop over AgentChat teams. State is checkpointed after the baseline, after each
debate, after each finished step of the work phase (data built, training finished, evaluation written) and after
each iteration; `resume` rewinds the transcript to the last checkpoint (archiving, never deleting,
what came after) and carries on from there, so no message is lost or duplicated and finished work is never redone.
"""

import asyncio
import time
from typing import Any

from posttrain.orchestrator.brains.playbook import Playbook
from posttrain.orchestrator.team import Team
from posttrain.orchestrator.transcript import TranscriptWriter
from posttrain.run.context import RunContext
from posttrain.run.events import (
    AgentMessage,
    IterationFinished,
    IterationStarted,
    Notice,
    RunFinished,
)
from posttrain.run.ledger import IterationRecord
from posttrain.run.liveness import this_process
from posttrain.run.run_summary import RunSummary
from posttrain.run.state import RunState
from posttrain.tools.durations import minutes
from posttrain.tools.errors import PosttrainError


BUDGET_STOP = "External termination requested"  # AgentChat's ExternalTermination: only the brain budget sets it


class IterationLoop:
    def __init__(self, ctx: RunContext, team: Team, writer: TranscriptWriter, approve=None,
                 team_state: dict | None = None, meter=None):
        self.ctx = ctx
        self.meter = meter  # the brain's BrainMeter: tokens and the --brain-budget
        self.team = team
        self.writer = writer
        self.approve = approve  # callable(plan_text) -> bool, when the user asked to approve plans
        self.status = "running"
        self.reason: str | None = None  # one line: why the run is blocked or failed
        self._team_state = team_state  # the work team's state at the last phase boundary
        self._stop_message: str | None = None  # why the last team run stopped (TaskResult.stop_reason)
        from autogen_core import CancellationToken

        self._stop_token = CancellationToken()  # passed to every team run, so `stop()` ends the turn in flight

    # -- persistence ------------------------------------------------------------------------------------------------
    async def checkpoint(self, *, step: bool = False) -> None:
        """Save everything resume needs. `step`: a work step just finished inside the running work team, whose own
        state is only consistent at phase boundaries, so the last boundary's team state is kept."""
        ctx = self.ctx
        if not step or self._team_state is None:
            self._team_state = await self.team.work.save_state()
        state = RunState(config=ctx.config, base_model_path=ctx.base_model_path, ledger=ctx.ledger,
                         work_team=self._team_state, transcript_lines=self.writer.lines_written,
                         event_lines=self.writer.event_lines, elapsed_s=ctx.elapsed_s(), status=self.status,
                         reason=self.reason,
                         process=this_process())  # lets `posttrain status` tell a live run from a killed one
        ctx.workspace.save_state(state)
        ctx.workspace.save_summary(RunSummary.of(ctx, self.status, self.reason))
        from posttrain.orchestrator.report import refresh_report

        await asyncio.to_thread(refresh_report, ctx.workspace.root)  # RUN/report.html stays current; never raises

    def stop(self) -> None:
        """Ctrl-C or SIGTERM: end the work in flight now. `ctx.cancel` makes run_training kill its Ray task; the
        token cancels the team's pending tool call and every later turn (without it the team, and with it `run`,
        would wait for the tool and then carry on with the rest of the phase)."""
        self.ctx.cancel.set()
        self._stop_token.cancel()

    # -- running ----------------------------------------------------------------------------------------------------
    async def run(self) -> str:
        ctx = self.ctx
        try:
            while True:
                stop = self._stop_reason()
                if stop:
                    self.status = stop
                    break
                if not await self._iteration():
                    break
        except asyncio.CancelledError:
            self.status = "stopped"
            self.stop()
            it = ctx.ledger.iterations[-1] if ctx.ledger.iterations else None
            if it is not None and it.training is not None and it.training.status == "cancelled":
                it.training = None  # killed by this stop, not finished: resume trains again
            for arm in (it.ablation.arms if it is not None and it.ablation else []):
                if arm.training is not None and arm.training.status == "cancelled":
                    arm.training = arm.started_at = arm.finished_at = None
            ctx.bus.publish(Notice(level="warning", text="interrupted: state saved, continue with `posttrain resume`"))
            # the team was cut off mid-turn (a tool call without its result): keep its state from the last phase
            # boundary, as after kill -9, so resume replays a consistent conversation
            await self._finish(step=True)
            raise
        except PosttrainError as exc:  # e.g. the brain's endpoint kept failing: a clear status, resumable state
            self.status, self.reason = "failed", str(exc)
            ctx.bus.publish(Notice(level="error", text=f"run failed: {exc}"))
            await self._finish()
            return self.status
        except Exception as exc:
            from posttrain.orchestrator.brains import brain_unavailable

            failure = brain_unavailable(exc)  # AgentChat re-raises a participant's error as a RuntimeError
            if failure is not None:
                self.status, self.reason = "failed", str(failure).replace("RUN", str(ctx.workspace.root))
                ctx.bus.publish(Notice(level="error", text=f"run failed: {self.reason}"))
                await self._finish()
                return self.status
            self.status, self.reason = "failed", f"{type(exc).__name__}: {exc}"
            ctx.bus.publish(Notice(level="error", text=f"run failed: {type(exc).__name__}: {exc}"))
            await self._finish()
            raise
        await self._finish()
        return self.status

    async def _finish(self, step: bool = False) -> None:
        ctx = self.ctx
        await self.checkpoint(step=step)
        best, where = ctx.ledger.best()
        base = ctx.ledger.baseline
        from posttrain.run.usage import run_usage_summary, usage_line

        ctx.bus.publish(RunFinished(status=self.status, baseline=base.score if base else None,
                                    best=best.score if best else None, best_iteration=where if best else None,
                                    best_checkpoint=ctx.ledger.best_checkpoint(), run_dir=str(ctx.workspace.root),
                                    reason=self.reason,
                                    brain_usage=usage_line(run_usage_summary(ctx.ledger.brain_usage, ctx.config))))

    def _stop_reason(self) -> str | None:
        ctx, ledger = self.ctx, self.ctx.ledger
        if ledger.iterations and ledger.current.phase != "done":
            return None  # finish what was started (resume)
        next_index = len(ledger.iterations)
        best, _ = ledger.best()
        # without a target the ceiling is a perfect score: past it the benchmark cannot show an improvement
        target = ctx.config.target if ctx.config.target is not None else 1.0
        if next_index > 0 and best and best.score >= target:
            return "goal_met"
        if next_index > ctx.config.max_iterations:
            return "max_iterations"
        if self._over_brain_budget():
            return "budget"
        remaining = ctx.remaining_s()
        if next_index > 0 and remaining is not None and remaining <= 0:
            return "budget_exhausted"
        return None

    async def _iteration(self) -> bool:
        """Run (or finish) one iteration; False when the user rejected its plan."""
        ledger = self.ctx.ledger
        if not ledger.iterations or ledger.current.phase == "done":
            index = len(ledger.iterations)
            ledger.iterations.append(IterationRecord(index=index, phase="work" if index == 0 else "debate"))
            await self.checkpoint()
        it = ledger.current
        started = time.time()
        if it.phase == "debate":
            await self._debate(it)
            it.phase = "work"
            await self.checkpoint()
            if self._over_brain_budget():  # the debate was the step in flight: saved, stop before the work
                self.status = "budget"
                await self.checkpoint()
                return False
        answer = self.approve(it.decision) if self.approve and it.index > 0 else True
        if isinstance(answer, str):  # approved, with a message for the next debate
            from posttrain.run.steering import add_message

            add_message(self.ctx.workspace.root, answer, source="approve")
            self.ctx.bus.publish(Notice(level="info", text=f"noted for the next debate: {answer}"))
        if not answer:
            self.status = "stopped"
            self.ctx.bus.publish(Notice(level="warning", text="plan rejected: state saved; `posttrain resume` asks again"))
            return False
        await self._work(it)
        if BUDGET_STOP in (self._stop_message or "") and self._over_brain_budget():  # saved mid-work; resume goes on
            self.status = "budget"
            await self.checkpoint()
            return False
        if it.blocked and not it.trained:
            # no data is not a training failure: stop, say what unblocks it, keep the iteration to redo on resume
            self.status, self.reason = "blocked", it.blocked
            self.ctx.bus.publish(Notice(level="error", text=f"blocked: {it.blocked}"))
            await self.checkpoint()
            return False
        it.phase = "done"
        it.duration_s += time.time() - started
        await self.checkpoint()
        self.ctx.bus.publish(IterationFinished(iteration=it.index, duration_s=it.duration_s))
        return True

    def _over_brain_budget(self) -> bool:
        """At the --brain-budget: the reason in one line, resumable with a larger budget."""
        meter = self.meter
        if meter is None or not meter.exhausted:
            return False
        self.reason = (f"brain budget reached: {meter.line().removeprefix('brain: ')}; continue with `posttrain "
                       f"resume {self.ctx.workspace.root} --brain-budget LARGER`")
        self.ctx.bus.publish(Notice(level="warning", text=self.reason))
        return True

    async def _stream(self, stream, it: IterationRecord, phase: str) -> list[Any]:
        from autogen_agentchat.base import TaskResult

        messages = []
        self._stop_message = None
        async for item in stream:
            if isinstance(item, TaskResult):
                self._stop_message = item.stop_reason
                continue
            self.ctx.bus.publish(AgentMessage(iteration=it.index, phase=phase, message=item))
            messages.append(item)
            if phase == "work" and self.meter is not None and self.meter.exhausted:
                self.team.stop_work.set()  # at the brain budget: the turn in flight finishes its step, then stop
            # a tool ended by a stop request finished nothing: resume must redo it, so no step checkpoint then
            if phase == "work" and type(item).__name__ == "ToolCallExecutionEvent" and not self.ctx.cancel.is_set():
                await self.checkpoint(step=True)  # data, training or evaluation is in the ledger: never redo it
        return messages

    async def _debate(self, it: IterationRecord) -> None:
        from autogen_agentchat.messages import TextMessage

        ctx, team = self.ctx, self.team
        ctx.bus.publish(IterationStarted(iteration=it.index, phase="debate"))
        await team.debate.reset()
        task = [TextMessage(source="user", content=self._debate_task(it)), *self._steering(it)]
        stream = team.debate.run_stream(task=task, cancellation_token=self._stop_token)
        messages = await self._stream(stream, it, "debate")
        turns = [m for m in messages if isinstance(m, TextMessage) and m.source in team.debater_names]
        for turn in turns:
            it.debate[turn.source] = turn.content
        # The Manager hears the debate (not the task again), the person's steering and, near the brain budget, a
        # note; it records its decision through a tool call; an invalid plan comes back to it as the validation
        # error once (max_tool_iterations=2).
        note = self.meter.budget_note() if self.meter else None
        heard = [*turns, *self._steering(it), *([TextMessage(source="posttrain", content=note)] if note else [])]
        await self._stream(team.manager.decider.run_stream(task=heard, output_task_messages=False,
                                                           cancellation_token=self._stop_token), it, "debate")
        if it.plan is None:
            from posttrain.agents.manager.ablation import detect_resources, plan_ablation

            decision = Playbook(ctx, team.specialists).decision()
            it.plan, it.dissent = decision.plan, decision.dissent
            max_arms = ctx.config.max_arms if ctx.config.ablation else 1
            it.ablation, why = plan_ablation(decision.plan, decision.arms, max_arms=max_arms,
                                             resources=detect_resources)
            it.decision = (f"(the Manager recorded no valid decision; the playbook's plan is used) {decision.text} "
                           f"{why}").strip()
            text = "the Manager recorded no valid decision; using the offline playbook's plan: " + decision.text
            ctx.bus.publish(Notice(level="warning", text=text))
            await self._stream(_said(team.manager.decider.name, text), it, "debate")

    def _steering(self, it: IterationRecord) -> list:
        """What the person said since the last debate (`posttrain steer`), as the user's turn; read once."""
        from autogen_agentchat.messages import TextMessage

        from posttrain.run.steering import read_messages

        ledger = self.ctx.ledger
        new = read_messages(self.ctx.workspace.root)[ledger.steering_read:]
        if new:
            ledger.steering_read += len(new)
            it.steering += [m["text"] for m in new]
            for m in new:
                self.ctx.bus.publish(Notice(level="info", text=f"steering from the user: {m['text']}"))
        return [TextMessage(source="user", content="The person running this team says (their word outranks any "
                            f"specialist's): {text}") for text in it.steering]

    def _debate_task(self, it: IterationRecord) -> str:
        cfg, ctx = self.ctx.config, self.ctx
        remaining = ctx.remaining_s()
        budget = f"{minutes(remaining)} left" if remaining is not None else "no time limit"
        target = f"target {cfg.target:.3f}" if cfg.target is not None else "no target (use every iteration)"
        return (f"Iteration {it.index} of {cfg.max_iterations} — debate. Goal: {cfg.goal}. Benchmark: {cfg.benchmark}; "
                f"{target}; {budget}.\nMeasured so far:\n{ctx.ledger.history_text()}\n"
                "Each specialist: what do these results mean, and what should this iteration do? Use numbers.")

    async def _work(self, it: IterationRecord) -> None:
        ctx, team = self.ctx, self.team
        ctx.bus.publish(IterationStarted(iteration=it.index, phase="work"))
        if it.index == 0:
            task = (f"Iteration 0: measure the baseline of {ctx.config.base_model} on {ctx.config.benchmark}. "
                    "Delegate to @Evaluator only, then TERMINATE.")
        else:
            order = " → ".join(team.specialists)
            task = f"Iteration {it.index} — work. Decision: {it.decision}\nDelegate in order: {order}."
            done = self._done_steps(it)
            if done:
                task += f"\nResumed after an interruption. Already done (do not redo): {done}. Continue from there."
        messages = await self._stream(team.work.run_stream(task=task, cancellation_token=self._stop_token), it, "work")
        if BUDGET_STOP in (self._stop_message or ""):
            return  # the measurement it owes is made on resume, with a larger budget
        if "stalled:" in (self._stop_message or "") and not ctx.cancel.is_set():
            messages += await self._playbook_takeover(it)
        self._fail_if_disk_full(it, messages)
        for message in messages:  # plug-ins' last word, so their debate turns can quote their tools' results
            spec = team.specialists.get(getattr(message, "source", ""))
            if spec is not None and not spec.builtin and hasattr(message, "to_text"):
                it.reports[spec.name] = message.to_text()[:600]
        await self._complete_measurement(it)

    async def _playbook_takeover(self, it: IterationRecord) -> list[Any]:
        """The brain made no progress for N turns: the offline playbook does the rest of this iteration's work."""
        from posttrain.orchestrator.stall import stall_turns
        from posttrain.orchestrator.takeover import TAKEOVER_NOTE, playbook_team

        turns = stall_turns()
        self.ctx.bus.publish(Notice(level="warning", text=f"the brain made no progress for {turns} turns: "
                                    f"{TAKEOVER_NOTE} ({self._done_steps(it) or 'nothing yet'})"))
        it.decision = (it.decision + f" (After {turns} turns without progress the offline playbook did the "
                       "rest of the work.)").strip()
        offline = playbook_team(self.ctx, self.team.specialists)
        task = (f"Iteration {it.index} — work, taken over by the offline playbook. Decision: {it.decision}\n"
                f"Already done (do not redo): {self._done_steps(it) or 'nothing'}.")
        return await self._stream(offline.work.run_stream(task=task, cancellation_token=self._stop_token), it, "work")

    @staticmethod
    def _fail_if_disk_full(it: IterationRecord, messages: list) -> None:
        """A full disk fails every later step too: end the run now (resumable) rather than plan around it."""
        from posttrain.tools.errors import DiskFull, out_of_space

        errors = [it.training.error if it.training else None]
        errors += [result.content for m in messages if type(m).__name__ == "ToolCallExecutionEvent"
                   for result in m.content if result.is_error]
        for error in errors:
            if error and out_of_space(error):
                raise DiskFull(out_of_space(error))

    @staticmethod
    def _done_steps(it: IterationRecord) -> str:
        steps = [f"techniques cited ({', '.join(it.techniques[:3])})" if it.techniques else "",
                 f"data built ({it.dataset.n_rows} rows at {it.dataset.path})" if it.dataset else "",
                 f"training {it.training.status} ({it.training.checkpoint or it.training.error})" if it.training else "",
                 "ablation arms trained: " + ", ".join(a.name for a in it.ablation.arms if a.trained)
                 if it.ablation and any(a.trained for a in it.ablation.arms) else "",
                 f"evaluated: score {it.evaluation.describe()}" if it.evaluation else ""]
        return "; ".join(step for step in steps if step)

    async def _complete_measurement(self, it: IterationRecord) -> None:
        """Whatever the brain did, the ledger gets its measurement: evaluate if the brain skipped it."""
        ctx = self.ctx
        missing = (it.index == 0 and ctx.ledger.baseline is None) or (it.index > 0 and it.trained and it.evaluation is None)
        if missing:
            owner, tool = self.team.find_tool("evaluate_checkpoint")
            ctx.bus.publish(Notice(level="warning", text=f"{owner} was not asked to evaluate; evaluating directly"))
            await asyncio.to_thread(tool)


async def _said(source: str, text: str):
    """A one-message stream, so a note the loop adds reaches the transcript like any message."""
    from autogen_agentchat.messages import TextMessage

    yield TextMessage(source=source, content=text)

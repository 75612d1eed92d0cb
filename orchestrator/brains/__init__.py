"""Brains: the offline playbook (the embedded default, rule-based, not an LLM) and OpenAI-compatible endpoints.

`Brain.client_for(role)` hands each agent its model client: one `PlaybookClient` per role offline, one shared
`ResilientClient` (retries, timeouts, tool-call repair around autogen's OpenAI client) for an endpoint.

An endpoint that keeps failing raises `BrainUnavailable` from the agent; a team re-raises it as a RuntimeError
carrying only its text, so callers check `brain.failure` or `brain_unavailable(exc)` after a team run fails.
"""

from typing import Any

from posttrain.orchestrator.brains.endpoints import (
    BrainSpec,
    build_endpoint_client,
    check_endpoint,
    default_brain,
    parse_brain,
)
from posttrain.tools.errors import BrainUnavailable


class Brain:
    """Makes the model clients for a run."""

    def __init__(self, spec: BrainSpec, meter: Any = None):
        from posttrain.orchestrator.brains.meter import BrainMeter

        self.spec = spec
        self.specialists: dict[str, Any] = {}
        self._shared = None
        self.playbook = None
        self.meter = meter or BrainMeter(spec)

    def bind(self, ctx: Any) -> None:
        """Attach the run: the playbook's rules read its ledger. Clients made earlier see it too."""
        from posttrain.orchestrator.brains.playbook import Playbook

        self.playbook = Playbook(ctx, self.specialists)
        self.meter.bind(ctx)

    @property
    def offline(self) -> bool:
        return self.spec.kind == "offline"

    def client_for(self, role: str | None = None):
        if self.offline:
            from posttrain.orchestrator.brains.playbook_client import PlaybookClient

            return PlaybookClient(self, role, specialists=self.specialists)
        from posttrain.orchestrator.brains.metered import MeteredClient

        if self._shared is None:
            self._shared = build_endpoint_client(self.spec)
            self.meter.bound_s = self._shared.policy.deadline_s
        return MeteredClient(self._shared, self.meter, role)  # one per agent: the meter knows who asked

    def adopt(self, client: Any, role: str) -> None:
        """Tell a client which role it plays (plug-in factories get a client before naming themselves)."""
        if getattr(client, "role", "") is None:
            client.role = role

    @property
    def failure(self) -> BrainUnavailable | None:
        """Why the endpoint's last model call gave up, or None (offline, or the last call succeeded)."""
        return getattr(self._shared, "failure", None)

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.close()


def brain_unavailable(exc: BaseException) -> BrainUnavailable | None:
    """The `BrainUnavailable` behind `exc`, also when a team flattened it into a RuntimeError; else None."""
    from posttrain.orchestrator.brains.resilient import brain_unavailable as find

    return find(exc)


__all__ = ["Brain", "BrainSpec", "BrainUnavailable", "brain_unavailable", "parse_brain", "default_brain",
           "check_endpoint", "build_endpoint_client"]

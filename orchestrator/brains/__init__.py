"""Brains: the offline playbook (the embedded default, rule-based, not an LLM) and OpenAI-compatible endpoints.

`Brain.client_for(role)` hands each agent its model client: one `PlaybookClient` per role offline, one shared
`OpenAIChatCompletionClient` for an endpoint.
"""

from typing import Any

from posttrain.orchestrator.brains.endpoints import BrainSpec, build_endpoint_client, check_endpoint, default_brain, parse_brain


class Brain:
    """Makes the model clients for a run."""

    def __init__(self, spec: BrainSpec):
        self.spec = spec
        self.specialists: dict[str, Any] = {}
        self._shared = None
        self.playbook = None

    def bind(self, ctx: Any) -> None:
        """Attach the run: the playbook's rules read its ledger. Clients made earlier see it too."""
        from posttrain.orchestrator.brains.playbook import Playbook

        self.playbook = Playbook(ctx)

    @property
    def offline(self) -> bool:
        return self.spec.kind == "offline"

    def client_for(self, role: str | None = None):
        if self.offline:
            from posttrain.orchestrator.brains.playbook_client import PlaybookClient

            return PlaybookClient(self, role, specialists=self.specialists)
        if self._shared is None:
            self._shared = build_endpoint_client(self.spec)
        return self._shared

    def adopt(self, client: Any, role: str) -> None:
        """Tell an offline client which role it plays (plug-in factories get a client before naming themselves)."""
        if self.offline and getattr(client, "role", "") is None:
            client.role = role

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.close()


__all__ = ["Brain", "BrainSpec", "parse_brain", "default_brain", "check_endpoint"]

"""The user's blocklist: domains that must not be requested and papers that must not be read or returned.

Set it with ``POSTTRAIN_PAPERS_BLOCKLIST`` (comma-separated) and/or ``POSTTRAIN_PAPERS_BLOCKLIST_FILE`` (one entry a
line, ``#`` comments). An entry that parses as a paper id blocks that paper; anything else is a domain and blocks it
and its subdomains. Typical use: during a GSM8K benchmark run, block the benchmark's own paper and pages.

>>> os.environ["POSTTRAIN_PAPERS_BLOCKLIST"] = "arxiv:2110.14168,paperswithcode.com"
>>> Blocklist.from_env().blocks_url("https://www.paperswithcode.com/sota")
True
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from posttrain.tools.errors import ConfigError, ToolError

from .ids import canonical_id, doi_id
from .models import Paper


@dataclass(frozen=True)
class Blocklist:
    """Blocked domains and canonical paper ids."""

    domains: frozenset[str] = field(default_factory=frozenset)
    paper_ids: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_entries(cls, entries: list[str]) -> "Blocklist":
        domains, ids = set(), set()
        for entry in (e.strip() for e in entries):
            if not entry or entry.startswith("#"):
                continue
            try:
                ids.add(canonical_id(entry))
            except ToolError:
                domains.add(entry.lower().removeprefix("https://").removeprefix("http://").strip("/"))
        return cls(frozenset(domains), frozenset(ids))

    @classmethod
    def from_env(cls) -> "Blocklist":
        entries = os.environ.get("POSTTRAIN_PAPERS_BLOCKLIST", "").split(",")
        path = os.environ.get("POSTTRAIN_PAPERS_BLOCKLIST_FILE")
        if path:
            try:
                entries += Path(path).read_text().splitlines()
            except OSError as exc:
                raise ConfigError(
                    f"cannot read POSTTRAIN_PAPERS_BLOCKLIST_FILE={path}: {exc}; fix: point it at a text file"
                ) from exc
        return cls.from_entries(entries)

    def blocks_url(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def blocks_id(self, paper_id: str) -> bool:
        try:
            return canonical_id(paper_id) in self.paper_ids
        except ToolError:
            return False

    def blocks_paper(self, paper: Paper) -> bool:
        keys = {paper.id}
        if paper.arxiv_id:
            keys.add(f"arxiv:{paper.arxiv_id}")
        if paper.doi:
            keys.add(doi_id(paper.doi))
        if paper.s2_id:
            keys.add(f"s2:{paper.s2_id}")
        return bool(keys & self.paper_ids) or (paper.url is not None and self.blocks_url(paper.url))

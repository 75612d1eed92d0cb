"""Full text of arXiv papers from their HTML rendering (LaTeXML), split into titled sections.

Formulas keep their LaTeX (``alttext``), tables become ``a | b`` rows, the bibliography is dropped. Base URL:
``POSTTRAIN_ARXIV_HTML_URL`` (default https://arxiv.org/html). Goes through ``fetch`` (cache, offline, blocklist).

>>> [s.title for s in fetch_sections("2402.03300")][:3]
['Abstract', '1 Introduction', '1.1 Contributions']
"""

import os
import re
from html.parser import HTMLParser

from pydantic import BaseModel, Field

from posttrain.tools.errors import ToolError

from .fetch import FetchLog, HttpStatusError, fetch
from .ids import ID_HELP, bare_arxiv_id


MAX_SECTION_CHARS = 20_000
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "div", "li", "tr", "br", "figcaption", "table", "section", "blockquote"}
_SKIP = {"script", "style", "nav", "header", "footer", "button"}
_DROP_SECTIONS = re.compile(r"^(references|bibliography)$", re.IGNORECASE)


class Section(BaseModel):
    """One titled part of a paper."""

    title: str = Field(description='Heading with its number, e.g. "4.1 Experimental Setup", or "Abstract"')
    text: str = Field(description=f"Plain text, one paragraph a line, cut at {MAX_SECTION_CHARS} characters")


class _SectionParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[tuple[str, list[str], str]] = []
        self.heading: list[str] | None = None
        self.heading_tag = ""
        self.skip_depth = 0
        self.math_depth = 0
        self.cell_open = False

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag == "math":
            if self.math_depth == 0:
                self._emit(" " + (dict(attrs).get("alttext") or "") + " ")
            self.math_depth += 1
        elif tag in _HEADINGS and self.skip_depth == 0:
            self.heading, self.heading_tag = [], tag
        elif tag in ("td", "th"):
            self._emit(" | " if self.cell_open else "")
            self.cell_open = True
        elif tag in _BLOCKS:
            self._emit("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "math":
            self.math_depth = max(0, self.math_depth - 1)
        elif tag in _HEADINGS and self.heading is not None:
            title = " ".join("".join(self.heading).split())
            self.heading = None
            self.sections.append((title, [], self.heading_tag))
        elif tag == "tr":
            self.cell_open = False
            self._emit("\n")

    def handle_data(self, data):
        if self.math_depth == 0:
            self._emit(data)

    def _emit(self, text: str) -> None:
        if self.skip_depth:
            return
        if self.heading is not None:
            self.heading.append(text)
        elif self.sections:
            self.sections[-1][1].append(text)


def parse_sections(html: str) -> list[Section]:
    """Split an arXiv HTML page into sections; the document title (h1) and bibliography are left out."""
    parser = _SectionParser()
    parser.feed(html)
    parser.close()
    sections = []
    for title, parts, tag in parser.sections:
        if tag == "h1":  # the document title; the author block under it is not content
            continue
        lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
        text = "\n".join(line for line in lines if line)
        if not text or _DROP_SECTIONS.match(re.sub(r"^[\d.\s]+", "", title)):
            continue
        if len(text) > MAX_SECTION_CHARS:
            text = text[:MAX_SECTION_CHARS] + " [... section truncated]"
        sections.append(Section(title=title, text=text))
    return sections


def fetch_sections(arxiv_id: str, *, log: FetchLog | None = None) -> list[Section]:
    """Download a paper's arXiv HTML and split it into sections; ToolError when arXiv has no HTML for it."""
    bare = bare_arxiv_id(arxiv_id.removeprefix("arxiv:"))
    if bare is None:
        raise ToolError(f"'{arxiv_id}' is not an arXiv id; {ID_HELP}")
    base = os.environ.get("POSTTRAIN_ARXIV_HTML_URL", "https://arxiv.org/html").rstrip("/")
    try:
        response = fetch(f"{base}/{bare}", source="arXiv HTML", log=log)
    except HttpStatusError as exc:
        raise ToolError(
            f"arXiv has no HTML full text for {bare} (HTTP {exc.status}); fix: read the abstract, or the PDF at "
            f"https://arxiv.org/pdf/{bare}"
        ) from exc
    return parse_sections(response.body.decode("utf-8", "replace"))

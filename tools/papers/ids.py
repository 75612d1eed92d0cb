"""Paper identifiers: parse what users and APIs write into one canonical form, and convert it per source.

Canonical ids are ``arxiv:<id without version>``, ``doi:<lower-case doi>`` or ``s2:<40-hex paperId>``.

>>> canonical_id("https://arxiv.org/abs/2402.03300v2")
'arxiv:2402.03300'
>>> canonical_id("10.48550/arXiv.2305.18290")
'arxiv:2305.18290'
"""

import re

from posttrain.tools.errors import ToolError


_NEW_ARXIV = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")
_OLD_ARXIV = re.compile(r"^([a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$")
_S2_ID = re.compile(r"^[0-9a-f]{40}$")
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_URL_ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf|html)/([^?#\s]+?)(?:\.pdf)?/?$")
_URL_HF = re.compile(r"huggingface\.co/papers/([^?#/\s]+)")
_URL_S2 = re.compile(r"semanticscholar\.org/paper/(?:[^/]+/)?([0-9a-f]{40})")

ID_HELP = "use an arXiv id (2402.03300), arxiv:<id>, a DOI (10.x/y), doi:<doi> or s2:<40-hex paperId>"


def bare_arxiv_id(text: str) -> str | None:
    """The arXiv id without version when ``text`` is one (new or old style), else None."""
    text = text.strip()
    for pattern in (_NEW_ARXIV, _OLD_ARXIV):
        match = pattern.match(text)
        if match:
            return match.group(1)
    return None


def canonical_id(text: str) -> str:
    """Turn any accepted spelling of a paper id into the canonical one; raises ToolError naming the accepted forms."""
    raw = text.strip()
    lowered = raw.lower()
    for pattern in (_URL_ARXIV, _URL_HF):
        match = pattern.search(raw)
        if match and bare_arxiv_id(match.group(1)):
            return f"arxiv:{bare_arxiv_id(match.group(1))}"
    match = _URL_S2.search(raw)
    if match:
        return f"s2:{match.group(1)}"
    if lowered.startswith("arxiv:"):
        bare = bare_arxiv_id(raw[6:])
        if bare:
            return f"arxiv:{bare}"
    elif lowered.startswith("doi:"):
        return doi_id(raw[4:])
    elif lowered.startswith("s2:") and _S2_ID.match(lowered[3:]):
        return lowered
    elif bare_arxiv_id(raw):
        return f"arxiv:{bare_arxiv_id(raw)}"
    elif lowered.startswith("10.") and "/" in lowered:
        return doi_id(raw)
    elif _S2_ID.match(lowered):
        return f"s2:{lowered}"
    raise ToolError(f"'{text}' is not a paper id I can read; {ID_HELP}")


def doi_id(doi: str) -> str:
    """Canonical id for a DOI: arXiv's own DOIs (10.48550/arXiv.X) become arxiv ids."""
    doi = doi.strip().lower()
    match = _ARXIV_DOI.match(doi)
    if match and bare_arxiv_id(match.group(1)):
        return f"arxiv:{bare_arxiv_id(match.group(1))}"
    return f"doi:{doi}"


def s2_lookup_id(paper_id: str) -> str:
    """The form Semantic Scholar's /paper/{id} accepts for a canonical id."""
    kind, _, value = canonical_id(paper_id).partition(":")
    return {"arxiv": f"arXiv:{value}", "doi": f"DOI:{value}", "s2": value}[kind]


def arxiv_part(paper_id: str) -> str | None:
    """The bare arXiv id of a canonical id, or None when the paper is not known to be on arXiv."""
    kind, _, value = canonical_id(paper_id).partition(":")
    return value if kind == "arxiv" else None

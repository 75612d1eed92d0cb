"""Credentials never reach the config, transcript, events or summary: mask them in any text before it is stored.

Masked: the user-info of a URL (``https://user:pass@host`` → ``https://***@host``), secret-looking query parameters
(``?token=…``, ``api_key=``, ``sig=``, …), ``Bearer …`` headers and known key formats (OpenAI ``sk-…``, Hugging Face
``hf_…``, GitHub ``ghp_…``/``github_pat_…``, AWS ``AKIA…``, Slack ``xox?-…``).

    >>> redact("vllm:m@https://bob:s3cret@host:8000/v1?token=abc&x=1")
    'vllm:m@https://***@host:8000/v1?token=***&x=1'

A value that must still work in this process (the brain URL) goes through `seal`: the masked text is what gets
stored, and `reveal` gives the original back here only. A later process (`posttrain resume`) sees the mask, and
`is_sealed` tells it that the credential has to be given again.
"""

import re


MASK = "***"
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<info>[^/\s@?#]+)@")
_SECRET_PARAM = re.compile(
    r"(?P<name>[?&;](?:[\w.-]*(?:token|key|secret|passw(?:or)?d|pwd|sig|signature|auth|credential|session)"
    r"[\w.-]*)=)(?P<value>[^&#\s\"']+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<name>\b(?:Bearer|Basic)\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})")
_KEYS = [
    (re.compile(r"\bsk-(?:proj-|ant-|or-)?[A-Za-z0-9_-]{16,}"), "sk-" + MASK),
    (re.compile(r"\bhf_[A-Za-z0-9]{20,}"), "hf_" + MASK),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), "gh_" + MASK),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), "github_pat_" + MASK),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "AKIA" + MASK),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "xox-" + MASK),
]
_VAULT: dict[str, str] = {}  # masked text → original, for this process only (never written anywhere)


def redact(text: str) -> str:
    """``text`` with every credential masked (URL user-info, secret query parameters, bearer tokens, API keys)."""
    if not text:
        return text
    text = _USERINFO.sub(lambda m: m["scheme"] + MASK + "@", text)
    text = _SECRET_PARAM.sub(lambda m: m["name"] + MASK, text)
    text = _BEARER.sub(lambda m: m["name"] + MASK, text)
    for pattern, replacement in _KEYS:
        text = pattern.sub(replacement, text)
    return text


def redact_url(url: str) -> str:
    """A URL with its user-info and secret query parameters masked (host, port and path kept)."""
    return redact(url)


def seal(text: str) -> str:
    """The masked text to store; the original stays retrievable with `reveal` in this process only."""
    masked = redact(text)
    if masked != text:
        _VAULT[masked] = text
    return masked


def reveal(text: str) -> str:
    """The original of a text `seal` masked in this process; any other text unchanged."""
    return _VAULT.get(text, text)


def is_sealed(text: str) -> bool:
    """True when ``text`` carries a mask whose original this process does not know (e.g. after a resume)."""
    return MASK in text and text not in _VAULT

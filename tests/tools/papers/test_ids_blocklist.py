"""Paper id parsing and the user's blocklist."""

import pytest

from posttrain.tools.errors import ConfigError, ToolError
from posttrain.tools.papers import Blocklist, Paper
from posttrain.tools.papers.ids import canonical_id, s2_lookup_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2402.03300", "arxiv:2402.03300"),
        ("2402.03300v3", "arxiv:2402.03300"),
        ("arXiv:2305.18290", "arxiv:2305.18290"),
        ("https://arxiv.org/abs/2106.09685v2", "arxiv:2106.09685"),
        ("https://arxiv.org/pdf/2106.09685.pdf", "arxiv:2106.09685"),
        ("https://huggingface.co/papers/2503.14476", "arxiv:2503.14476"),
        ("astro-ph/0601001", "arxiv:astro-ph/0601001"),
        ("10.48550/arXiv.2312.07559", "arxiv:2312.07559"),
        ("doi:10.1093/mind/LIX.236.433", "doi:10.1093/mind/lix.236.433"),
        ("7E55D8701785818776323B4147CB13354C820469", "s2:7e55d8701785818776323b4147cb13354c820469"),
    ],
)
def test_canonical_ids(raw, expected):
    assert canonical_id(raw) == expected


def test_unreadable_id_names_the_accepted_forms():
    with pytest.raises(ToolError, match="not a paper id .* arXiv id \\(2402.03300\\)"):
        canonical_id("abc")


def test_s2_lookup_forms():
    assert s2_lookup_id("2402.03300") == "arXiv:2402.03300"
    assert s2_lookup_id("10.1000/xyz") == "DOI:10.1000/xyz"


def _paper(**kw) -> Paper:
    base = dict(id="arxiv:2110.14168", title="t", authors=[], year=2021, abstract="", url=None, source="arxiv")
    return Paper(**{**base, **kw})


def test_blocklist_from_env_and_file(tmp_path, monkeypatch):
    listing = tmp_path / "block.txt"
    listing.write_text("# benchmark pages\npaperswithcode.com\n10.1000/XYZ\n")
    monkeypatch.setenv("POSTTRAIN_PAPERS_BLOCKLIST", "2110.14168, openai.com")
    monkeypatch.setenv("POSTTRAIN_PAPERS_BLOCKLIST_FILE", str(listing))
    blocklist = Blocklist.from_env()
    assert blocklist.paper_ids == {"arxiv:2110.14168", "doi:10.1000/xyz"}
    assert blocklist.domains == {"paperswithcode.com", "openai.com"}
    assert blocklist.blocks_url("https://www.paperswithcode.com/sota/gsm8k")
    assert not blocklist.blocks_url("https://arxiv.org/abs/2402.03300")
    assert blocklist.blocks_paper(_paper())
    assert blocklist.blocks_paper(_paper(id="s2:" + "a" * 40, doi="10.1000/xyz"))
    assert not blocklist.blocks_paper(_paper(id="arxiv:2402.03300"))


def test_missing_blocklist_file_is_a_config_error(monkeypatch, tmp_path):
    monkeypatch.setenv("POSTTRAIN_PAPERS_BLOCKLIST_FILE", str(tmp_path / "absent.txt"))
    with pytest.raises(ConfigError, match="POSTTRAIN_PAPERS_BLOCKLIST_FILE"):
        Blocklist.from_env()

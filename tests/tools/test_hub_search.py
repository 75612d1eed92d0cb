"""search_datasets against the Hub API wire format on a real loopback server, plus the offline paths."""

import json

import pytest

from posttrain.tools.errors import ConfigError
from posttrain.tools.hub import search_datasets
from tests.conftest import Recorded
from tests.fixtures.hub.online import online  # noqa: F401 - fixture


def test_search_parses_hits_and_sends_the_query(online, own_fixtures):  # noqa: F811
    body = (own_fixtures / "hub" / "list_datasets_search_gsm8k_full.json").read_bytes()
    online.route("/api/datasets", Recorded(200, body))

    hits = search_datasets("gsm8k", limit=3, sort="likes", filter="language:en")

    assert not hits.offline and hits.errors == []
    assert [h.id for h in hits.datasets] == [
        "openai/gsm8k",
        "meta-llama/Llama-3.1-8B-Instruct-evals",
        "trl-lib/ultrafeedback_binarized",
    ]
    gsm8k, gated, _ = hits.datasets
    assert (gsm8k.license, gsm8k.size_category, gsm8k.downloads, gsm8k.gated) == ("mit", "1K<n<10K", 427043, False)
    assert gsm8k.task_categories == ["text2text-generation"]
    assert gsm8k.description.startswith("Dataset Card for GSM8K") and len(gsm8k.description) <= 320
    assert (gated.gated, gated.license) == ("manual", "llama3.1")
    request = online.requests[0]
    assert request.query["search"] == "gsm8k" and request.query["sort"] == "likes"
    assert request.query["filter"] == "language:en" and request.query["limit"] == "3"


def test_search_sends_the_token(online, own_fixtures, monkeypatch):  # noqa: F811
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    online.route("/api/datasets", Recorded(200, b"[]"))
    assert search_datasets("nothing").datasets == []
    assert online.requests[0].headers["authorization"] == "Bearer hf_test_token"


def test_search_reports_a_hub_error_without_raising(online, own_fixtures):  # noqa: F811
    body = (own_fixtures / "hub" / "error_401_repo_not_found.json").read_bytes()
    online.route("/api/datasets", Recorded(401, body, {"X-Error-Code": "RepoNotFound"}))
    hits = search_datasets("gsm8k")
    assert hits.datasets == [] and not hits.offline
    assert "Hub refused" in hits.errors[0] and "401" in hits.errors[0]


def test_offline_modes_answer_instantly():
    # conftest sets HF_HUB_OFFLINE=1 and POSTTRAIN_OFFLINE=1: no request may be attempted
    hits = search_datasets("gsm8k")
    assert hits.offline and "POSTTRAIN_OFFLINE" in hits.errors[0]


def test_hf_hub_offline_alone_is_reported(monkeypatch):
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    hits = search_datasets("gsm8k")
    assert hits.offline and "HF_HUB_OFFLINE" in hits.errors[0]


def test_unreachable_endpoint_is_offline_not_an_exception(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: connection refused at once
    hits = search_datasets("gsm8k")
    assert hits.offline and "unreachable" in hits.errors[0] and "127.0.0.1:9" in hits.errors[0]


@pytest.mark.parametrize("kwargs", [{"sort": "stars"}, {"limit": 0}, {"limit": 1000}])
def test_bad_arguments_are_config_errors(kwargs):
    with pytest.raises(ConfigError, match="fix"):
        search_datasets("x", **kwargs)


def test_hits_serialise_as_json(online, own_fixtures):  # noqa: F811
    online.route(
        "/api/datasets", Recorded(200, (own_fixtures / "hub" / "list_datasets_search_gsm8k_full.json").read_bytes())
    )
    payload = json.loads(search_datasets("gsm8k").model_dump_json())
    assert payload["datasets"][0]["id"] == "openai/gsm8k"

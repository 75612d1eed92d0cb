"""Helpers shared by the hub tests: point huggingface_hub and the viewer client at the loopback server."""

import pytest


@pytest.fixture
def online(monkeypatch, loopback_server):
    """Lift offline mode for this test and aim HF_ENDPOINT and the viewer URL at the loopback server."""
    from huggingface_hub import constants

    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", loopback_server.url)
    monkeypatch.setenv("POSTTRAIN_DATASETS_SERVER_URL", loopback_server.url + "/viewer")
    return loopback_server

"""Shared test set-up: a fixed HMAC key, no user config touched, and a scan helper."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import TEST_KEY


@pytest.fixture(autouse=True)
def _fixed_key(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("PIISCAN_HMAC_KEY", TEST_KEY)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(scope="session", autouse=True)
def _stop_test_servers() -> Iterator[None]:
    """Servers started for tests (S3, GCS) stop with the session, or pytest would not exit."""
    yield
    servers = sys.modules.get("tests.connectors.cloud_servers")
    if servers is not None:
        servers.stop_servers()


@pytest.fixture
def fixtures() -> Path:
    return Path(__file__).parent / "fixtures"

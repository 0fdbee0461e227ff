"""Shared test set-up: a fixed HMAC key, no user config touched, and a scan helper."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import TEST_KEY


@pytest.fixture(autouse=True)
def _fixed_key(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("PIISCAN_HMAC_KEY", TEST_KEY)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture
def fixtures() -> Path:
    return Path(__file__).parent / "fixtures"

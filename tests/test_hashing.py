"""Keyed hashes: the formula, where the key comes from, and the key file's creation."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pytest

from piiscan.hashing import HmacKeyError, key_fingerprint, load_key, value_hash


def test_value_hash_is_hmac_sha256_of_entity_colon_canonical() -> None:
    expected = hmac.new(b"k", b"NL_BSN:123456782", hashlib.sha256).hexdigest()
    assert value_hash(b"k", "NL_BSN", "123456782") == expected


def test_the_environment_key_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "sécret")
    assert load_key(tmp_path / "unused") == "sécret".encode()
    assert not (tmp_path / "unused").exists()


def test_a_key_file_is_created_once_with_mode_0600(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    path = tmp_path / "cfg" / "hmac.key"
    first = load_key(path)
    assert len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path) == first


def test_default_key_file_lives_in_the_config_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    key = load_key()
    assert (tmp_path / "piiscan" / "hmac.key").read_bytes().strip() == key


def test_an_empty_key_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    (tmp_path / "k").write_text("\n")
    with pytest.raises(HmacKeyError, match="is empty"):
        load_key(tmp_path / "k")


def test_fingerprint_does_not_reveal_the_key() -> None:
    assert key_fingerprint(b"secret") != key_fingerprint(b"other")
    assert "secret" not in key_fingerprint(b"secret")

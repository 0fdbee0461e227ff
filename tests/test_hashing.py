"""Keyed hashes: the formula, where the key comes from, and the key file's creation."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pytest

from piiscan.hashing import Hasher, HmacKeyError, key_fingerprint, load_key, value_hash


def test_value_hash_is_hmac_sha256_of_entity_colon_canonical() -> None:
    expected = hmac.new(b"k", b"NL_BSN:123456782", hashlib.sha256).hexdigest()
    assert value_hash(b"k", "NL_BSN", "123456782") == expected


@pytest.mark.parametrize("key", [b"k" * 16, b"k" * 64, b"k" * 65, "sleutel-ß-€".encode() * 9])
def test_the_hasher_gives_the_hmac_of_every_key_length(key: bytes) -> None:
    hasher = Hasher(key, memory=2)
    for entity, canonical in [("NL_BSN", "123456782"), ("EMAIL_ADDRESS", "jan@example.nl"), ("PERSON", "zoë")] * 2:
        expected = hmac.new(key, f"{entity}:{canonical}".encode(), hashlib.sha256).hexdigest()
        assert hasher(entity, canonical) == expected == value_hash(key, entity, canonical)
    positions = ["52.0907,5.1214", "52.3676,4.9041", "52.0907,5.1214"]
    assert Hasher(key, memory=1).many("GPS_COORDINATES", positions) == [
        value_hash(key, "GPS_COORDINATES", p) for p in positions
    ]


def test_the_environment_key_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "sécret de seize octets")
    assert load_key(tmp_path / "unused") == "sécret de seize octets".encode()
    assert not (tmp_path / "unused").exists()


def test_a_named_key_file_is_created_once_with_mode_0600_only_when_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    path = tmp_path / "hmac.key"
    with pytest.raises(HmacKeyError, match=r"hmac.key does not exist \(give --create-key"):
        load_key(path)
    assert not path.exists()
    first = load_key(path, create_named=True)
    assert len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path) == first


def test_a_typo_in_a_folder_creates_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    with pytest.raises(HmacKeyError, match="cannot create the HMAC key file"):
        load_key(tmp_path / "cfgg" / "hmac.key", create_named=True)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "PIISCAN_HMAC_KEY is empty"), ("  \n", "PIISCAN_HMAC_KEY is empty"), ("x", "too short")],
)
def test_an_empty_or_short_environment_key_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str, message: str
) -> None:
    monkeypatch.setenv("PIISCAN_HMAC_KEY", value)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(HmacKeyError, match=message):
        load_key()
    assert not (tmp_path / "piiscan").exists()  # no fallback to a key file


def test_environment_and_file_give_the_same_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text("  a shared secret of 32 bytes!!!\n")
    path.chmod(0o600)
    monkeypatch.setenv("PIISCAN_HMAC_KEY", "a shared secret of 32 bytes!!!\n")
    from_env = load_key()
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    assert key_fingerprint(load_key(path)) == key_fingerprint(from_env)


def test_a_key_file_readable_by_others_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    path = tmp_path / "k"
    path.write_text("0123456789abcdef0123456789abcdef\n")
    path.chmod(0o644)
    with pytest.raises(HmacKeyError, match=f"readable by others: run `chmod 600 {path}`"):
        load_key(path)


def test_default_key_file_lives_in_the_config_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    key = load_key()
    assert (tmp_path / "piiscan" / "hmac.key").read_bytes().strip() == key


def test_an_empty_key_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PIISCAN_HMAC_KEY")
    (tmp_path / "k").write_text("\n")
    (tmp_path / "k").chmod(0o600)
    with pytest.raises(HmacKeyError, match="is empty"):
        load_key(tmp_path / "k")


def test_fingerprint_does_not_reveal_the_key() -> None:
    assert key_fingerprint(b"secret") != key_fingerprint(b"other")
    assert "secret" not in key_fingerprint(b"secret")

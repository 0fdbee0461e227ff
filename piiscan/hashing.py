"""Keyed hashes of detected values (FINDINGS.md "Never the raw value").

value_hash = lowercase hex HMAC-SHA256(key, ENTITY + ":" + canonical value). The key is the
UTF-8 bytes of $PIISCAN_HMAC_KEY when set; otherwise the content of a key file (whitespace at
either end stripped), by default created once, mode 0600, in the user's config directory.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import platformdirs

KEY_ENV = "PIISCAN_HMAC_KEY"
KEY_FILE_ENV = "PIISCAN_KEY_FILE"


class HmacKeyError(Exception):
    """The HMAC key cannot be had (unreadable or empty key file)."""


def default_key_file() -> Path:
    return Path(platformdirs.user_config_dir("piiscan")) / "hmac.key"


def load_key(key_file: str | os.PathLike[str] | None = None, *, create: bool = True) -> bytes:
    """The scan key: $PIISCAN_HMAC_KEY, else the key file (created when missing and `create`)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = Path(key_file or os.environ.get(KEY_FILE_ENV) or default_key_file())
    if not path.exists():
        if not create:
            raise HmacKeyError(f"no HMAC key: set {KEY_ENV} or create the key file {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two scans starting at once must not each write a different key
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise HmacKeyError(f"cannot read the HMAC key file {path}: {exc.strerror}") from None
    if not key:
        raise HmacKeyError(f"the HMAC key file {path} is empty")
    return key


def key_fingerprint(key: bytes) -> str:
    """A short, non-reversible name for a key, recorded in manifest.json so scans can be matched."""
    return hmac.new(key, b"piiscan key fingerprint", hashlib.sha256).hexdigest()[:16]


def value_hash(key: bytes, entity: str, canonical: str) -> str:
    return hmac.new(key, f"{entity}:{canonical}".encode(), hashlib.sha256).hexdigest()


class Hasher:
    """`value_hash` for one key, keyed once and remembering recent values (data repeats)."""

    def __init__(self, key: bytes, memory: int = 65_536) -> None:
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._memory = memory
        self._seen: dict[tuple[str, str], str] = {}

    def __call__(self, entity: str, canonical: str) -> str:
        found = self._seen.get((entity, canonical))
        if found is None:
            mac = self._mac.copy()
            mac.update(f"{entity}:{canonical}".encode())
            found = mac.hexdigest()
            if len(self._seen) >= self._memory:
                self._seen.clear()
            self._seen[(entity, canonical)] = found
        return found

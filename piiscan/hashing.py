"""Keyed hashes of detected values (FINDINGS.md "Never the raw value").

value_hash = lowercase hex HMAC-SHA256(key, ENTITY + ":" + canonical value). The key is the
UTF-8 bytes of $PIISCAN_HMAC_KEY when set; otherwise the content of a key file, by default created
once, mode 0600, in the user's config directory. Either way white space at both ends is stripped,
so the same secret gives the same hashes from the environment and from a file. A key shorter than
16 bytes, an empty `PIISCAN_HMAC_KEY`, a named key file that does not exist (unless it is to be
created) and a key file readable by group or others are errors: each would otherwise weaken or
silently change every hash a scan writes.
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


#: a shorter key is refused: a BSN has only 10^9 values, the key is all that protects them
MIN_KEY_BYTES = 16


class HmacKeyError(Exception):
    """The HMAC key cannot be had, or is not fit to protect hashed values."""


def default_key_file() -> Path:
    return Path(platformdirs.user_config_dir("piiscan")) / "hmac.key"


def load_key(
    key_file: str | os.PathLike[str] | None = None, *, create: bool = True, create_named: bool = False
) -> bytes:
    """The scan key: $PIISCAN_HMAC_KEY, else the key file.

    The default key file is created when missing if `create`; a key file named by `key_file` or
    $PIISCAN_KEY_FILE only if `create_named` (`--create-key`): a typo must not start a new key.
    """
    env = os.environ.get(KEY_ENV)
    if env is not None:
        return _checked(env.encode("utf-8").strip(), f"{KEY_ENV}")
    named = key_file or os.environ.get(KEY_FILE_ENV)
    path = Path(named) if named else default_key_file()
    if not path.exists():
        if named and not create_named:
            raise HmacKeyError(f"the HMAC key file {path} does not exist (give --create-key to create a new key there)")
        if not named and not create:
            raise HmacKeyError(f"no HMAC key: set {KEY_ENV} or create the key file {path}")
        _create(path, parents=not named)
    try:
        mode = path.stat().st_mode
        key = path.read_bytes().strip()
    except OSError as exc:
        raise HmacKeyError(f"cannot read the HMAC key file {path}: {exc.strerror}") from None
    if os.name == "posix" and mode & 0o077:
        raise HmacKeyError(f"the HMAC key file {path} is readable by others: run `chmod 600 {path}`")
    return _checked(key, f"the HMAC key file {path}")


def _create(path: Path, *, parents: bool) -> None:
    """A new random key at `path`, mode 0600; the folder is made only for the default location."""
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two scans starting at once must not each write a different key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise HmacKeyError(f"cannot create the HMAC key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")


def _checked(key: bytes, where: str) -> bytes:
    if not key:
        raise HmacKeyError(f"{where} is empty")
    if len(key) < MIN_KEY_BYTES:
        raise HmacKeyError(f"{where} is too short: an HMAC key needs at least {MIN_KEY_BYTES} bytes")
    return key


def key_fingerprint(key: bytes) -> str:
    """A short, non-reversible name for a key, recorded in manifest.json so scans can be matched."""
    return hmac.new(key, b"piiscan key fingerprint", hashlib.sha256).hexdigest()[:16]


def value_hash(key: bytes, entity: str, canonical: str) -> str:
    return hmac.new(key, f"{entity}:{canonical}".encode(), hashlib.sha256).hexdigest()


class Hasher:
    """`value_hash` for one key, keyed once and remembering recent values (data repeats).

    HMAC (RFC 2104) from SHA-256 states that have already read the padded key: copying two hash
    states is a third of the cost of copying an `hmac.HMAC`, which a table's every value pays.
    """

    def __init__(self, key: bytes, memory: int = 65_536) -> None:
        block = hashlib.sha256().block_size
        padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
        self._memory = memory
        self._seen: dict[str, str] = {}  # by the message hashed

    def __call__(self, entity: str, canonical: str) -> str:
        message = f"{entity}:{canonical}"
        found = self._seen.get(message)
        if found is None:
            inner = self._inner.copy()
            inner.update(message.encode())
            outer = self._outer.copy()
            outer.update(inner.digest())
            found = outer.hexdigest()
            if len(self._seen) >= self._memory:
                self._seen.clear()
            self._seen[message] = found
        return found

    def many(self, entity: str, canonicals: list[str]) -> list[str]:
        """`self(entity, c)` for each of `canonicals` (a column's positions: one call, not one each)."""
        seen, memory = self._seen, self._memory
        inner, outer = self._inner, self._outer
        out = []
        for canonical in canonicals:
            message = f"{entity}:{canonical}"
            found = seen.get(message)
            if found is None:
                mac = inner.copy()
                mac.update(message.encode())
                outside = outer.copy()
                outside.update(mac.digest())
                found = outside.hexdigest()
                if len(seen) >= memory:
                    seen.clear()
                seen[message] = found
            out.append(found)
        return out

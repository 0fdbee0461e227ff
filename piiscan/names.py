"""Names are content (docs/scan-directory.md): values found in names masked, and sealed for the key holder.

A name reaches the scan directory in the `object`, `member`, `field` and `row_key` columns, in
error messages and reasons, and from there in every tool's output. `NameGuard` scans each
distinct piece of a name (a path segment, a member name, a field name) with the scan's detectors
and replaces each value found by a *token*: its mask and a keyed digest of the exact text it
replaces, `{****2333~hdbpniimkleo}`. The digest keeps names that differ only in a hidden value
apart, so tools still join objects and findings by name. The exact text of each token is kept in
the scan directory's `names` table, sealed (AES-256-GCM, with a key derived by HKDF-SHA256 from
the scan's HMAC key, the token as associated data): `SealedNames` opens it again, for
`piiscan names reveal` and for tools that must re-open an object (`subject verify`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from piiscan.model import Finding, Locator, TextUnit

if TYPE_CHECKING:
    from piiscan.engine import Engine

#: a value in a name is masked (and reported) from this score on, or from `--min-score` if lower:
#: a name has no words around its values to raise their score (a bare 9-digit BSN scores 0.4)
NAME_MIN_SCORE = 0.3
#: what a token looks like: `{MASK~DIGEST}`
TOKEN = re.compile(r"\{([^{}~]*)~([a-p]{12})\}")
#: the `field` of a finding in a name: which name it was found in (a field's own masked name follows)
IN_OBJECT, IN_MEMBER, IN_FIELD = "name:object", "name:member", "name:field:"

_SEAL_INFO = b"piiscan sealed names v1"
_DIGEST_PREFIX = b"piiscan name\x1f"
_FILE_SAFE = "/:@!$&'()*+,;=-._~"  # what piiscan.connectors.local.file_uri leaves unquoted
_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
_SPACED = str.maketrans("_/", "  ")  # same length: `klant_111222333` reads as two words
#: a mail message's name: masked (it has an e-mail address's shape) but no finding, as its
#: header is none: it names a message, it is nobody's address
_MESSAGE_ID = re.compile(r"<[^<>@]*@[^<>]*>(#[0-9]+)?")
_MEMORY = 100_000  # distinct pieces remembered per worker: names repeat (a field on every row)
#: a cell of a spreadsheet or a document's table, `Klanten!C7`: no value fits in its column and row
_CELL = re.compile(r"(.+)(![A-Z]{1,3}[1-9][0-9]{0,6})")


class NamesKeyError(Exception):
    """The sealed names cannot be opened with this key."""


@dataclass(frozen=True, slots=True)
class NameValue:
    """A value found in a name: what a finding says about it (never the value)."""

    entity: str
    detector: str
    score: float
    value_hash: str
    masked: str

    def finding(self, where: str) -> Finding:
        return Finding(self.entity, self.detector, self.score, self.value_hash, self.masked, Locator(field=where))


Masked = tuple[str, tuple[NameValue, ...]]
#: a piece of a name as written, the values found in it, and its (token, exact text) pairs
_Piece = tuple[str, tuple[NameValue, ...], tuple[tuple[str, str], ...]]
#: a piece of a name, and how it is scanned: as it is (False), percent-decoded (True), or not (None)
_Part = tuple[str, bool | None]


def seal_key(key: bytes) -> bytes:
    """The AES-256-GCM key of a scan's sealed names, derived from its HMAC key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(key)


class NameGuard:
    """Masks the values in names, reports them once per name, and seals their exact text.

    One per worker process (thread-safe enough for its I/O threads: dictionaries and a lock).
    `take_seals` hands over the (token, sealed) pairs made since it was last called."""

    def __init__(self, engine: Engine, key: bytes) -> None:
        self.engine = engine
        self._mac = hmac.new(key, _DIGEST_PREFIX, hashlib.sha256)
        self._aead = AESGCM(seal_key(key))
        self._pieces: dict[str, _Piece] = {}
        self._names: dict[tuple[str, str], _Piece] = {}
        self._sealed: set[str] = set()
        self._seals: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()

    # -- names of each kind -----------------------------------------------------------------

    def uri(self, uri: str, *, seal: bool = True) -> Masked:
        """An object's URI: each path segment scanned; a database's host and port are not a name.
        `seal=False`: only to compare with what is written (the tokens are sealed where written)."""
        return self._name("uri", uri, _uri_pieces, seal)

    def member(self, path: str) -> Masked:
        """A member path: each archive path segment, attachment name and Message-ID scanned."""
        return self._name("member", path, lambda p: _split(p, "[!/]"))

    def field(self, name: str) -> Masked:
        """A column name, JSON path, header or sheet name, scanned whole; a cell's name (`Sheet!C7`)
        as its sheet's name, scanned once for all the sheet's cells, and the cell in it."""
        return self._name("field", name, _field_pieces)

    def text(self, text: str) -> str:
        """A message or reason: values masked (no finding: it names an object that has its own rows)."""
        return self._name("text", text, lambda t: [(t, False)])[0]

    def row_key(self, row_key: str, spans: Callable[[str], list[tuple[int, int, str]]]) -> str:
        """A row key's text with each span of `spans` (every validated identifier) made a token."""
        masked, tokens = self._tokens(row_key, spans(row_key), quoted=False)
        for token, exact in tokens:
            self._seal(token, exact)
        return masked

    def take_seals(self) -> list[tuple[str, bytes]]:
        """The tokens made since the last call, each with its sealed exact text, to be written."""
        with self._lock:
            seals, self._seals = self._seals, []
        return seals

    def forget_seals(self) -> None:
        """Seal every token again from now on (a new batch writes its own `names` rows)."""
        with self._lock:
            self._sealed.clear()

    # -- how ---------------------------------------------------------------------------------

    def _name(self, kind: str, name: str, pieces: Callable[[str], list[_Part]], seal: bool = True) -> Masked:
        done = self._names.get((kind, name))
        if done is None:
            parts: list[str] = []
            values: list[NameValue] = []
            tokens: list[tuple[str, str]] = []
            for piece, quoted in pieces(name):
                if quoted is None:  # a separator, a scheme and a database's address: not names
                    parts.append(piece)
                    continue
                masked, found, made = self._piece(piece, quoted)
                parts.append(masked)
                if not _MESSAGE_ID.fullmatch(piece):
                    values.extend(found)
                tokens.extend(made)
            done = ("".join(parts), tuple(values), tuple(tokens))
            if len(self._names) >= _MEMORY:
                self._names.clear()
            self._names[(kind, name)] = done
        if seal:
            for token, exact in done[2]:
                self._seal(token, exact)
        return done[0], done[1]

    def _piece(self, piece: str, quoted: bool) -> _Piece:
        cache_key = ("%" if quoted else "") + piece
        done = self._pieces.get(cache_key)
        if done is None:
            plain = unquote(piece) if quoted else piece
            unit = TextUnit(plain.translate(_SPACED))
            findings = self.engine.scan(unit, min_score=NAME_MIN_SCORE) if plain.strip() else []
            if findings and "~" in plain:  # a name masked already stays as it is
                made = [(m.start(), m.end()) for m in TOKEN.finditer(plain)]
                findings = [f for f in findings if not any(f.start < e and s < f.end for s, e in made)]
            found = tuple(NameValue(f.entity, f.detector, f.score, f.value_hash, f.masked) for f in findings)
            if findings:
                masked, tokens = self._tokens(plain, [(f.start, f.end, f.masked) for f in findings], quoted)
                done = (masked, found, tokens)
            else:
                done = (piece, (), ())
            if len(self._pieces) >= _MEMORY:
                self._pieces.clear()
            self._pieces[cache_key] = done
        return done

    def _tokens(
        self, text: str, spans: Iterable[tuple[int, int, str]], quoted: bool
    ) -> tuple[str, tuple[tuple[str, str], ...]]:
        """`text` with each span a token (of overlapping spans, the first), and the (token, exact
        text) pairs; a URI's other text is quoted again as it was."""
        written = (lambda s: quote(s, safe=_FILE_SAFE)) if quoted else (lambda s: s)
        out: list[str] = []
        tokens: list[tuple[str, str]] = []
        at = 0
        made = [(m.start(), m.end()) for m in TOKEN.finditer(text)]  # a token is never masked again
        for start, end, mask in sorted(spans, key=lambda s: (s[0], -s[1])):
            if start < at or any(start < e and s < end for s, e in made):
                continue
            exact = written(text[start:end])
            token = "{" + re.sub(r"[{}~]", "*", mask) + "~" + self._digest(exact) + "}"
            tokens.append((token, exact))
            out.append(written(text[at:start]) + token)
            at = end
        return "".join(out) + written(text[at:]), tuple(tokens)

    def _digest(self, exact: str) -> str:
        """48 bits of a keyed digest of `exact`, written in the letters a-p: no digits, so no
        detector ever reads a number in a token, and no digit run of a value can appear in one."""
        mac = self._mac.copy()
        mac.update(exact.encode("utf-8", "surrogatepass"))
        return mac.hexdigest()[:12].translate(_LETTERS)

    def _seal(self, token: str, exact: str) -> None:
        """Seal a token's exact text, once per batch (see `forget_seals`)."""
        with self._lock:
            if token in self._sealed:
                return
            self._sealed.add(token)
            nonce = os.urandom(12)
            sealed = nonce + self._aead.encrypt(nonce, exact.encode("utf-8", "surrogatepass"), token.encode())
            self._seals.append((token, sealed))


def _uri_pieces(uri: str) -> list[_Part]:
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return _split(uri, "/")
    head = scheme + sep
    if scheme == "postgresql":  # host:port is where the database is, not a name in it
        authority, slash, rest = rest.partition("/")
        head += authority + slash
    return [(head, None), *_split(rest, "/", quoted=scheme == "file")]


def _field_pieces(name: str) -> list[_Part]:
    cell = _CELL.fullmatch(name)
    return [(name, False)] if cell is None else [(cell[1], False), (cell[2], None)]


def _split(name: str, separators: str, *, quoted: bool = False) -> list[_Part]:
    """The pieces of `name` between separators, the separators as pieces of their own (not scanned)."""
    return [(p, quoted if i % 2 == 0 else None) for i, p in enumerate(re.split(f"({separators})", name)) if p]


# -- reading sealed names back -----------------------------------------------------------------


class SealedNames:
    """The exact text of tokens, opened with the scan key (piiscan.tools.names reads them from scans)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(seal_key(key))
        self.exact: dict[str, str] = {}

    def add(self, tokens: Iterable[str], sealed: Iterable[bytes]) -> None:
        """Open the (token, sealed) pairs of a `names` table, or NamesKeyError: sealed with another key."""
        for token, box in zip(tokens, sealed, strict=True):
            if token in self.exact:
                continue
            try:
                plain = self._aead.decrypt(box[:12], box[12:], token.encode())
            except InvalidTag:
                raise NamesKeyError("a sealed name does not open with this HMAC key") from None
            self.exact[token] = plain.decode("utf-8", "surrogatepass")

    def reveal(self, text: str) -> str:
        """`text` with every token opened replaced by its exact text (other tokens kept)."""
        return TOKEN.sub(lambda m: self.exact.get(m.group(0), m.group(0)), text)

    def missing(self, text: str) -> list[str]:
        """The tokens in `text` that none of the opened names has."""
        return [m.group(0) for m in TOKEN.finditer(text) if m.group(0) not in self.exact]


def holds_token(text: str) -> bool:
    """Whether a name as written had a value masked in it."""
    return TOKEN.search(text) is not None

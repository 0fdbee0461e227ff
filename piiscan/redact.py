"""Error messages without content: what an exception says, with anything quoted or value-like cut.

Library exceptions sometimes quote the data they choked on (a cell that would not parse, a
line that did not match), quoted or not: quoted text, e-mail addresses, digit runs, MRZ lines and
runs of capitalised words (a name, a street) are cut. The scan also masks what its detectors find
in a message (piiscan.names), as in any name it writes. No raw value may leave the scanner, so
every message that is written or shown passes through here.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|b'[^']*'")
_VALUEISH = re.compile(r"[\w.+\-]+@[\w\-]+\.[\w.\-]+|\+?\d[\d .\-/]{5,}\d")
#: a machine-readable zone's line (`P<NLDJANSEN<<JAN<<<…`): letters, digits and `<` fillers
_MRZ = re.compile(r"(?=[A-Z0-9<]*<)[A-Z0-9<]{10,}")
#: what reads as a person's name or a street: two or more capitalised words in a row
_NAMEISH = re.compile(
    r"\b[A-Z][a-z\u00e0-\u00ff]+(?:[ \-](?:(?:van|de|der|den|ter|ten)[ \-])*[A-Z][a-z\u00e0-\u00ff]+)+"
)
MAX_MESSAGE = 300


def safe_message(exc: BaseException | str) -> str:
    text = exc if isinstance(exc, str) else (str(exc) or type(exc).__name__)
    text = " ".join(text.split())
    text = _QUOTED.sub("'…'", text)
    text = _VALUEISH.sub("…", text)
    text = _MRZ.sub("…", text)
    text = _NAMEISH.sub("…", text)
    return text[:MAX_MESSAGE]


_PASSWORD_PARAM = re.compile(r"(?i)([?&]password=)[^&#]*")
_USERINFO_PASSWORD = re.compile(r"^([a-z][a-z0-9+.\-]*://[^/@:?#]*):[^/@?#]*@", re.IGNORECASE)


def strip_password(uri: str) -> str:
    """A source URI as it may be shown or written: any password in it replaced by `***`.

    >>> strip_password("postgresql://jan:s3cret@db:5432/shop?sslmode=require&password=x")
    'postgresql://jan:***@db:5432/shop?sslmode=require&password=***'
    """
    return _PASSWORD_PARAM.sub(r"\1***", _USERINFO_PASSWORD.sub(r"\1:***@", uri))

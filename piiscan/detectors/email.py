"""EMAIL_ADDRESS: e-mail addresses (RFC 5322 addr-spec, in the dot-atom form people write).

A local part of letters, digits and `.!#$%&'*+/=?^_`{|}~-` (no leading, trailing or doubled
dot), `@`, and a domain of at least two labels (RFC 1035: letters, digits, inner hyphens, at
most 63 characters each) whose last label, the top-level domain, is alphabetic (or an IDN
`xn--` label). No list of top-level domains is consulted — nothing is fetched — but names that
are file extensions (`icon@2x.png`) are not domains. Quoted local parts and IP-literal domains
are left out: nobody writes them in data worth finding. In `key=value` logs the key is no part
of the address (`user=jan@example.nl` is `jan@example.nl`), though `=` may stand in a local part.

>>> d = EmailDetector()
>>> d.validate("Jan.Jansen@Example.NL").canonical
'jan.jansen@example.nl'
>>> d.validate("user=jan@example.nl").canonical
'jan@example.nl'
>>> d.validate("logo@2x.png") is None
True
>>> d.mask("jan.jansen@example.nl")
'j***@example.nl'
"""

from __future__ import annotations

import re

from piiscan.detectors.base import Candidate, Detector, Pattern, SubjectOption
from piiscan.entities import EMAIL_ADDRESS

#: a log's `key=` before an address: a name of letters, digits, `_`, `.` or `-`, then `=`
_KEY = re.compile(r"^[a-z_][a-z0-9_.\-]*=")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
#: file extensions that look like top-level domains in `name@2x.png`-style asset names
_FILE_EXTENSIONS = frozenset(
    "png jpg jpeg gif svg webp bmp ico tif tiff pdf txt csv json xml html htm css js ts py java rb go php "
    "zip gz tar tgz bz2 xz rar log md yaml yml toml ini cfg conf lock".split()
)


class EmailDetector(Detector):
    name = "email"
    entity = EMAIL_ADDRESS
    explanation = (
        "dot-atom local part, two or more domain labels, an alphabetic top-level domain that is no file extension"
    )
    canonical_form = "lower case, trimmed"
    subject = SubjectOption("email", "ADDRESS", "E-mail address; repeatable.", "not an e-mail address")
    # bounded so that Hyperscan can report the start (it cannot with a 253-character domain);
    # domains longer than 49 characters are not found
    patterns = (Pattern(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]{1,64}@[A-Za-z0-9][A-Za-z0-9.\-]{0,47}[A-Za-z0-9]\b", 0.8),)
    context = ("email", "e-mail", "mail", "mailadres", "e-mailadres", "contact", "emailadresse")
    context_boost = 0.15

    def validate(self, text: str) -> Candidate | None:
        local, _, domain = text.strip().lower().rpartition("@")
        # a match may start on punctuation before the address ("(jan@…", "'jan@…")
        local = local.lstrip(".!#$%&'*/=?^`{|}~-")
        local = _KEY.sub("", local)
        labels = domain.split(".")
        if (
            not local
            or ".." in local
            or local.endswith(".")
            or len(labels) < 2
            or not all(_LABEL.match(label) for label in labels)
            or not _TLD.match(labels[-1])
            or labels[-1] in _FILE_EXTENSIONS
        ):
            return None
        start = len(text.rstrip()) - len(local) - 1 - len(domain)
        return Candidate(f"{local}@{domain}", start=start)

    def mask(self, canonical: str) -> str:
        local, _, domain = canonical.partition("@")
        return f"{local[:1]}***@{domain}"

"""EMAIL_ADDRESS: addresses found lower-cased, look-alikes refused, nothing fetched."""

from __future__ import annotations

import pytest

from piiscan.detectors.email import EmailDetector
from piiscan.entities import EMAIL_ADDRESS
from tests.detectors.scanning import found
from tests.helpers import h


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        ("mail Jan.Jansen@Example.NL today", "Jan.Jansen@Example.NL", "jan.jansen@example.nl"),
        ("<support@connec2.nl>", "support@connec2.nl", "support@connec2.nl"),
        (
            "to: p.de-vries+news@mail.example.co.uk.",
            "p.de-vries+news@mail.example.co.uk",
            "p.de-vries+news@mail.example.co.uk",
        ),
        ("'info@conneqtech.com'", "info@conneqtech.com", "info@conneqtech.com"),
        ("mailto:anna_b@xn--bcher-kva.de", "anna_b@xn--bcher-kva.de", "anna_b@xn--bcher-kva.de"),
        ("(.jan@example.nl)", "jan@example.nl", "jan@example.nl"),
    ],
)
def test_found(text: str, span: str, canonical: str) -> None:
    assert found("email", text) == [(span, h(EMAIL_ADDRESS, canonical))]


@pytest.mark.parametrize(
    "text",
    [
        "logo@2x.png",
        "pkg@1.2.3",
        "user@localhost",
        "a..b@example.nl",
        "jan@-example.nl",
        "@example.nl",
        "jan@example.n",
        "git log HEAD@{1}",
    ],
)
def test_refused(text: str) -> None:
    assert found("email", text) == []


@pytest.mark.parametrize(
    ("text", "canonical"),
    [(" Jan@Example.NL", "jan@example.nl"), ("jan.@example.nl", None), ("x@y.jpg", None)],
)
def test_validate(text: str, canonical: str | None) -> None:
    cand = EmailDetector().validate(text)
    assert (cand.canonical if cand else None) == canonical


def test_mask() -> None:
    assert EmailDetector().mask("jan.jansen@example.nl") == "j***@example.nl"


@pytest.mark.parametrize(
    ("text", "span", "canonical"),
    [
        # key=value logs: the key is no part of the address
        ("2026-10-02T09:14:03Z login ok user=jan@example.nl ip=10.0.0.1", "jan@example.nl", "jan@example.nl"),
        ("auth: account.email=Jan.Jansen@Example.NL status=ok", "Jan.Jansen@Example.NL", "jan.jansen@example.nl"),
        ("to=<piet@bakker-ict.nl> relay=local", "piet@bakker-ict.nl", "piet@bakker-ict.nl"),
    ],
)
def test_round2_key_value(text: str, span: str, canonical: str) -> None:
    assert found("email", text) == [(span, h(EMAIL_ADDRESS, canonical))]

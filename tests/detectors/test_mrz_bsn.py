"""NL_BSN in the MRZ of Dutch passports (TD3 personal number) and identity cards (TD1 optional data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import h, located, run_scan

PASSPORT = "P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<\nSPECI20142NLD6503101F2403096999999990<<<<<84\n"
CARD = "I<NLDSPECI20142999999990<<<<<<\n6503101F2403096NLD<<<<<<<<<<<2\nDE<BRUIJN<<WILLEKE<LISELOTTE<<\n"
#: the same card issued by Belgium: a valid 11-proof number there is no BSN
FOREIGN = CARD.replace("I<NLD", "I<BEL")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Kopie paspoort:\n{PASSPORT}", [("MRZ", "SPECI2014", 2), ("NL_BSN", "999999990", 3)]),
        (f"ID-kaart\n{CARD}", [("MRZ", "SPECI2014", 2), ("NL_BSN", "999999990", 2)]),
        # issued by Belgium: a valid 11-proof number there is no BSN
        (f"ID card\n{FOREIGN}", [("MRZ", "SPECI2014", 2)]),
        # a broken check digit: no zone, no BSN
        (f"paspoort\n{PASSPORT.replace('<<<<<84', '<<<<<85')}", []),
    ],
)
def test_bsn_in_dutch_mrz(tmp_path: Path, text: str, expected: list[tuple[str, str, int]]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "id.txt").write_text(text)
    scan = run_scan(tmp_path, str(tmp_path / "src"), "--entities", "MRZ,NL_BSN")
    assert scan.exit_code == 0, scan.result.output
    keys = ("entity", "value_hash", "line")
    want = [{"entity": e, "value_hash": h(e, v), "line": n} for e, v, n in expected]
    assert located(scan.rows("findings"), *keys) == located(want, *keys)


def test_the_span_is_the_nine_digits() -> None:
    from piiscan.detectors.mrz_bsn import MrzBsnDetector

    text = f"ID-kaart\n{CARD}"
    [(start, end, cand)] = list(MrzBsnDetector().scan_text(text))
    assert (text[start:end], cand.canonical) == ("999999990", "999999990")

"""Specimen identity documents for OCR tests and benchmarks: synthetic data, valid check digits.

A TD3 passport data page (2 MRZ lines of 44) or a TD1 identity card (3 lines of 30) is drawn with
Pillow: a visual zone (labels, name, date of birth, a BSN on the card), a grey photo box, and the
MRZ (ICAO 9303 parts 4 and 5) at the bottom. Variants: the width in pixels (the resolution),
a rotation of a few degrees, JPEG quality, and a redacted copy with the MRZ, the document number
and the BSN blacked out, as a privacy statement asks.

The font is DejaVu Sans Mono (a monospace stand-in for OCR-B), subset to printable ASCII, in
tests/fixtures/fonts/ (Bitstream Vera licence, DejaVu changes public domain: LICENSE beside it).
Every value is made up; the issuing state is `UTO`, ICAO's fictitious Utopia.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from stdnum.nl import bsn as nl_bsn

from piiscan.detectors.mrz import check_digit

FONT = Path(__file__).resolve().parent.parent / "fixtures" / "fonts" / "DejaVuSansMono-ascii.ttf"

_SURNAMES = ("DE VRIES", "JANSEN", "VAN DEN BERG", "BAKKER", "VISSER", "SMIT", "MEIJER", "MULDER", "BOS", "DEKKER")
_GIVEN = ("ANNA MARIA", "JAN", "SOPHIE", "DAAN", "EMMA", "LUCAS", "JULIA", "SEM", "TESS", "NOAH LEVI")
# no vowel O: Dutch document numbers leave it out, and OCR-B's 0/O confusion is what is tested
_NUMBER_CHARS = "ABCDEFGHIJKLMNPQRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class Specimen:
    kind: str  # "TD3" (passport) or "TD1" (identity card)
    number: str  # the document number: the MRZ finding's canonical value
    surname: str
    given: str
    birth: str  # YYMMDD
    expiry: str  # YYMMDD
    sex: str
    bsn: str  # on the card's visual zone (TD1 only)

    @property
    def mrz(self) -> list[str]:
        return td3(self) if self.kind == "TD3" else td1(self)


def _name(s: Specimen, width: int) -> str:
    name = s.surname.replace(" ", "<") + "<<" + s.given.replace(" ", "<")
    return name[:width].ljust(width, "<")


def td3(s: Specimen) -> list[str]:
    upper = "P<UTO" + _name(s, 39)
    personal = "<" * 14
    lower = s.number + check_digit(s.number) + "UTO" + s.birth + check_digit(s.birth) + s.sex
    lower += s.expiry + check_digit(s.expiry) + personal + "<"
    composite = lower[0:10] + lower[13:20] + lower[21:43]
    return [upper, lower + check_digit(composite)]


def td1(s: Specimen) -> list[str]:
    upper = "I<UTO" + s.number + check_digit(s.number) + "<" * 15
    middle = s.birth + check_digit(s.birth) + s.sex + s.expiry + check_digit(s.expiry) + "UTO" + "<" * 11
    composite = upper[5:30] + middle[0:7] + middle[8:15] + middle[18:29]
    return [upper, middle + check_digit(composite), _name(s, 30)]


def _bsn(rng: random.Random) -> str:
    while True:  # one 9-digit number in eleven passes the 11-proof
        number = str(rng.randrange(10**8, 10**9))
        if nl_bsn.is_valid(number):
            return number


def specimen(seed: int, kind: str) -> Specimen:
    rng = random.Random(seed)
    number = "".join(rng.choice(_NUMBER_CHARS) for _ in range(9))
    birth = f"{rng.randrange(40, 100):02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    expiry = f"{rng.randrange(27, 35):02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    return Specimen(kind, number, rng.choice(_SURNAMES), rng.choice(_GIVEN), birth, expiry, rng.choice("MF"), _bsn(rng))


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def render(s: Specimen, *, width: int = 1250, redacted: bool = False) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """The data page (TD3, 125×88 mm) or card (TD1, 85.6×54 mm) at `width` pixels, and the box
    around its MRZ (x0, y0, x1, y1)."""
    mm = width / (125 if s.kind == "TD3" else 85.6)
    height = round(mm * (88 if s.kind == "TD3" else 54))
    image = Image.new("RGB", (width, height), (236, 240, 232))
    draw = ImageDraw.Draw(image)
    card = s.kind == "TD1"
    label, value = _font(max(8, round((1.8 if card else 2.2) * mm))), _font(max(9, round((2.8 if card else 3.2) * mm)))
    title = "PASPOORT / PASSPORT" if s.kind == "TD3" else "IDENTITEITSKAART / IDENTITY CARD"
    draw.text((4 * mm, 3 * mm), title + "  UTOPIA", font=value, fill=(40, 40, 90))
    draw.rectangle((4 * mm, 10 * mm, 30 * mm, (34 if card else 44) * mm), fill=(150, 150, 150))
    x, y = 34 * mm, (8 if card else 10) * mm
    fields = [
        ("Surname", s.surname),
        ("Given names", s.given),
        ("Date of birth", f"{s.birth[4:6]}.{s.birth[2:4]}.19{s.birth[0:2]}"),
        ("Document no.", s.number),
    ]
    if s.kind == "TD1":
        fields.append(("BSN", s.bsn))
    step = (5.2 if card else 8) * mm
    blacked = []
    for caption, text in fields:
        draw.text((x, y), caption, font=label, fill=(90, 90, 90))
        below = (x, y + (2.2 if card else 2.6) * mm)
        draw.text(below, text, font=value, fill=(10, 10, 10))
        if caption in ("Document no.", "BSN"):
            blacked.append(draw.textbbox(below, text, font=value))
        y += step
    mrz_font = _font(round(3.6 * mm if s.kind == "TD3" else 3.9 * mm))
    lines = s.mrz
    line_height = 5.2 * mm if s.kind == "TD3" else 4.6 * mm
    top = height - line_height * len(lines) - 3 * mm
    boxes = []
    for i, line in enumerate(lines):
        origin = (3 * mm, top + i * line_height)
        draw.text(origin, line, font=mrz_font, fill=(0, 0, 0))
        boxes.append(draw.textbbox(origin, line, font=mrz_font))
    zone = (round(boxes[0][0]), round(boxes[0][1]), round(max(b[2] for b in boxes)), round(boxes[-1][3]))
    if redacted:
        pad = mm
        draw.rectangle(
            (boxes[0][0] - pad, boxes[0][1] - pad, max(b[2] for b in boxes) + pad, boxes[-1][3] + pad), fill=0
        )
        for box in blacked:
            draw.rectangle((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), fill=0)
    return image, zone


def variant(image: Image.Image, *, rotate: float = 0.0) -> Image.Image:
    """The image turned by `rotate` degrees (counter-clockwise), on a white border, as a scanner lays it."""
    if not rotate:
        return image
    return image.rotate(rotate, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))


def encode(image: Image.Image, fmt: str = "PNG", *, quality: int = 90) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=quality)
    else:
        image.save(out, fmt)
    return out.getvalue()

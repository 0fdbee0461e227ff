"""Text by OCR from images (JPEG, PNG, TIFF, WebP, HEIC) and from PDF pages without a text layer.

The OCR engine is RapidOCR (rapidocr-onnxruntime: PaddleOCR's PP-OCRv4 detection and recognition
models, shipped inside its wheel, run by ONNX Runtime on the CPU), in the optional extra `ocr`;
nothing is downloaded. Without the extra an image is `skipped`, its reason naming the extra.

A page's text boxes are laid out as lines, top to bottom, and scanned by every detector. Lines that
look like a machine-readable zone are first mended by `piiscan.detectors.mrz.repair` (OCR-B
confusions, miscounted fillers), kept only where every check digit then holds, so the MRZ detector
finds them. Locators: `page` (1-based frame of an image, or page of a PDF), `line` (1-based in the
page's OCR text), and in `field` the bounding box of the text in pixels, `bbox:x0,y0,x1,y1` (for a
PDF page, of the page rendered at `RENDER_DPI`); an MRZ's box is that of the whole zone.

Limits (`piiscan.limits.Limits`): pixels per image, pages per document, seconds per page.
"""

from __future__ import annotations

import bisect
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import IO, TYPE_CHECKING, Any

from piiscan.detectors.mrz import repair
from piiscan.extract.base import ExtractContext, ExtractError, Extractor, LimitExceeded, ReaderUnavailable
from piiscan.extract.spool import random_access
from piiscan.limits import Limits
from piiscan.model import ContentType, Events, Locator, TextUnit

if TYPE_CHECKING:
    from PIL.Image import Image

INSTALL_HINT = "pip install 'piiscan[ocr]'"
#: PDF pages are rendered at this resolution for OCR: an MRZ character is then about 20 pixels high
RENDER_DPI = 200
#: the recognizer's batch: the time limit is checked between batches
_BATCH = 6
#: boxes recognised with less confidence than this are dropped (RapidOCR's own default)
_MIN_CONFIDENCE = 0.5
#: the engine reads the longer side at most this long (RapidOCR's own default): larger images are scaled down first
_MAX_SIDE = 2000
#: a zone read a second time is scaled to this width (about 27 pixels a character of a passport's)
_ZONE_WIDTH = 1200
#: a line that may be part of a machine-readable zone (spaces removed), to be mended with its neighbours
_MRZ_LIKE = re.compile(r"[A-Z0-9<«]{20,60}")

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


class OcrTimeout(LimitExceeded):
    """A page took longer than the limit: its OCR is abandoned."""


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line of OCR text and the box around it, in the image's pixels."""

    text: str
    box: tuple[int, int, int, int]
    #: a line of a machine-readable zone whose check digits hold (as mended)
    zone: bool = False


def available() -> bool:
    """Whether the OCR engine is installed and loads."""
    try:
        _engine()
    except ReaderUnavailable:
        return False
    return True


@cache
def _engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        raise ReaderUnavailable(f"reading images needs OCR: {INSTALL_HINT}") from None
    # one thread: a scan runs one worker process per core already; the angle classifier is off,
    # it turned lines of a card rotated 2.5° upside down (benchmarks/ocr.py)
    return RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, use_cls=False)


def read_lines(image: Image, seconds: float) -> list[OcrLine]:
    """The text of `image` as lines, top to bottom; `OcrTimeout` past `seconds`.

    Where lines look like an MRZ but do not mend into one, the zone is read a second time, cut
    out and scaled to `_ZONE_WIDTH`: the recogniser drops fewer characters of a zone read alone.
    """
    deadline = time.monotonic() + seconds
    lines = _lines(_words(image, deadline, seconds))
    loose = [line for line in lines if "<" in line.text and _MRZ_LIKE.fullmatch(line.text.replace(" ", ""))]
    if len(loose) < 2 or any(line.zone for line in lines):
        return lines
    x0, y0 = min(line.box[0] for line in loose), min(line.box[1] for line in loose)
    x1, y1 = max(line.box[2] for line in loose), max(line.box[3] for line in loose)
    pad = (y1 - y0) // 4
    x0, y0, x1, y1 = max(0, x0 - pad), max(0, y0 - pad), min(image.width, x1 + pad), min(image.height, y1 + pad)
    crop = image.crop((x0, y0, x1, y1))
    factor = _ZONE_WIDTH / crop.width
    crop = crop.resize((_ZONE_WIDTH, max(1, round(crop.height * factor))))
    words = [(quad / factor + (x0, y0), text) for quad, text in _words(crop, deadline, seconds)]
    zone = [line for line in _lines(words) if line.zone]
    if not zone:
        return lines
    first = lines.index(loose[0])
    rest = [line for line in lines if line not in loose]
    return rest[:first] + zone + rest[first:]


def _words(image: Image, deadline: float, seconds: float) -> list[tuple[Any, str]]:
    """Text boxes (corner points in `image`'s pixels) and their text, recognised with confidence."""
    import numpy as np

    engine = _engine()
    scale = min(1.0, _MAX_SIDE / max(image.size))
    if scale < 1.0:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    pixels = np.asarray(image.convert("RGB"))[:, :, ::-1]  # RapidOCR expects OpenCV's BGR order
    boxes, _ = engine.auto_text_det(pixels)
    if boxes is None:
        return []
    crops = engine.get_crop_img_list(pixels, boxes)
    words: list[tuple[Any, str]] = []
    for i in range(0, len(crops), _BATCH):
        if time.monotonic() > deadline:
            raise OcrTimeout(f"OCR took longer than the limit of {seconds:g} s per page")
        recognised, _ = engine.text_rec(crops[i : i + _BATCH])
        for quad, (text, confidence, *_) in zip(boxes[i : i + _BATCH], recognised, strict=True):
            if confidence >= _MIN_CONFIDENCE and text.strip():
                words.append((np.asarray(quad, dtype=float) / scale, text))
    return words


def _lines(words: list[tuple[Any, str]]) -> list[OcrLine]:
    """Text boxes (corner points clockwise from the top left) laid out in lines, top to bottom.

    A page scanned askew tilts every line alike: the skew is the median slope of the wide boxes,
    and boxes whose centres lie on one line of that slope (within half a box's height) are a line.
    """
    import numpy as np

    if not words:
        return []
    quads = [quad for quad, _ in words]
    slopes = [np.arctan2(*(q[1] - q[0])[::-1]) for q in quads if _width(q) > 2 * _height(q)]
    angle = float(np.median(slopes)) if slopes else 0.0
    cos, sin = np.cos(angle), np.sin(angle)
    placed = []
    for quad, text in words:
        cx, cy = quad.mean(axis=0)
        placed.append((-sin * cx + cos * cy, cos * cx + sin * cy, _height(quad), quad, text))
    placed.sort(key=lambda w: w[0])
    rows: list[list[Any]] = []
    for word in placed:
        if rows:
            row = rows[-1]
            across = sum(w[0] for w in row) / len(row)
            if abs(word[0] - across) <= 0.5 * min(word[2], min(w[2] for w in row)):
                row.append(word)
                continue
        rows.append([word])
    lines = []
    for row in rows:
        row.sort(key=lambda w: w[1])
        corners = np.concatenate([w[3] for w in row])
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        lines.append(OcrLine(" ".join(w[4] for w in row), (int(x0), int(y0), int(x1 + 0.5), int(y1 + 0.5))))
    return _mend_zones(lines)


def _width(quad: Any) -> float:
    return float(((quad[1] - quad[0]) ** 2).sum() ** 0.5)


def _height(quad: Any) -> float:
    return float(((quad[3] - quad[0]) ** 2).sum() ** 0.5)


def _mend_zones(lines: list[OcrLine]) -> list[OcrLine]:
    """Runs of MRZ-like lines replaced by the zone they mend to (its box around all its lines)."""
    like = [_MRZ_LIKE.fullmatch(line.text.replace(" ", "")) is not None for line in lines]
    out: list[OcrLine] = []
    i = 0
    while i < len(lines):
        zone, size = None, 0
        if like[i]:
            # a card's zone (TD1) is three lines, a passport's (TD3) two: three first, so none is cut short
            for size in (3, 2):
                run = lines[i : i + size]
                if len(run) == size and all(like[i : i + size]):
                    zone = repair([line.text for line in run])
                    if zone is not None:
                        break
        if zone is None:
            out.append(lines[i])
            i += 1
            continue
        run = lines[i : i + size]
        box = (
            min(r.box[0] for r in run),
            min(r.box[1] for r in run),
            max(r.box[2] for r in run),
            max(r.box[3] for r in run),
        )
        out.extend(OcrLine(text, box, zone=True) for text in zone)
        i += size
    return out


def page_unit(lines: list[OcrLine], page: int) -> TextUnit | None:
    """One page's OCR text: each offset's locator names its line and that line's box."""
    if not lines:
        return None
    starts = list(_offsets(lines))
    text = "\n".join(line.text for line in lines)
    locators = [
        Locator(line=n, page=page, field="bbox:{},{},{},{}".format(*line.box)) for n, line in enumerate(lines, 1)
    ]

    def index(offset: int) -> Locator:
        return locators[bisect.bisect_right(starts, offset) - 1]

    return TextUnit(text, Locator(page=page), index=index)


def _offsets(lines: list[OcrLine]) -> Iterator[int]:
    offset = 0
    for line in lines:
        yield offset
        offset += len(line.text) + 1


def pixel_reason(limits: Limits) -> str:
    return f"image larger than the OCR limit of {limits.ocr_max_pixels:,} pixels"


def page_reason(limits: Limits) -> str:
    return f"more pages than the OCR limit of {limits.ocr_max_pages}"


class ImageExtractor(Extractor):
    name = "image"
    order = 190

    def sniff(self, head: bytes, name: str) -> str | None:
        for magic, mime in _SIGNATURES:
            if head.startswith(magic):
                return mime
        if head[0:4] == b"RIFF" and head[8:12] == b"WEBP":
            return "image/webp"
        if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
            return "image/heic"
        return None

    def extract(self, stream: IO[bytes], mime: str, ctx: ExtractContext) -> Events:
        yield ContentType(mime)
        if ctx.options.ocr.mode == "off":
            raise LimitExceeded("images are read only by OCR, and it is off (--ocr off)")
        _engine()
        from PIL import Image, ImageOps, UnidentifiedImageError

        if mime == "image/heic":
            _register_heif()
        limits = ctx.limits
        with random_access(stream) as f, warnings.catch_warnings():
            # the pixel limit below is ours: Pillow's own bomb warning is not a reason to stop
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            try:
                image = Image.open(f)
            except Image.DecompressionBombError:
                raise LimitExceeded(pixel_reason(limits)) from None
            except (UnidentifiedImageError, OSError, ValueError) as exc:
                raise ExtractError(f"unreadable {mime} image ({type(exc).__name__})") from None
            frames = getattr(image, "n_frames", 1)
            skipped: list[str] = []
            for number in range(1, frames + 1):
                if number > limits.ocr_max_pages:
                    skipped.append(f"frames {number} to {frames}: {page_reason(limits)}")
                    break
                try:
                    image.seek(number - 1)
                    if image.width * image.height > limits.ocr_max_pixels:
                        if frames == 1:
                            raise LimitExceeded(pixel_reason(limits))
                        skipped.append(f"frame {number}: {pixel_reason(limits)}")
                        continue
                    # a phone photo is stored sideways with an EXIF note saying how to turn it
                    frame = ImageOps.exif_transpose(image)
                    frame.load()
                except (OSError, ValueError, EOFError) as exc:
                    raise ExtractError(f"unreadable {mime} image, frame {number} ({type(exc).__name__})") from None
                try:
                    unit = page_unit(read_lines(frame, limits.ocr_page_seconds), number)
                except OcrTimeout as exc:
                    if frames == 1:
                        raise
                    skipped.append(f"frame {number}: {exc}")
                    continue
                if unit is not None:
                    yield unit
            if skipped:
                yield ContentType(mime, reason="not read by OCR: " + "; ".join(skipped))


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        raise ReaderUnavailable(f"reading HEIC images needs pillow-heif: {INSTALL_HINT}") from None
    register_heif_opener()

"""Documents for people: sections of text, tables and bar charts as Markdown, HTML or a terminal.

HTML is one self-contained page: inline CSS and inline SVG charts, no script, no external
resource, so it can be attached to a case or opened offline. Every cell is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Section:
    title: str
    header: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = ()
    text: str = ""
    empty: str = ""
    #: (label, value) bars drawn as a chart in HTML (the table carries the same numbers elsewhere)
    chart: Sequence[tuple[str, int]] = field(default_factory=tuple)


def _md_cell(value: str) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(title: str, sections: Sequence[Section]) -> str:
    out = [f"# {title}", ""]
    for s in sections:
        out += [f"## {s.title}", ""]
        if s.text:
            out += [s.text, ""]
        if s.header and s.rows:
            out.append("| " + " | ".join(_md_cell(h) for h in s.header) + " |")
            out.append("|" + "|".join(" --- " for _ in s.header) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in s.rows]
            out.append("")
        elif s.header and s.empty:
            out += [s.empty, ""]
    return "\n".join(out)


def svg_bars(bars: Sequence[tuple[str, int]], width: int = 640) -> str:
    """A horizontal bar chart as inline SVG."""
    top = max((v for _, v in bars), default=0) or 1
    row, label_w = 22, 260
    height = row * len(bars) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, value) in enumerate(bars):
        y = i * row + 2
        w = int((width - label_w - 70) * value / top)
        short = label if len(label) <= 40 else "…" + label[-39:]
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">{html.escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1)}" height="16" fill="#3b6ea5"/>'
            f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="12">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;font-size:13px}th{background:#eef2f7}"
    "h2{margin-top:1.5em;border-bottom:1px solid #ddd}"
)


def html_page(title: str, sections: Sequence[Section]) -> str:
    esc = html.escape
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(title)}</title><style>{_CSS}</style>"]
    out.append(f"</head><body><h1>{esc(title)}</h1>")
    for s in sections:
        out.append(f"<h2>{esc(s.title)}</h2>")
        if s.text:
            out.append(f"<p>{esc(s.text)}</p>")
        if s.chart:
            out.append(svg_bars(s.chart))
        if s.header and s.rows:
            out.append("<table><tr>" + "".join(f"<th>{esc(str(h))}</th>" for h in s.header) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in s.rows]
            out.append("</table>")
        elif s.header and s.empty:
            out.append(f"<p>{esc(s.empty)}</p>")
    out.append("</body></html>\n")
    return "\n".join(out)


def render_document(path: Path, title: str, sections: Sequence[Section]) -> None:
    """Write the document as HTML (`.html`/`.htm`) or Markdown (anything else)."""
    text = html_page(title, sections) if path.suffix.lower() in (".html", ".htm") else markdown(title, sections)
    path.write_text(text, encoding="utf-8")


def print_sections(title: str, sections: Sequence[Section]) -> None:
    """The same sections as rich tables on the terminal."""
    from rich.table import Table

    from piiscan.console import console as make_console

    console = make_console()
    console.print(f"[bold]{title}[/bold]")
    for s in sections:
        if s.header and s.rows:
            table = Table(*s.header, title=s.title, title_justify="left")
            for row in s.rows:
                table.add_row(*(str(c) for c in row))
            console.print(table)
        else:
            console.print(f"[bold]{s.title}[/bold]")
            if s.text or s.empty:
                console.print(s.text or s.empty, markup=False)

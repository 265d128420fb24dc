"""The review as a PDF (fpdf2), rendering the one outline; the PDF helpers the debrief sheet
shares (`use_dejavu`, `latin1`, `Writer`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard.quarterly.model import Review
from dashboard.quarterly.sections import (
    Block,
    Cell,
    Charts,
    Definitions,
    Footer,
    Heading,
    Highlights,
    Para,
    Table,
    TableBlock,
    header_lines,
    outline,
    review_charts,
)
from dashboard.quarterly.theme import BAD, GOOD, INK, SOFT, rgb

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

_LATIN1 = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "→": "->",
        "∞": "inf",
        "≥": ">=",
        "≤": "<=",
        "▲": "+",
        "▼": "-",
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "•": "-",
    }
)


def latin1(value: str) -> str:
    """Text a core PDF font can draw: a few symbols replaced, anything else outside latin-1 '?'."""
    return value.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def use_dejavu(pdf, font_dir: Path | None) -> None:
    """Write PDF with DejaVu Sans (every character) when `font_dir` has it; else the PDF keeps
    its core font and `pdf.fit_text` folds text to Latin-1. Shared by the review and the
    debrief sheet."""
    if font_dir is None:
        return
    regular, bold = font_dir / "DejaVuSans.ttf", font_dir / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        pdf.family, pdf.unicode = "DejaVu", True


def _pdf(review: Review, font_dir: Path | None):
    from fpdf import FPDF

    class ReviewPDF(FPDF):
        family = "Helvetica"
        unicode = False

        def fit_text(self, value: str) -> str:
            return value if self.unicode else latin1(value)

        def footer(self) -> None:
            self.set_y(-11)
            self.set_font(self.family, "", 7.5)
            self.set_text_color(*SOFT)
            left = (
                f"{review.title} · {review.scope} · Observational figures: a difference is a "
                "reason to look closer, not proof of cause."
            )
            self.cell(0, 5, self.fit_text(left), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, self.fit_text(f"Page {self.page_no()} of {{nb}}"), align="R")

    pdf = ReviewPDF(orientation="L", unit="mm", format="A4")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=15)
    use_dejavu(pdf, font_dir)
    return pdf


class Writer:
    """Draws headings, paragraphs, tables and images on an fpdf2 document (the review and the
    debrief sheet)."""

    def __init__(self, pdf: Any):
        self.pdf = pdf
        self.fit_text = pdf.fit_text
        self.fam = pdf.family
        self.width = pdf.epw

    def room(self, mm: float) -> None:
        pdf = self.pdf
        if pdf.get_y() + mm > pdf.h - pdf.b_margin:
            pdf.add_page()

    def h2(self, title: str) -> None:
        pdf = self.pdf
        self.room(30)
        pdf.start_section(self.fit_text(title))
        pdf.set_font(self.fam, "B", 14)
        pdf.set_text_color(*INK)
        pdf.cell(0, 9, self.fit_text(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(223, 227, 232)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + self.width, pdf.get_y())
        pdf.ln(2)

    def h3(self, title: str, table: Table | None = None) -> None:
        """A small heading, kept on the page of the (short) table that follows it."""
        self.room(25 if table is None else min(17 + 5 * len(table.rows), 70))
        self.pdf.set_font(self.fam, "B", 10.5)
        self.pdf.set_text_color(*INK)
        self.pdf.cell(0, 7, self.fit_text(title), new_x="LMARGIN", new_y="NEXT")

    def para(self, body: str, size: float = 8.5, colour=SOFT, height: float = 4.2) -> None:
        self.pdf.set_font(self.fam, "", size)
        self.pdf.set_text_color(*colour)
        self.pdf.multi_cell(0, height, self.fit_text(body), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def table(
        self,
        table: Table,
        widths: Sequence[float],
        size: float = 8.5,
        main_cols: Sequence[int] = (),
        width: float | None = None,
    ) -> None:
        from fpdf.fonts import FontFace

        pdf, fold = self.pdf, self.fit_text
        if not table.rows:
            self.para("None.")
            return
        self.room(min(10 + 5 * len(table.rows), 60))  # a short table stays on one page
        total = min(width or self.width, self.width)
        widths = [w * total / sum(widths) for w in widths]
        pdf.set_font(self.fam, "", size)
        pdf.set_text_color(*INK)
        heading = FontFace(emphasis="B", color=SOFT, size_pt=size - 0.5)
        align = tuple({"L": "LEFT", "R": "RIGHT"}[a] for a in table.align)
        with pdf.table(
            col_widths=tuple(widths),
            width=total,
            align="LEFT",
            text_align=align,
            borders_layout="HORIZONTAL_LINES",
            line_height=size * 0.46,
            padding=(1.1, 1.4),
            headings_style=heading,
            num_heading_rows=2 if table.groups else 1,
            v_align="TOP",
        ) as tbl:
            if table.groups:
                row = tbl.row()
                for label, span in table.groups:
                    row.cell(fold(label), colspan=span, align="CENTER")
            row = tbl.row()
            for heading_text in table.header:
                row.cell(fold(heading_text))
            for cells in table.rows:
                row = tbl.row()
                for column, cell in enumerate(cells):
                    colour = {1: rgb(GOOD), -1: rgb(BAD)}.get(
                        cell.tone, SOFT if cell.muted else INK
                    )
                    bold = cell.tone != 0 or column in main_cols
                    body = cell.text + (f"\n{cell.note}" if cell.note else "")
                    row.cell(fold(body), style=FontFace(emphasis="B" if bold else "", color=colour))
        pdf.ln(2)

    def image(
        self, png: bytes, width: float, left: float | None = None, top: float | None = None
    ) -> float:
        """Draw a PNG `width` mm wide (at `left`, `top` mm, else where the text is); returns
        its height in mm."""
        info = self.pdf.image(png, x=left, y=top, w=width)
        return float(info.rendered_height)


def split_notes(table: Table, cols: Sequence[int]) -> Table:
    """`table` with the notes of columns `cols` moved to a column of their own after each."""
    header, align, rows = [], "", [[] for _ in table.rows]
    for column, heading in enumerate(table.header):
        header.append(heading)
        align += table.align[column]
        if column in cols:
            header.append("")
            align += "L"
        for out, row in zip(rows, table.rows, strict=True):
            cell = row[column]
            if column in cols:
                out += [Cell(cell.text, cell.tone, cell.muted), Cell(cell.note, muted=True)]
            else:
                out.append(cell)
    return Table(header, rows, align)


PEOPLE_WIDTHS = (32, 16, 16, 13, 22, 22, 17, 22, 22, 17, 25, 25, 14)
COVERAGE_WIDTHS = (60, 50, 60, 50, 53)


@dataclass(frozen=True)
class TableLayout:
    widths: tuple[float, ...]  # relative column widths
    size: float = 8.5
    main_cols: tuple[int, ...] = ()
    width: float | None = None  # mm; None: the page's width
    notes_apart: tuple[int, ...] = ()  # columns whose notes get a column of their own


# How each of the outline's tables sits on an A4 landscape page.
LAYOUT = {
    "headline": TableLayout(
        (54, 20, 66, 20, 66, 20, 27), size=9, main_cols=(1, 3), notes_apart=(1, 2, 3)
    ),
    "managers": TableLayout(PEOPLE_WIDTHS, size=7.8),
    "reps": TableLayout(PEOPLE_WIDTHS, size=7.8),
    "reps_not_observed": TableLayout(COVERAGE_WIDTHS, width=190),
    "managers_coverage": TableLayout(COVERAGE_WIDTHS, width=190),
    "what_worked": TableLayout((75, 25, 50, 35, 50, 45)),
    "keeps_going_wrong": TableLayout((65, 24, 34, 38, 38, 38, 38)),
}
# (size, colour, line height) of a paragraph by its kind in the outline
PARA = {
    "intro": (8.5, SOFT, 4.2),
    "legend": (7.5, SOFT, 3.5),
    "rule": (8, SOFT, 3.8),
    "caveat": (8, INK, 3.8),
}
# A table of more rows is cut in the PDF, and says so (sections.outline): the 32,042 reps and
# 8,339 managers of a 10-million-note organisation made 1,802 pages in 144 s, work that runs
# inside the dashboard's server when its page asks for the PDF.
MAX_ROWS = 300
# The PDF's own pagination: these sections start a page, and so does every block of charts.
NEW_PAGE = {"reps", "behaviours"}


def render_pdf(review: Review, font_dir: Path | None = DEJAVU) -> bytes:
    """The review as a PDF on A4 landscape, rendering the outline: page 1 the title, highlights
    and the headline table; each block of charts on a new page (PNGs at 3x) under its title;
    reps, and what worked, on pages of their own. Every page has a footer with the page number
    and the observational caveat. DejaVu Sans when `font_dir` has it, else a core font with the
    text reduced to latin-1."""
    pdf = _pdf(review, font_dir)
    writer = Writer(pdf)
    pdf.set_title(writer.fit_text(f"{review.title} · {review.scope}"))
    pdf.set_author("Ridealong")
    pdf.set_creation_date(dt.datetime.combine(review.made_on, dt.time(), dt.UTC))
    drawn = review_charts(review)
    pdf.add_page()
    _cover(writer, review)
    for section in outline(review, max_rows=MAX_ROWS):
        if section.key in NEW_PAGE:
            pdf.add_page()
        if section.key == "notes":
            writer.room(75)
        writer.h2(section.title)
        followers = [*section.blocks[1:], None]  # a small heading stays with its table
        for block, following in zip(section.blocks, followers, strict=True):
            _block(writer, block, following, drawn)
    return bytes(pdf.output())


def _cover(writer: Writer, review: Review) -> None:
    pdf, fold = writer.pdf, writer.fit_text
    sub, meta, warn = header_lines(review)
    pdf.set_font(writer.fam, "", 8)
    pdf.set_text_color(*SOFT)
    pdf.cell(0, 5, fold("RIDEALONG · QUARTERLY COACHING REVIEW"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(writer.fam, "B", 20)
    pdf.set_text_color(*INK)
    title = f"{review.quarter.label} against {review.previous.label} · {review.scope}"
    pdf.multi_cell(0, 10, fold(title), new_x="LMARGIN", new_y="NEXT")
    writer.para(sub, 10.5, INK, 5)
    writer.para(meta, 8)
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + writer.width, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(3)
    if warn:
        writer.para(warn, 9.5, (138, 90, 0), 4.6)


def _block(writer: Writer, block: Block, following: Block | None, drawn: dict[str, Any]) -> None:
    from dashboard import charts

    pdf, fold = writer.pdf, writer.fit_text
    if isinstance(block, Highlights):
        for line in block.items or (block.empty,):
            pdf.set_font(writer.fam, "", 10)
            pdf.set_text_color(*INK)
            pdf.set_x(pdf.l_margin + 2)
            bullet = "•  " if block.items else ""
            pdf.multi_cell(writer.width - 2, 5, fold(bullet + line), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.8)
        writer.para(block.rule, 7.5, SOFT, 3.5)
    elif isinstance(block, Para):
        writer.para(block.text, *PARA[block.kind])
    elif isinstance(block, Heading):
        if block.level == 2:
            writer.h2(block.text)
        else:
            writer.h3(block.text, following.table if isinstance(following, TableBlock) else None)
    elif isinstance(block, TableBlock):
        layout = LAYOUT[block.name]
        table = split_notes(block.table, layout.notes_apart) if layout.notes_apart else block.table
        writer.table(table, layout.widths, layout.size, layout.main_cols, layout.width)
    elif isinstance(block, Charts):
        pdf.add_page()
        writer.h2(block.title)
        if len(block.names) == 1:
            writer.image(charts.to_png(drawn[block.names[0]], scale=3), 200)
            pdf.ln(3)
        else:  # side by side
            top, half = pdf.get_y(), (writer.width - 30) / 2
            heights = [
                writer.image(
                    charts.to_png(drawn[name], scale=3),
                    half,
                    pdf.l_margin + index * (half + 30),
                    top,
                )
                for index, name in enumerate(block.names)
            ]
            pdf.set_y(top + max(heights) + 4)
    elif isinstance(block, Definitions):
        for term, definition in block.items:
            pdf.set_font(writer.fam, "B", 8)
            pdf.set_text_color(*INK)
            pdf.cell(0, 4.2, fold(term), new_x="LMARGIN", new_y="NEXT")
            writer.para(definition, 8, SOFT, 3.8)
    elif isinstance(block, Footer):
        writer.para(block.text, 8, SOFT, 3.8)

"""The review as one self-contained HTML file: review.html.j2 (Jinja2, autoescaped) renders the
outline with review.css inline and the charts as inline SVG; nothing is fetched from anywhere."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
from markupsafe import Markup

from dashboard.quarterly.model import Review
from dashboard.quarterly.sections import Charts, Table, header_lines, outline, review_charts


@cache
def css() -> str:
    """review.css: the review's look (the debrief sheet adds its own rules after it)."""
    return files("dashboard.quarterly").joinpath("review.css").read_text(encoding="utf-8")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("dashboard.quarterly", "."),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def template(name: str) -> jinja2.Template:
    """A template beside this module, autoescaped (the debrief sheet has one too)."""
    return _environment().get_template(name)


def _group_starts(table: Table) -> set[int]:
    """The columns that open a labelled group (drawn with a rule on their left)."""
    starts, column = set(), 0
    for label, span in table.groups:
        if label:
            starts.add(column)
        column += span
    return starts


def svg(chart: Any, prefix: str) -> str:
    """The chart as inline SVG; ids prefixed so several charts can share one page."""
    from dashboard import charts

    drawing = charts.to_svg(chart).decode("utf-8")
    drawing = re.sub(r"<\?xml[^>]*\?>", "", drawing)
    ids = set(re.findall(r'\bid="([^"]+)"', drawing))
    for ident in sorted(ids, key=len, reverse=True):
        drawing = drawing.replace(f'id="{ident}"', f'id="{prefix}-{ident}"')
        drawing = drawing.replace(f"url(#{ident})", f"url(#{prefix}-{ident})")
        drawing = drawing.replace(f'href="#{ident}"', f'href="#{prefix}-{ident}"')
    return drawing


def render_html(review: Review) -> str:
    """The review as one self-contained HTML file: inline CSS, charts as inline SVG, nothing
    fetched from anywhere; prints on A4 landscape, each major section on a new page."""
    sections = outline(review)
    drawn = review_charts(review)
    names = [n for s in sections for b in s.blocks if isinstance(b, Charts) for n in b.names]
    # Vega's SVG is trusted markup (made here from our own chart specs; names inside it are
    # escaped by Vega), so it goes in unescaped.
    svgs = {name: Markup(svg(drawn[name], f"c{i}")) for i, name in enumerate(names, start=1)}
    sub, meta, warn = header_lines(review)
    return template("review.html.j2").render(
        review=review,
        sections=sections,
        svg=svgs,
        css=Markup(css()),
        sub=sub,
        meta=meta,
        warn=warn,
        group_starts=_group_starts,
    )

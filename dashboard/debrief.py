"""The debrief sheet: one page to debrief a call from. What went well first (with how often
the rep was recognised for it before and whether it came back), then what to fix (with how
often it was noted on the rep's earlier calls), then a line for the agreed next step.

One outline (`Sheet`, from queries/debrief_sheet.sql and queries/logged_call.sql); the page,
`render_html()` and `render_pdf()` only lay it out, in the quarterly review's look (its CSS,
fonts, colours and PDF writer come from dashboard.quarterly). No Streamlit here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from dashboard import metrics
from dashboard.access import EVERYTHING, HIDDEN_REP, Scope
from dashboard.quarterly import html as review_html
from dashboard.quarterly import pdf as review_pdf
from dashboard.quarterly.theme import INK, SOFT

ACTION_TEXT = {"observed": "observed", "assisted": "assisted", "took_over": "took over"}
ROLE_TEXT = {"observer": "observer", "participant": "a planned part"}
DEBRIEF_TEXT = {
    "yes": "held",
    "no": "not held",
    "later": "later (still to hold)",
    "unknown": "not recorded",
}
WELL_INTRO = "Start here, so it comes back: say what the rep did and why it worked."
FIX_INTRO = "Then what went wrong, and what to do differently next time."
NEXT_STEP = "Agreed next step"


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"


def _calls(count: int) -> str:
    return f"{count} earlier call" + ("" if count == 1 else "s")


@dataclass(frozen=True)
class Point:
    """One behaviour to bring up: what, how it was marked on the call, and its history."""

    behavior: str
    tag: str  # 'noted twice', 'major'... ('' when nothing to add)
    history: str


@dataclass
class Sheet:
    call_key: str
    observation_id: str | None
    rep: str
    observed_on: dt.date
    manager: str
    team: str
    deal: str
    planned_role: str | None
    manager_action: str
    debrief_state: str  # 'yes', 'no', 'later', 'unknown'
    went_well: list[Point]
    to_fix: list[Point]
    window: int
    made_on: dt.date
    next_step: str = ""
    facts: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Debrief: {self.rep}, {self.observed_on:%a %d %b %Y}"

    @property
    def file_stem(self) -> str:
        safe = "".join(ch if ch.isalnum() else "_" for ch in self.rep).strip("_") or "rep"
        return f"ridealong_debrief_{safe}_{self.observed_on:%Y-%m-%d}"

    @property
    def footnote(self) -> str:
        return (
            "Recognised: praised on a call that was debriefed. Came back: praised again on one "
            f"of the rep's next {self.window} calls (too soon to tell while the rep has had "
            f"fewer calls since). Earlier calls: the rep's calls before this one, by date. "
            f"Made by Ridealong on {self.made_on:%d %b %Y}."
        )


def praise_history(row: dict[str, Any], window: int) -> str:
    """For a behaviour that went well: how often it was praised and recognised before, and
    whether it came back after those recognitions."""
    earlier, recognized = row["earlier_calls"], row["recognized_before"]
    if earlier == 0:
        return "First time praised for this: recognise it now."
    if recognized == 0:
        return f"Praised on {_calls(earlier)}, never recognised in a debrief: say it out loud."
    text = f"Praised on {_calls(earlier)}; recognised in a debrief {_times(recognized)}."
    judged = row["came_back"] + row["not_back"]
    if judged:
        text += f" It came back within {window} calls after {row['came_back']} of {judged} " + (
            "recognition." if judged == 1 else "recognitions."
        )
    if row["too_soon"]:
        text += f" {row['too_soon']} too recent to tell."
    return text


def fix_history(row: dict[str, Any]) -> str:
    earlier = row["earlier_calls"]
    if earlier == 0:
        return "Not noted on the rep's earlier calls."
    return f"Noted on {_calls(earlier)} before, last on {row['last_before']:%d %b %Y}."


def _tag(row: dict[str, Any]) -> str:
    parts = []
    if row["severity"]:
        parts.append(row["severity"])
    if row["notes"] > 1:
        parts.append(f"noted {_times(row['notes'])}")
    return ", ".join(parts)


# ---- privacy mode ------------------------------------------------------------------------------

SHEET_HIDDEN = (
    "Per-rep detail is off by the store's privacy policy: a debrief sheet opens only for a "
    "ride-along you logged yourself."
)


class SheetHidden(Exception):
    """The sheet of a call the viewer may not see named (privacy mode; SHEET_HIDDEN says why)."""


def may_name_rep(logged_by: str | None, viewer: str | None, scope: Scope) -> bool:
    """Whether `viewer` may see the rep of a call named, and its debrief sheet (the rep's own
    history). Always, unless privacy mode hides reps (`access policy --no-individual-reps`;
    an admin's scope never does): then only for a ride-along the viewer logged themselves,
    signed in — the manager who rode along debriefs the rep they sat beside. Anyone else's
    calls, and every call on a dashboard without sign-in, keep the rep '(hidden)'."""
    return not scope.hide_reps or (viewer is not None and logged_by == viewer)


def shown_rep(
    con: duckdb.DuckDBPyConnection, call_key: str, viewer: str | None, scope: Scope
) -> str | None:
    """The rep of a call as `viewer` may see it (see may_name_rep): the name or '(hidden)';
    None when there is no such call in `scope`."""
    call = metrics.run(con, "logged_call", call_key=call_key, scope=scope)
    if call.is_empty():
        return None
    logged = call.row(0, named=True)
    return logged["rep"] if may_name_rep(logged["logged_by"], viewer, scope) else HIDDEN_REP


def build_sheet(
    con: duckdb.DuckDBPyConnection,
    call_key: str,
    window: int = metrics.DEFAULT_WINDOW,
    made_on: dt.date | None = None,
    next_step: str = "",
    scope: Scope = EVERYTHING,
    viewer: str | None = None,
) -> Sheet | None:
    """The sheet for one call (None when there is no such call, or it is outside `scope`).
    Raises SheetHidden when privacy mode keeps its rep from `viewer` (see may_name_rep)."""
    call = metrics.run(con, "logged_call", call_key=call_key, scope=scope)
    if call.is_empty():
        return None
    logged = call.row(0, named=True)
    if not may_name_rep(logged["logged_by"], viewer, scope):
        raise SheetHidden(SHEET_HIDDEN)
    events = metrics.run(con, "debrief_sheet", call_key=call_key, window=window, scope=scope)
    well, fix = [], []
    for row in events.iter_rows(named=True):
        if row["polarity"] == "praise":
            well.append(Point(row["behavior"], _tag(row), praise_history(row, window)))
        else:
            fix.append(Point(row["behavior"], _tag(row), fix_history(row)))
    sheet = Sheet(
        call_key=logged["call_key"],
        observation_id=logged["observation_id"],
        rep=logged["rep"],
        observed_on=logged["observed_on"],
        manager=logged["manager"],
        team=logged["team"] or "",
        deal=logged["deal"] or "",
        planned_role=logged["planned_role"],
        manager_action=logged["manager_action"],
        debrief_state=logged["debrief_state"],
        went_well=well,
        to_fix=fix,
        window=window,
        made_on=made_on or dt.date.today(),
        next_step=next_step.strip(),
    )
    sheet.facts = facts(sheet)
    return sheet


def facts(sheet: Sheet) -> list[str]:
    """The call in a few short lines, under the title."""
    lines = [f"Ride-along by {sheet.manager}" + (f" · team {sheet.team}" if sheet.team else "")]
    if sheet.deal:
        lines.append(f"Deal: {sheet.deal}")
    role = ROLE_TEXT.get(sheet.planned_role or "", "not agreed")
    lines.append(
        f"Planned role: {role} · on the call: {ACTION_TEXT.get(sheet.manager_action, '?')} · "
        f"debrief: {DEBRIEF_TEXT[sheet.debrief_state]}"
    )
    return lines


# ---- HTML ---------------------------------------------------------------------------------

SHEET_CSS = """
@page { size: A4 portrait; margin: 14mm; }
main { max-width: 820px; }
ol.points { padding-left: 22px; margin: 8px 0; }
ol.points li { margin: 9px 0; font-size: 16px; }
ol.points .tag { color: var(--soft); font-size: 13px; margin-left: 6px; }
ol.points .history { display: block; color: #3b4451; font-size: 14px; }
.none { color: var(--soft); }
.write-in { border-bottom: 1px solid var(--ink); min-height: 2.2em; margin: 8px 0 6px;
            font-size: 16px; padding: 4px 0; }
@media print {
  body { font-size: 10.5pt; }
  ol.points li { font-size: 11pt; }
  ol.points .history { font-size: 9.5pt; }
}
"""

_TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ sheet.title }}</title>
<style>{{ css }}</style></head><body><main>
<header class="cover"><p class="eyebrow">Ridealong · debrief sheet</p>
<h1>{{ sheet.title }}</h1>
{% for line in sheet.facts %}<p class="sub">{{ line }}</p>{% endfor %}
</header>
<section id="went-well"><h2>What went well</h2><p class="legend">{{ well_intro }}</p>
{% if sheet.went_well %}<ol class="points">
{% for p in sheet.went_well %}<li><strong>{{ p.behavior }}</strong>
{% if p.tag %}<span class="tag">{{ p.tag }}</span>{% endif %}
<span class="history">{{ p.history }}</span></li>
{% endfor %}</ol>{% else %}<p class="none">No praise was noted on this call.</p>{% endif %}
</section>
<section id="to-fix"><h2>What to fix</h2><p class="legend">{{ fix_intro }}</p>
{% if sheet.to_fix %}<ol class="points">
{% for p in sheet.to_fix %}<li><strong>{{ p.behavior }}</strong>
{% if p.tag %}<span class="tag">{{ p.tag }}</span>{% endif %}
<span class="history">{{ p.history }}</span></li>
{% endfor %}</ol>{% else %}<p class="none">No criticism was noted on this call.</p>{% endif %}
</section>
<section id="next-step"><h2>{{ next_step }}</h2>
<div class="write-in">{{ sheet.next_step }}</div></section>
<footer>{{ sheet.footnote }}</footer>
</main></body></html>
"""
)


def render_html(sheet: Sheet) -> str:
    """The sheet as one self-contained HTML page (inline CSS; prints on one A4 page)."""
    return _TEMPLATE.render(
        sheet=sheet,
        css=review_html.css() + SHEET_CSS,
        well_intro=WELL_INTRO,
        fix_intro=FIX_INTRO,
        next_step=NEXT_STEP,
    )


# ---- PDF ----------------------------------------------------------------------------------


def render_pdf(sheet: Sheet, font_dir: Path | None = review_pdf.DEJAVU) -> bytes:
    """The sheet as a one-page A4 portrait PDF, in the report's fonts and colours."""
    from fpdf import FPDF

    class SheetPDF(FPDF):
        family = "Helvetica"
        unicode = False

        def fit_text(self, value: str) -> str:  # quarterly.pdf.Writer calls it by this name
            return value if self.unicode else review_pdf.latin1(value)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(self.family, "", 7)
            self.set_text_color(*SOFT)
            self.multi_cell(0, 3.2, self.fit_text(sheet.footnote))

    pdf = SheetPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(16, 14, 16)
    pdf.set_auto_page_break(True, margin=18)
    review_pdf.use_dejavu(pdf, font_dir)
    drawable = pdf.fit_text
    pdf.set_title(drawable(sheet.title))
    pdf.set_author("Ridealong")
    pdf.set_creation_date(dt.datetime.combine(sheet.made_on, dt.time(), dt.UTC))
    writer = review_pdf.Writer(pdf)
    pdf.add_page()
    pdf.set_font(writer.fam, "", 8)
    pdf.set_text_color(*SOFT)
    pdf.cell(0, 5, drawable("RIDEALONG · DEBRIEF SHEET"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(writer.fam, "B", 18)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 9, drawable(sheet.title), new_x="LMARGIN", new_y="NEXT")
    for line in sheet.facts:
        writer.para(line, 10, INK, 5)
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + writer.width, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(2)

    def points(title: str, intro: str, items: list[Point], none: str) -> None:
        writer.h2(title)
        writer.para(intro, 8.5)
        if not items:
            writer.para(none, 10)
            return
        for number, point in enumerate(items, start=1):
            pdf.set_font(writer.fam, "B", 11)
            pdf.set_text_color(*INK)
            head = f"{number}. {point.behavior}" + (f"  ({point.tag})" if point.tag else "")
            pdf.multi_cell(0, 5.5, drawable(head), new_x="LMARGIN", new_y="NEXT")
            pdf.set_x(pdf.l_margin + 5)
            pdf.set_font(writer.fam, "", 9.5)
            pdf.set_text_color(59, 68, 81)
            pdf.multi_cell(
                writer.width - 5, 4.6, drawable(point.history), new_x="LMARGIN", new_y="NEXT"
            )
            pdf.ln(1.5)

    points("What went well", WELL_INTRO, sheet.went_well, "No praise was noted on this call.")
    points("What to fix", FIX_INTRO, sheet.to_fix, "No criticism was noted on this call.")
    writer.h2(NEXT_STEP)
    pdf.set_font(writer.fam, "", 11)
    pdf.set_text_color(*INK)
    if sheet.next_step:
        pdf.multi_cell(0, 6, drawable(sheet.next_step), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.ln(8)
    pdf.set_draw_color(*INK)
    for _ in range(1 if sheet.next_step else 2):
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + writer.width, pdf.get_y())
        pdf.ln(9)
    return bytes(pdf.output())

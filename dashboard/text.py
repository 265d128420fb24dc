"""How figures are written out for people: one set of formats for the CLI, pages and report."""

from __future__ import annotations

import re
from typing import Any

SMALL = "*"

# What Streamlit's Markdown acts on, anywhere in a line: emphasis, code, links and images,
# HTML and <autolinks>, LaTeX ($), tables, entities, e-mail autolinks; `:` before `//` (a URL
# autolink) or opening a :shortcode: or :material/icon:; the dot of `www.`.
_MARKDOWN_INLINE = re.compile(r"[\\`*_\[\]<>$~|!&@]|:(?=//)|:(?=[\w/+\-]+:)|(?<=www)\.", re.I)
# ... and at the start of a line: headings, lists, quotes, setext underlines, numbered lists.
_MARKDOWN_BLOCK = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])")


def _escape(m: re.Match) -> str:
    # remark-gfm finds URLs and e-mail addresses in the text left after escapes: a word joiner
    # (invisible) inside `://`, `www.` and after `@` is what keeps them from becoming links
    c = m.group()
    return {":": ":\u2060", ".": "\u2060.", "@": "\\@\u2060"}.get(c, "\\" + c)


def plain(value: object) -> str:
    """Text from a user, a link or the data, to draw inside Streamlit Markdown as written.

    The one escaping function for every view: a backslash before each character Markdown would
    act on, so no name, file name or query parameter becomes a link, an image, emphasis, HTML, a
    heading or list, LaTeX, a colour or icon directive (:red[...], :material/x:) or an autolink
    (https://, www., a@b.c); line breaks become spaces. Linear in the text."""
    text = " ".join(str(value).splitlines())
    text = _MARKDOWN_INLINE.sub(_escape, text)
    return _MARKDOWN_BLOCK.sub(lambda m: m[1] + m[2][:-1] + "\\" + m[2][-1], text)


def pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}:1"


def interval(ci: list[float | None] | None, fmt=pct) -> str:
    if not ci or ci[0] is None:
        return ""
    lo, hi = ci
    return f"[{fmt(lo)}–{fmt(hi) if hi is not None else '∞'}]"


def rate_with_ci(rate: float | None, ci: list | None) -> str:
    if rate is None:
        return "–"
    return f"{pct(rate)} {interval(ci)}"


def ratio_with_ci(value: float | None, ci: list | None) -> str:
    text = ratio(value)
    if ci:
        lo, hi = ci
        upper = ratio(hi) if hi is not None else "∞"
        text += f" [{ratio(lo)}–{upper}]"
    return text


def bucket(b: dict[str, Any], hit: str) -> str:
    mark = SMALL if b.get("small_sample") else ""
    if not b["eligible"]:
        return "–"
    return f"{pct(b['rate'])} ({b[hit]}/{b['eligible']}){mark}"


def _summary_lines(m: dict[str, Any]) -> list[tuple[str, str]]:
    rec = m["recurrence"]
    mr = m["mistake_repeat"]
    lift = "–" if rec["lift"] is None else f"{rec['lift']:.2f}×"
    if rec.get("lift_ci"):
        lift += f" [{rec['lift_ci'][0]:.2f}–{rec['lift_ci'][1]:.2f}]"
    return [
        ("Calls observed", f"{m['calls']}"),
        ("Notes", f"{m['notes']} ({m['praise']} praise, {m['criticism']} criticism)"),
        (
            "Praise : criticism",
            ratio_with_ci(m["praise_to_criticism"], m.get("praise_to_criticism_ci")),
        ),
        (
            "Actions",
            f"observed {m['actions']['observed']}, assisted {m['actions']['assisted']}, "
            f"took over {m['actions']['took_over']}",
        ),
        (
            "Intervention rate",
            rate_with_ci(m["intervention_rate"], m.get("intervention_rate_ci")),
        ),
        ("Debrief rate", rate_with_ci(m["debrief_rate"], m.get("debrief_rate_ci"))),
        (
            f"Praise recurs (next {rec['window']} calls)",
            f"recognised {bucket(rec['recognized'], 'recurred')}, "
            f"unrecognised {bucket(rec['unrecognized'], 'recurred')}",
        ),
        ("Recognition lift", lift),
        (
            "Mistakes repeat after",
            f"took over {bucket(mr['took_over'], 'repeated')}, "
            f"assisted {bucket(mr['assisted'], 'repeated')}, "
            f"observed + debrief {bucket(mr['observed_debriefed'], 'repeated')}, "
            f"observed only {bucket(mr['observed_only'], 'repeated')}",
        ),
    ]


FOOTNOTE = (
    f"{SMALL} fewer eligible events than the small-sample threshold. Intervals are Wilson 95%. "
    "Recurrence and repeat comparisons are observational: managers choose when to step in."
)


def metrics_table(data: dict[str, Any], by: str | None) -> str:
    """The readable form of `ridealong metrics`."""
    if by is None:
        lines = _summary_lines(data)
        width = max(len(k) for k, _ in lines)
        out = [f"{k.ljust(width)}  {v}" for k, v in lines]
        return "\n".join([*out, "", FOOTNOTE])
    header = [
        by,
        "calls",
        "praise:crit",
        "took over",
        "debrief",
        "recognised",
        "unrecognised",
        "repeat/took over",
        "repeat/obs+debrief",
    ]
    rows = [header]
    for key, m in data["groups"].items():
        rec, mr = m["recurrence"], m["mistake_repeat"]
        rows.append(
            [
                key or "(none)",
                str(m["calls"]),
                ratio(m["praise_to_criticism"]),
                pct(m["intervention_rate"]),
                pct(m["debrief_rate"]),
                bucket(rec["recognized"], "recurred"),
                bucket(rec["unrecognized"], "recurred"),
                bucket(mr["took_over"], "repeated"),
                bucket(mr["observed_debriefed"], "repeated"),
            ]
        )
    if len(rows) == 1:
        return "No calls match."
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([*out, "", FOOTNOTE])

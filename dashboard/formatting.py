"""How a number of each kind is written for people (count, rate, ratio, lift, change, interval),
the one Markdown escape and the one spreadsheet-formula guard for CSV: one set of formats for
the CLI, the pages and the review."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

SMALL = "*"
UP, DOWN = "▲", "▼"

# What Streamlit's Markdown acts on, anywhere in a line: emphasis, code, links and images,
# HTML and <autolinks>, LaTeX ($), tables, entities, e-mail autolinks; `:` before `//` (a URL
# autolink) or opening a :shortcode: or :material/icon:; the dot of `www.`.
_MARKDOWN_INLINE = re.compile(r"[\\`*_\[\]<>$~|!&@]|:(?=//)|:(?=[\w/+\-]+:)|(?<=www)\.", re.I)
# ... and at the start of a line: headings, lists, quotes, setext underlines, numbered lists.
_MARKDOWN_BLOCK = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])")


def _escape(match: re.Match) -> str:
    # remark-gfm finds URLs and e-mail addresses in the text left after escapes: a word joiner
    # (invisible) inside `://`, `www.` and after `@` is what keeps them from becoming links
    found = match.group()
    return {":": ":\u2060", ".": "\u2060.", "@": "\\@\u2060"}.get(found, "\\" + found)


def plain(value: object) -> str:
    """Text from a user, a link or the data, to draw inside Streamlit Markdown as written.

    The one escaping function for every view: a backslash before each character Markdown would
    act on, so no name, file name or query parameter becomes a link, an image, emphasis, HTML, a
    heading or list, LaTeX, a colour or icon directive (:red[...], :material/x:) or an autolink
    (https://, www., a@b.c); line breaks become spaces. Linear in the text."""
    text = " ".join(str(value).splitlines())
    text = _MARKDOWN_INLINE.sub(_escape, text)
    return _MARKDOWN_BLOCK.sub(lambda found: found[1] + found[2][:-1] + "\\" + found[2][-1], text)


def rounded(value: float | Decimal, digits: int = 0) -> str:
    """VALUE written with DIGITS decimals, halves rounded up (away from zero): the one rounding
    rule of every figure Ridealong writes. Python's own formatting rounds halves to even, so
    10 of 16 (62.5%) would read 62% beside 63% for 5 of 8 written elsewhere. A float is taken
    as written (its shortest repr), so 0.145 rounds to 0.15, not to the 0.14 its binary form
    is closest to."""
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    done = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return str(abs(done) if done == 0 else done)  # never "-0"


def pct(value: float | None, digits: int = 0) -> str:
    """0.625 -> '63%' (a share written as a percentage, halves up)."""
    return "–" if value is None else f"{rounded(Decimal(repr(float(value))) * 100, digits)}%"


def ratio(value: float | None) -> str:
    """2.25 -> '2.3:1'."""
    return "–" if value is None else f"{rounded(value, 1)}:1"


def slug(name: str) -> str:
    """A file name safe everywhere: accents dropped, each run of spaces or other characters one
    dash ('ridealong_Adam Quintero_timeline' -> 'ridealong_Adam-Quintero_timeline'); letters,
    digits, dots, dashes and underscores kept, as the review's file names keep them."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-") or "ridealong"


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 mistake', '2 mistakes', '1,200 calls'."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def ratio_counts(praise: int, criticism: int, value: float | None) -> str:
    """The praise-to-criticism ratio in words: "–" only when nothing was noted; praise without
    criticism is an infinite ratio, not a missing one."""
    if praise + criticism == 0:
        return "–"
    if criticism == 0:
        return f"∞ (no criticism, {praise} praise)"
    return ratio(value)


def times(value: float | None) -> str:
    """A ratio of two rates (lift, risk ratio)."""
    if value is None:
        return "–"
    return "∞" if value == float("inf") else f"{rounded(value, 2)}×"


def mark(flag: bool | None) -> str:
    """The one small-sample mark, appended to a figure resting on too few events."""
    return SMALL if flag else ""


def interval(ci: list[float | None] | None, fmt: Callable[[Any], str] = pct) -> str:
    """'[55%–70%]' (FMT writes each bound; no upper bound is '∞'); '' for no interval."""
    if not ci or ci[0] is None:
        return ""
    lo, hi = ci
    return f"[{fmt(lo)}–{fmt(hi) if hi is not None else '∞'}]"


def span(lo: float | None, hi: float | None, fmt=None) -> str:
    """An interval in a column headed '95% CI': '12–17%' for shares (FMT None), '1.9–2.4' with
    FMT; '∞' for no upper bound, '' for no interval."""
    if lo is None:
        return ""
    if fmt is None:
        return f"{pct(lo)[:-1]}–{pct(hi) if hi is not None else '∞'}"
    return f"{fmt(lo)}–{fmt(hi) if hi is not None else '∞'}"


# How each kind of measure is written; a change of each kind is written in the same unit.
def count(value: int | None) -> str:
    """1204 -> '1,204'."""
    return "–" if value is None else f"{value:,}"


def of(hits: int | None, base: int | None, joiner: str = " of ") -> str:
    """1204, 5310 -> '1,204 of 5,310' (with joiner '/': '1,204/5,310')."""
    return f"{count(hits)}{joiner}{count(base)}"


BY_KIND: dict[str, Callable[[Any], str]] = {
    "count": count,
    "rate": pct,
    "ratio": ratio,
    "lift": times,
}


def figure(kind: str, value: float | None) -> str:
    """A figure of a kind of measure: '1,204', '63%', '2.3:1', '1.50×'."""
    return BY_KIND[kind](value)


def with_interval(kind: str, value: float | None, ci: Sequence[float | None] | None) -> str:
    """The figure and its 95% interval: '63% [55%–70%]', '2.3:1 [1.3:1–∞]', '1.50× [1.20×–1.90×]';
    the figure alone when there is no interval."""
    bounds = interval(list(ci) if ci else None, BY_KIND[kind]) if value is not None else ""
    return f"{figure(kind, value)} {bounds}" if bounds else figure(kind, value)


def change_size(kind: str, delta: float) -> str:
    """A change's size without its sign, in the unit its kind is written in: '1,204' calls,
    '4 pts' (a rate), '0.2' (a ratio), '0.25' (a lift)."""
    if kind == "count":
        return f"{abs(int(delta)):,}"
    if kind == "rate":
        return f"{rounded(abs(delta) * 100)} pts"
    return rounded(abs(delta), 1 if kind == "ratio" else 2)


def rounds_to_nothing(size: str) -> bool:
    return not any(ch in "123456789" for ch in size)


def signed_change(kind: str, delta: float | None) -> str | None:
    """'+4 pts', '-31', '+0.25'; '±0 pts' when the change rounds to nothing as written."""
    if delta is None:
        return None
    size = change_size(kind, delta)
    if rounds_to_nothing(size):
        return "±" + size
    return ("+" if delta > 0 else "-") + size


def arrow_change(kind: str, delta: float | None) -> str:
    """'▲ 4 pts', '▼ 31', '▲ 0.2'; 'same' when the change rounds to nothing as written."""
    if delta is None:
        return "–"
    size = change_size(kind, delta)
    if abs(delta) < 1e-12 or rounds_to_nothing(size):
        return "same"
    return f"{UP if delta > 0 else DOWN} {size}"


def names(values: Sequence[str]) -> str:
    """'Ana', 'Ana and Ben', 'Ana, Ben and Cy'."""
    values = list(values)
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]


def bucket(counts: dict[str, Any], hit: str) -> str:
    """A recurrence bucket of the JSON: '63% (5/8)', marked when small."""
    if not counts["eligible"]:
        return "–"
    small = mark(counts.get("small_sample"))
    return f"{pct(counts['rate'])} ({of(counts[hit], counts['eligible'], '/')}){small}"


def adjusted_lift(rec: dict[str, Any]) -> str:
    """The within-rep lift of a JSON "recurrence" object, with its interval and strata."""
    adj = rec.get("adjusted")
    if not adj:
        return "–"
    if adj["lift"] is None:
        return f"– (cannot be estimated: {adj['strata']} {adj['by']}s with both kinds of praise)"
    return (
        with_interval("lift", adj["lift"], adj["lift_ci"])
        + f" ({adj['strata']} {adj['by']}s){mark(rec.get('lift_small_sample'))}"
    )


def adjusted_ratios(mr: dict[str, Any]) -> str:
    adj = mr.get("adjusted")
    if not adj:
        return "–"
    labels = {"took_over": "took over", "assisted": "assisted", "observed_only": "observed only"}
    return ", ".join(
        f"{label} {with_interval('lift', adj[key]['ratio'], adj[key]['ratio_ci'])}"
        for key, label in labels.items()
    )


def _summary_lines(figures: dict[str, Any]) -> list[tuple[str, str]]:
    rec = figures["recurrence"]
    mr = figures["mistake_repeat"]
    lift = with_interval("lift", rec["lift"], rec.get("lift_ci")) + mark(
        rec.get("lift_small_sample")
    )
    by = (rec.get("adjusted") or {}).get("by", "rep")
    ratio_text = (
        with_interval(
            "ratio", figures["praise_to_criticism"], figures.get("praise_to_criticism_ci")
        )
        if figures["criticism"]
        else ratio_counts(figures["praise"], figures["criticism"], figures["praise_to_criticism"])
    )
    return [
        ("Calls observed", f"{figures['calls']}{mark(figures.get('small_sample'))}"),
        (
            "Notes",
            f"{figures['notes']} ({figures['praise']} praise, {figures['criticism']} criticism)",
        ),
        ("Praise : criticism", ratio_text + mark(figures.get("praise_to_criticism_small_sample"))),
        (
            "Actions",
            "observed {observed}, assisted {assisted}, took over {took_over}".format(
                **figures["actions"]
            ),
        ),
        (
            "Intervention rate",
            with_interval("rate", figures["intervention_rate"], figures.get("intervention_rate_ci"))
            + mark(figures.get("small_sample")),
        ),
        (
            "Debrief rate",
            with_interval("rate", figures["debrief_rate"], figures.get("debrief_rate_ci"))
            + mark(figures.get("debrief_rate_small_sample")),
        ),
        (
            f"Praise recurs (next {rec['window']} calls)",
            f"recognised {bucket(rec['recognized'], 'recurred')}, "
            f"unrecognised {bucket(rec['unrecognized'], 'recurred')}",
        ),
        (f"Recognition lift, within {by}", adjusted_lift(rec)),
        ("Recognition lift, crude", lift),
        (f"Repeats vs observe + debrief, within {by}", adjusted_ratios(mr)),
        (
            "Mistakes repeat after",
            f"took over {bucket(mr['took_over'], 'repeated')}, "
            f"assisted {bucket(mr['assisted'], 'repeated')}, "
            f"observed + debrief {bucket(mr['observed_debriefed'], 'repeated')}, "
            f"observed only {bucket(mr['observed_only'], 'repeated')}",
        ),
    ]


FOOTNOTE = (
    f"{SMALL} fewer calls, notes or eligible events than the small-sample threshold (--min-n). "
    "Rates: Wilson 95% intervals. Within-rep figures: Mantel–Haenszel risk ratios stratified "
    "by rep, 95% intervals clustered by rep; crude figures pool everyone. Recurrence and repeat "
    "comparisons are observational: managers choose when to step in and when to praise, and "
    "praise follows unusually good calls (regression to the mean)."
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
        "lift within rep",
        "lift crude",
        "repeat/took over",
        "repeat/obs+debrief",
    ]
    rows = [header]
    for key, figures in data["groups"].items():
        rec, mr = figures["recurrence"], figures["mistake_repeat"]
        adj = rec.get("adjusted") or {}
        small = figures.get("small_sample")
        rows.append(
            [
                key or "(none)",
                str(figures["calls"]) + mark(small),
                ratio_counts(
                    figures["praise"], figures["criticism"], figures["praise_to_criticism"]
                )
                + mark(figures.get("praise_to_criticism_small_sample")),
                pct(figures["intervention_rate"]) + mark(small),
                pct(figures["debrief_rate"]) + mark(figures.get("debrief_rate_small_sample")),
                bucket(rec["recognized"], "recurred"),
                bucket(rec["unrecognized"], "recurred"),
                times(adj.get("lift")) + mark(rec.get("lift_small_sample")),
                times(rec["lift"]) + mark(rec.get("lift_small_sample")),
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


# ---- CSV ---------------------------------------------------------------------------------------


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would run as a formula (starting with = + - @, a tab or a
    carriage return) get a leading apostrophe, as OWASP advises for CSV injection; numbers are
    not text and stay as they are. Every CSV Ridealong writes goes through this."""
    return frame.with_columns(
        [
            pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]"))
            .then(pl.lit("'") + pl.col(c))
            .otherwise(pl.col(c))
            .alias(c)
            for c, t in frame.schema.items()
            if t == pl.String
        ]
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as CSV, formula-guarded (csv_safe)."""
    buffer = io.BytesIO()
    csv_safe(frame).write_csv(buffer)
    return buffer.getvalue()

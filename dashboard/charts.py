"""Polars frame -> Altair chart. Pure functions, one theme, one colour per polarity."""

from __future__ import annotations

import re
from typing import Any

import altair as alt
import polars as pl

from dashboard import formatting

PRAISE = "#2f9e6e"  # green: praise, recognition, things going right
CRITICISM = "#d9534f"  # red: criticism, mistakes
NEUTRAL = "#5b6b7f"
ACTION_COLORS = {"observed": "#4c78a8", "assisted": "#9ecae9", "took_over": "#e45756"}
ACTION_LABELS = {"observed": "Observed", "assisted": "Assisted", "took_over": "Took over"}
RESPONSE_LABELS = {
    "took_over": "Took over",
    "assisted": "Assisted",
    "observed_debriefed": "Observed + debrief",
    "observed_only": "Observed only",
}
SMALL_OPACITY = 0.35
FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"


def theme() -> dict:
    return {
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            "axis": {
                "labelColor": "#3b4451",
                "titleColor": "#3b4451",
                "gridColor": "#e6e9ef",
                "domainColor": "#c5cbd3",
                "labelFontSize": 12,
                "titleFontSize": 12,
                "titleFontWeight": 600,
            },
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "title": {"fontSize": 14, "anchor": "start", "color": "#1d2430"},
            "range": {"category": [NEUTRAL, PRAISE, CRITICISM, "#4c78a8", "#f58518"]},
        }
    }


@alt.theme.register("ridealong", enable=True)
def _ridealong_theme() -> alt.theme.ThemeConfig:
    return theme()  # type: ignore[return-value]


# Encodings here are channel objects (alt.X("a:Q"), alt.XDatum(0), faded(...)), not a shorthand
# string nor the dict alt.condition, alt.value or alt.datum returns: Altair turns those into a
# channel object by hashing its whole Vega-Lite schema, about 3 ms each, on every page run.
def faded(test: str) -> alt.OpacityValue:
    """Opacity SMALL_OPACITY where the Vega expression `test` holds (a figure resting on too
    few), else 1."""
    return alt.OpacityValue(1.0, condition={"test": test, "value": SMALL_OPACITY})


RATIO_PAD = 2.0  # the ratio axis reaches this factor beyond the outermost ratio drawn


def ratio_trend(frame: pl.DataFrame, period: str, reference: float | None = None) -> alt.Chart:
    """Praise-to-criticism ratio per period with its interval; `frame` is metrics by period.

    Ratios are multiplicative (2:1 is as far above 1:1 as 1:2 is below), so the axis is a log
    scale with the 1:1 line drawn. It spans the ratios, 1:1 and the reference, a factor
    RATIO_PAD beyond; an interval reaching further (a month of few notes can reach 150:1, or
    have no upper bound) is cut at the edge and the chart says so, the tooltip giving it in
    full. A ratio of 0 (criticism only) sits on the bottom edge."""
    data = frame.select(
        pl.col("grp").alias(period),
        "praise",
        "criticism",
        "praise_to_criticism",
        "praise_to_criticism_lo",
        "praise_to_criticism_hi",
        "ratio_small",
    ).filter(pl.col("praise") + pl.col("criticism") > 0)
    anchors = [v for v in data["praise_to_criticism"].drop_nulls() if v > 0]
    anchors += [1.0] + ([float(reference)] if reference else [])
    low, high = min(anchors) / RATIO_PAD, max(anchors) * RATIO_PAD
    ratio, lo, hi = (
        pl.col("praise_to_criticism"),
        pl.col("praise_to_criticism_lo"),
        pl.col("praise_to_criticism_hi"),
    )
    data = data.with_columns(
        ratio.clip(low, high).alias("ratio_at"),
        lo.clip(low, high).alias("lo_at"),
        hi.fill_null(float("inf")).clip(low, high).alias("hi_at"),
        ((lo < low) | hi.is_null() | (hi > high)).alias("cut"),
        pl.Series(
            "ratio_text",
            [formatting.ratio(v) for v in data["praise_to_criticism"]],
            dtype=pl.String,
        ),
        pl.Series(
            "interval_text",
            [
                formatting.interval([a, b], formatting.ratio)
                for a, b in zip(
                    data["praise_to_criticism_lo"], data["praise_to_criticism_hi"], strict=True
                )
            ],
            dtype=pl.String,
        ),
    )
    y_scale = alt.Scale(type="log", domain=[low, high], nice=False)
    ticks = [m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5) if low <= m * 10.0**e <= high]
    y_axis = alt.Axis(values=ticks, format="~g", labelExpr="datum.label + ':1'")
    tooltip = [
        alt.Tooltip(f"{period}:O"),
        alt.Tooltip("ratio_text:N", title="praise : criticism"),
        alt.Tooltip("interval_text:N", title="95% interval"),
        alt.Tooltip("praise:Q"),
        alt.Tooltip("criticism:Q"),
    ]
    x_axis = alt.Axis(labelAngle=0, labelOverlap=True)
    base = alt.Chart(data).encode(x=alt.X(f"{period}:O", title=None, axis=x_axis))
    band = base.mark_rule(color=PRAISE, opacity=0.5, strokeWidth=2).encode(
        y=alt.Y("lo_at:Q", title="Praise per criticism (log scale)", scale=y_scale, axis=y_axis),
        y2=alt.Y2("hi_at:Q"),
        tooltip=tooltip,
    )
    valid = base.transform_filter("isValid(datum.ratio_at)")
    line = valid.mark_line(color=PRAISE).encode(y=alt.Y("ratio_at:Q", scale=y_scale))
    # periods resting on fewer notes than the small-sample rule: faded points, said in the tooltip
    points = valid.mark_point(color=PRAISE, filled=True, size=50).encode(
        y=alt.Y("ratio_at:Q", scale=y_scale),
        opacity=faded("datum.ratio_small"),
        tooltip=[*tooltip, alt.Tooltip("ratio_small:N", title="small sample")],
    )
    lines = pl.DataFrame(
        {
            "at": [1.0] + ([float(reference)] if reference else []),
            "line": ["1:1, as much praise as criticism"]
            + ([reference_label(reference)] if reference else []),
        }
    )
    rules = (
        alt.Chart(lines)
        .mark_rule(color=NEUTRAL)
        .encode(
            y=alt.Y("at:Q", scale=y_scale),
            strokeDash=alt.StrokeDash(
                "line:N", legend=None, scale=alt.Scale(range=[[1, 0], [4, 4]])
            ),
            tooltip=[alt.Tooltip("line:N", title="line")],
        )
    )
    # a subtitle only when there is one: an empty one pushed the title out of the top of the
    # chart in the browser (half of it cut off)
    cut = "Intervals reaching past the chart's edge are cut there: hover for the full one."
    title = (
        alt.TitleParams("Praise-to-criticism ratio", subtitle=[cut])
        if data["cut"].any()
        else alt.TitleParams("Praise-to-criticism ratio")
    )
    layers = [rules, band, line, points]
    if reference:
        # the reference line's label is part of the chart, so PNG and SVG exports carry it too
        layers.append(
            alt.Chart(lines.tail(1))
            .mark_text(align="left", baseline="bottom", dx=4, dy=-2, color=NEUTRAL, fontSize=11)
            .encode(y=alt.Y("at:Q", scale=y_scale), x=alt.XValue(0), text=alt.Text("line:N"))
        )
    return alt.layer(*layers, height=260, title=title)


def reference_label(reference: float) -> str:
    """The reference line's label; 5.6:1 is the widely quoted, disputed Losada figure."""
    if abs(reference - 5.6) < 1e-9:
        return "5.6:1 reference (Losada; disputed)"
    return f"{reference:.1f}:1 reference"


MAX_BARS = 30  # a chart with a bar per manager shows this many at most: the busiest
BAR_PX = 22  # action_share by manager: a manager's bar and its gap (a name fits beside it)


def busiest(frame: pl.DataFrame, most: int) -> pl.DataFrame:
    """The `most` groups of metrics by a group (`grp`) with the most calls (then by name), in
    the frame's order: the Managers page's actions of 820 managers at a million notes were a
    barcode of bars thinner than a pixel."""
    if frame.height <= most:
        return frame
    chosen = frame.sort(["calls", "grp"], descending=[True, False]).head(most)["grp"]
    return frame.filter(pl.col("grp").is_in(chosen.implode()))


def action_share(frame: pl.DataFrame, period: str) -> alt.Chart:
    """Share of calls observed / assisted / taken over per period (metrics by period: each
    action's count and its share, metrics.sql's <action>_share)."""
    long = pl.concat(
        [
            frame.select(
                pl.col("grp").alias(period),
                "calls",
                pl.lit(action).alias("action"),
                pl.col(action).alias("n"),
                pl.col(f"{action}_share").cast(pl.Float64).alias("share"),
                pl.lit(label).alias("label"),
            )
            for action, label in ACTION_LABELS.items()
        ]
    )
    share = {"field": "share", "type": "quantitative", "title": "Share of calls"}
    if period == "manager":  # a bar per manager, across: names side by side overlap
        managers = frame["grp"].to_list()
        axes = {
            "x": alt.X(**share, axis=alt.Axis(format="%")),
            "y": alt.Y("manager:N", title=None, sort=managers, axis=alt.Axis(labelLimit=220)),
        }
        # the height holds the title, the axis and the legend too (about 170 px)
        height = BAR_PX * max(len(managers), 1) + 170
    else:
        axes = {
            "x": alt.X(f"{period}:O", title=None, axis=alt.Axis(labelAngle=0)),
            "y": alt.Y(**share, axis=alt.Axis(format="%")),
        }
        height = 260
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            **axes,
            color=alt.Color(
                "label:N",
                title="What the manager did",
                scale=alt.Scale(
                    domain=list(ACTION_LABELS.values()),
                    range=[ACTION_COLORS[k] for k in ACTION_LABELS],
                ),
                sort=list(ACTION_LABELS.values()),
            ),
            order=alt.Order("action:N", sort="descending"),
            tooltip=[
                alt.Tooltip(f"{period}:{'N' if period == 'manager' else 'O'}"),
                alt.Tooltip("label:N", title="action"),
                alt.Tooltip("n:Q", title="calls"),
                alt.Tooltip("share:Q", format=".0%"),
            ],
        )
        .properties(height=height, title="What managers did on the call")
    )


SMALL_LABEL = "small sample"
RECOGNIZED_LABELS = {"rec": "Recognised (debriefed)", "unrec": "Not recognised (no debrief)"}


def _rate_rows(frame: pl.DataFrame, label_col: str, prefixes: dict[str, str], hit: str):
    """Long rows (label, bucket, rate, lo, hi, eligible, hits, small) from metrics columns
    `<prefix>_rate`, `_rate_lo`, `_rate_hi`, `_eligible`, `_<hit>`, `_small`; buckets with no
    eligible events are dropped."""
    parts = [
        frame.select(
            pl.col(label_col).alias("label"),
            pl.lit(name).alias("bucket"),
            pl.col(f"{prefix}_rate").alias("rate"),
            pl.col(f"{prefix}_rate_lo").alias("lo"),
            pl.col(f"{prefix}_rate_hi").alias("hi"),
            pl.col(f"{prefix}_eligible").cast(pl.Int64).alias("eligible"),
            pl.col(f"{prefix}_{hit}").cast(pl.Int64).alias("hits"),
            pl.col(f"{prefix}_small").alias("small"),
        )
        for prefix, name in prefixes.items()
    ]
    long = pl.concat(parts).filter(pl.col("eligible") > 0)
    return long.with_columns(
        pl.when(pl.col("small")).then(pl.lit(SMALL_LABEL)).otherwise(pl.lit("")).alias("sample")
    )


MAX_LABELLED = 20  # a funnel plot names its managers when there are at most this many


def _place_labels(
    frame: pl.DataFrame, x_column: str, y_column: str, x_span: float, y_span: float
) -> pl.DataFrame:
    """`frame` with `label_y` and `label_side` ('right' or 'left' of the point): each point's
    label goes beside it on the right, else on the left, else a step lower, so that labels of
    points close together neither overlap nor cover another point. A label is taken to be 5%
    of the chart's y span tall and 15% of its x span wide."""
    if frame.is_empty():
        return frame.with_columns(
            pl.col(y_column).alias("label_y"), pl.lit("right").alias("label_side")
        )
    xs = frame[x_column].cast(pl.Float64).to_list()
    ys = frame[y_column].cast(pl.Float64).to_list()
    width = 0.15 * (x_span or 1.0)
    height = 0.05 * (y_span or 0.01)
    placed: list[tuple[float, float, float]] = []  # (left edge, right edge, y)
    label_y, side = [0.0] * len(ys), ["right"] * len(ys)
    for point in sorted(range(len(ys)), key=lambda other: -ys[other]):
        for step in range(len(ys) + 1):
            pos = ys[point] - step * height
            spans = {
                "right": (xs[point], xs[point] + width),
                "left": (xs[point] - width, xs[point]),
            }
            free = [
                name
                for name, (a, b) in spans.items()
                if not any(a < pb and pa < b and abs(pos - py) < height for pa, pb, py in placed)
                and not any(
                    j != point and a <= xs[j] <= b and abs(pos - ys[j]) < height
                    for j in range(len(xs))
                )
            ]
            if free:
                break
        where = free[0] if free else "right"
        placed.append((*spans[where], pos))
        label_y[point], side[point] = pos, where
    return frame.with_columns(
        pl.Series("label_y", label_y, dtype=pl.Float64), pl.Series("label_side", side)
    )


def funnel(managers: pl.DataFrame, limits: pl.DataFrame, places: pl.DataFrame) -> alt.LayerChart:
    """Funnel plot: each manager's intervention rate against calls observed, with 95% and 99.8%
    binomial control limits around the team rate. `managers` is metrics by manager, `limits`
    is queries/funnel_limits.sql and `places` queries/funnel_managers.sql (where each manager
    falls against those limits), both with the same φ."""
    points = (
        managers.select(
            pl.col("grp").alias("manager"),
            pl.col("calls").cast(pl.Int64),
            pl.col("took_over").cast(pl.Int64),
            "intervention_rate",
            "intervention_rate_lo",
            "intervention_rate_hi",
            "calls_small",
        )
        .filter(pl.col("calls") > 0)
        .join(places.select("manager", "position"), on="manager", how="left")
        .with_columns(
            pl.when(pl.col("calls_small"))
            .then(pl.lit(SMALL_LABEL))
            .otherwise(pl.lit(""))
            .alias("sample"),
        )
    )
    lim = limits
    # Start the curves at a quarter of the smallest manager's calls: near n = 1 the limits span
    # 0-100% and would flatten the part of the funnel where the managers are.
    first_n = max(1, int(points["calls"].min() or 1) // 4)
    shown = lim.filter(pl.col("n") >= first_n)
    kinds = {
        "95% limits": ("lo95", "hi95"),
        "99.8% limits": ("lo998", "hi998"),
    }
    lines = pl.concat(
        [
            shown.select(
                "n",
                pl.lit(kind).alias("limit"),
                pl.lit(side).alias("side"),
                pl.col(col).alias("value"),
            )
            for kind, cols in kinds.items()
            for side, col in zip(("lower", "upper"), cols, strict=True)
        ]
        + [
            shown.select(
                "n",
                pl.lit("Team rate").alias("limit"),
                pl.lit("mid").alias("side"),
                pl.col("p0").alias("value"),
            )
        ]
    )
    calls_axis = alt.X("n:Q", title="Calls observed", scale=alt.Scale(zero=False, nice=True))
    ys = [*points["intervention_rate"].drop_nulls(), *lines["value"].drop_nulls()]
    xs = [*points["calls"], *shown["n"]]
    spans = (max(xs) - min(xs), max(ys) - min(ys)) if ys and xs else (1.0, 1.0)
    limit_lines = (
        alt.Chart(lines)
        .mark_line(color=NEUTRAL, strokeWidth=1.5)
        .encode(
            x=calls_axis,
            y=alt.Y(
                "value:Q",
                title="Share of calls taken over",
                axis=alt.Axis(format="%"),
            ),
            detail=alt.Detail("side:N"),
            strokeDash=alt.StrokeDash(
                "limit:N",
                title=None,
                scale=alt.Scale(
                    domain=["Team rate", "95% limits", "99.8% limits"],
                    range=[[1, 0], [6, 4], [2, 3]],
                ),
            ),
            tooltip=[
                alt.Tooltip("limit:N", title="line"),
                alt.Tooltip("n:Q", title="calls"),
                alt.Tooltip("value:Q", title="rate", format=".1%"),
            ],
        )
    )
    opacity = faded("datum.calls_small")
    base = alt.Chart(points).encode(
        x=alt.X("calls:Q"),
        y=alt.Y("intervention_rate:Q"),
    )
    dots = base.mark_circle(size=110, color=ACTION_COLORS["observed"]).encode(
        opacity=opacity,
        tooltip=[
            alt.Tooltip("manager:N"),
            alt.Tooltip("calls:Q", title="calls observed"),
            alt.Tooltip("took_over:Q", title="calls taken over"),
            alt.Tooltip("intervention_rate:Q", title="intervention rate", format=".1%"),
            alt.Tooltip("intervention_rate_lo:Q", title="95% low", format=".1%"),
            alt.Tooltip("intervention_rate_hi:Q", title="95% high", format=".1%"),
            alt.Tooltip("position:N", title="funnel"),
            alt.Tooltip("sample:N", title="note"),
        ],
    )
    layers = [limit_lines]
    # Names only for a few managers: more would cover the plot (and placing them takes time
    # that grows with the cube of their number: 7 s for the 834 managers of a million notes).
    if points.height <= MAX_LABELLED:
        labelled = alt.Chart(_place_labels(points, "calls", "intervention_rate", *spans)).encode(
            x=alt.X("calls:Q"), y=alt.Y("label_y:Q"), text=alt.Text("manager:N"), opacity=opacity
        )
        sides = set(labelled.data["label_side"])  # a layer with no rows: "Infinite extent"
        for where, align, dx in (("right", "left", 9), ("left", "right", -9)):
            if where not in sides:
                continue
            side = labelled.transform_filter(f"datum.label_side == '{where}'")
            text_style = {"align": align, "dx": dx, "fontSize": 11}
            layers.append(  # a white halo keeps the name readable across the limit lines
                side.mark_text(**text_style, stroke="white", strokeWidth=3, color="white")
            )
            layers.append(side.mark_text(**text_style, color="#3b4451"))
    layers.append(dots)  # last: no label covers a dot
    return alt.layer(*layers, height=420, title="Intervention rate against calls observed")


def recurrence_by_behavior(frame: pl.DataFrame) -> alt.Chart:
    """Per behaviour: how often praise came back, recognised (debriefed call) against not
    recognised, with Wilson 95% intervals; `frame` is metrics by behavior."""
    long = _rate_rows(
        frame,
        "grp",
        {"rec": RECOGNIZED_LABELS["rec"], "unrec": RECOGNIZED_LABELS["unrec"]},
        "recurred",
    )
    order = (
        frame.filter(pl.col("rec_eligible") + pl.col("unrec_eligible") > 0)
        .sort(["rec_rate", "grp"], descending=[True, False], nulls_last=True)["grp"]
        .to_list()
    )
    colors = alt.Scale(domain=list(RECOGNIZED_LABELS.values()), range=[PRAISE, NEUTRAL])
    base = alt.Chart(long).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset("bucket:N", sort=list(RECOGNIZED_LABELS.values())),
        color=alt.Color("bucket:N", title=None, scale=colors),
        opacity=faded("datum.small"),
    )
    tooltip = [
        alt.Tooltip("label:N", title="behaviour"),
        alt.Tooltip("bucket:N", title="praise"),
        alt.Tooltip("rate:Q", title="came back", format=".0%"),
        alt.Tooltip("hits:Q", title="came back (events)"),
        alt.Tooltip("eligible:Q", title="eligible events"),
        alt.Tooltip("lo:Q", title="95% low", format=".0%"),
        alt.Tooltip("hi:Q", title="95% high", format=".0%"),
        alt.Tooltip("sample:N", title="note"),
    ]
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X(
            "lo:Q",
            title=f"Praised again within the next {_window(frame)} calls",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        x2=alt.X2("hi:Q"),
        tooltip=tooltip,
    )
    dots = base.mark_circle(size=70).encode(
        x=alt.X("rate:Q", title=f"Praised again within the next {_window(frame)} calls"),
        tooltip=tooltip,
    )
    small = (  # in a column right of 100%, beside the faded row it labels
        alt.Chart(long)
        .transform_filter("datum.small")
        .mark_text(align="left", dx=8, fontSize=10, color=NEUTRAL)
        .encode(
            y=alt.Y("label:N", sort=order),
            yOffset=alt.YOffset("bucket:N", sort=list(RECOGNIZED_LABELS.values())),
            x=alt.XDatum(1.0),
            text=alt.Text("sample:N"),
        )
    )
    rows = max(len(order), 1)
    return alt.layer(
        bars,
        dots,
        small,
        # Streamlit fits the whole chart (title, axis, legend) into this height
        height=120 + 36 * rows,
        title="Does praise come back?",
    )


def _window(frame: pl.DataFrame) -> str:
    """The recurrence window K a metrics frame was computed with ('K' if unknown)."""
    if "window" in frame.columns and frame.height and frame["window"][0] is not None:
        return str(frame["window"][0])
    return "K"


def mistake_repeat(frame: pl.DataFrame) -> alt.Chart:
    """Mistake repeat rate by what the manager did on the call, with Wilson 95% intervals;
    `frame` is one row of metrics (by='all')."""
    prefixes = {f"mr_{k}": v for k, v in RESPONSE_LABELS.items()}
    long = _rate_rows(frame, "grp", prefixes, "repeated")
    # written here, by the rule every figure follows: "63% of 8 mistakes", "0% of 1 mistake"
    long = long.with_columns(
        pl.Series(
            "caption",
            [
                f"{formatting.pct(r['rate'])} of {formatting.plural(r['eligible'], 'mistake')}"
                + (" · small sample" if r["small"] else "")
                for r in long.iter_rows(named=True)
            ],
            dtype=pl.String,
        )
    )
    order = list(RESPONSE_LABELS.values())
    base = alt.Chart(long).encode(
        y=alt.Y(
            "bucket:N",
            title=None,
            sort=order,
            scale=alt.Scale(domain=order),
            axis=alt.Axis(labelLimit=200),
        ),
        opacity=faded("datum.small"),
    )
    tooltip = [
        alt.Tooltip("bucket:N", title="manager's response"),
        alt.Tooltip("rate:Q", title="repeated", format=".0%"),
        alt.Tooltip("hits:Q", title="repeated (mistakes)"),
        alt.Tooltip("eligible:Q", title="eligible mistakes"),
        alt.Tooltip("lo:Q", title="95% low", format=".0%"),
        alt.Tooltip("hi:Q", title="95% high", format=".0%"),
        alt.Tooltip("sample:N", title="note"),
    ]
    title = f"Mistakes noted again within the next {_window(frame)} calls"
    bars = base.mark_bar(color=CRITICISM, height=alt.RelativeBandSize(0.4)).encode(
        x=alt.X("rate:Q", title=title, axis=alt.Axis(format="%"), scale=alt.Scale(zero=True)),
        tooltip=tooltip,
    )
    whiskers = base.mark_errorbar(color="#1d2430", thickness=1.5, ticks={"size": 14}).encode(
        x=alt.X("lo:Q", title=title), x2=alt.X2("hi:Q"), tooltip=tooltip
    )
    labels = (  # above each bar, from the axis: never clipped at the right edge
        base.mark_text(align="left", baseline="bottom", dx=2, dy=-16, fontSize=11).encode(
            x=alt.XDatum(0),
            text=alt.Text("caption:N"),
            color=alt.ColorValue("#3b4451", condition={"test": "datum.small", "value": NEUTRAL}),
            opacity=alt.OpacityValue(1.0),  # the label stays readable on a faded row
        )
    )
    return alt.layer(
        bars, whiskers, labels, height=360, title="Do mistakes repeat? By what the manager did"
    )


def rep_timeline(history: pl.DataFrame) -> alt.Chart:
    """Praise (up, green) and criticism (down, red) notes on each of a rep's calls over time;
    `history` is queries/rep_history.sql."""
    base = history.select(
        "call_no",
        "observed_on",
        "manager",
        pl.col("manager_action").replace_strict(ACTION_LABELS, default="").alias("action"),
        pl.col("praise").cast(pl.Int64),
        pl.col("criticism").cast(pl.Int64),
    )
    long = pl.concat(
        [
            base.with_columns(
                pl.lit("Praise").alias("polarity"),
                pl.col("praise").alias("notes"),
                pl.col("praise").cast(pl.Float64).alias("value"),
            ),
            base.with_columns(
                pl.lit("Criticism").alias("polarity"),
                pl.col("criticism").alias("notes"),
                (-pl.col("criticism").cast(pl.Float64)).alias("value"),
            ),
        ]
    ).filter(pl.col("notes") > 0)
    bar = max(2, min(14, 700 // max(history.height, 1)))  # px: thinner bars for more calls
    return (
        alt.Chart(long)
        .mark_bar(size=bar)
        .encode(
            x=alt.X(
                "call_no:Q",
                title="Calls in order (hover for the date)",
                axis=alt.Axis(tickMinStep=1, format="d"),
                scale=alt.Scale(zero=False, nice=False, padding=bar),
            ),
            y=alt.Y(
                "value:Q",
                title="Notes",
                axis=alt.Axis(tickMinStep=1, format="d", labelExpr="abs(datum.value)"),
            ),
            color=alt.Color(
                "polarity:N",
                title=None,
                scale=alt.Scale(domain=["Praise", "Criticism"], range=[PRAISE, CRITICISM]),
            ),
            tooltip=[
                alt.Tooltip("observed_on:T", title="date", format="%d %b %Y"),
                alt.Tooltip("call_no:Q", title="call no."),
                alt.Tooltip("manager:N", title="observed by"),
                alt.Tooltip("action:N", title="manager"),
                alt.Tooltip("polarity:N"),
                alt.Tooltip("notes:Q"),
            ],
        )
        .properties(height=330, title="Praise (up) and criticism (down) on each call")
    )


PREVIOUS_PERIOD = "#a7b1bd"  # grey: the period a comparison starts from
CURRENT_PERIOD = "#1f4e79"  # dark blue: the period under review


ROW_PX = 24  # period_comparison: the height of a row (both periods)
# ... and of its title, axis and legend: with 140 the four rows of the review's headline were
# squeezed to 16 px, their two dots on top of each other
FRAME_PX = 190


def period_comparison(
    frame: pl.DataFrame, category: str, title: str, x_title: str = "Rate (95% interval)"
) -> alt.Chart:
    """Two periods side by side per row, each a rate with its 95% interval (quarterly review).

    `frame`: one row per (category, period) with columns `category` (a label, rows kept in
    first-seen order), `period`, `order` (0 = previous, 1 = current), `rate`, `lo`, `hi`, `n`
    (the count behind the rate), `small` (flagged rows are drawn faint).
    """
    data = frame.select(pl.col(category).alias("category"), *frame.columns).filter(
        pl.col("rate").is_not_null()
    )
    categories = list(dict.fromkeys(frame[category].to_list()))
    periods = (
        frame.select("period", "order").unique().sort("order")["period"].to_list()
        if frame.height
        else []
    )
    base = alt.Chart(data).encode(
        y=alt.Y("category:N", title=None, sort=categories, axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset("period:N", sort=periods),
        color=alt.Color(
            "period:N",
            title=None,
            sort=periods,
            scale=alt.Scale(
                domain=periods, range=[PREVIOUS_PERIOD, CURRENT_PERIOD][-len(periods) :]
            ),
        ),
        opacity=faded("datum.small"),
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X(
            "lo:Q",
            title=x_title,
            axis=alt.Axis(format="%", tickCount=5),
            scale=alt.Scale(domain=[0, 1]),
        ),
        x2=alt.X2("hi:Q"),
    )
    dots = base.mark_point(filled=True, size=70).encode(
        x=alt.X("rate:Q"),
        tooltip=[
            alt.Tooltip("category:N", title=category),
            alt.Tooltip("period:N"),
            alt.Tooltip("rate:Q", format=".0%"),
            alt.Tooltip("lo:Q", title="95% low", format=".0%"),
            alt.Tooltip("hi:Q", title="95% high", format=".0%"),
            alt.Tooltip("n:Q", title="based on"),
        ],
    )
    # ROW_PX a row, as a number: a height per row (alt.Step) makes Vega warn 'Dropping "fit-y"
    # because spec has discrete height' under Streamlit's autosize, whatever autosize the spec
    # asks for. The chart's height holds its title, axis and legend too (FRAME_PX).
    return alt.layer(bars, dots, height=ROW_PX * max(len(categories), 1) + FRAME_PX, title=title)


# Characters XML 1.0 forbids: vl-convert draws text through an SVG parser that panics on them and
# aborts the whole process (names imported before the importer refused control characters).
_NON_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _visible(match: re.Match) -> str:
    """A C0 control character as its Unicode control picture (NUL -> '␀'), anything else '�'."""
    code = ord(match.group())
    return chr(0x2400 + code) if code < 0x20 else "\ufffd"


def _drawable(value: Any) -> Any:
    """The chart's spec with every string (titles, data, labels) safe to draw."""
    if isinstance(value, str):
        return _NON_XML.sub(_visible, value)
    if isinstance(value, dict):
        return {_drawable(k): _drawable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_drawable(v) for v in value]
    return value


def _inlined(chart: Any) -> Any:
    """A copy of `chart` with its data frames inlined as values, however many rows they hold.
    Altair refuses more than 5,000 by default (a guard for a notebook's browser: vl-convert
    draws these files here), which stopped the PNG and SVG of the Managers page's charts at
    8,339 managers; lifting the limit is a setting global to every thread, Streamlit's too."""
    from altair.vegalite.data import default_data_transformer

    chart = chart.copy(deep=False)
    data = getattr(chart, "data", alt.Undefined)
    if data is not alt.Undefined and not isinstance(data, dict | str | alt.SchemaBase):
        chart.data = alt.InlineData(**default_data_transformer(data, max_rows=None))
    for key in ("layer", "hconcat", "vconcat", "concat"):
        parts = getattr(chart, key, alt.Undefined)
        if parts is not alt.Undefined:
            setattr(chart, key, [_inlined(part) for part in parts])
    return chart


def to_svg(chart: alt.TopLevelMixin) -> bytes:
    import vl_convert as vlc

    spec = _drawable(_inlined(chart).to_dict())
    return vlc.vegalite_to_svg(spec, allowed_base_urls=[]).encode("utf-8")


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    spec = _drawable(_inlined(chart).to_dict())
    return vlc.vegalite_to_png(spec, scale=scale, allowed_base_urls=[])

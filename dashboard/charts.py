"""Polars frame -> Altair chart. Pure functions, one theme, one colour per polarity."""

from __future__ import annotations

import altair as alt
import polars as pl

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


def _doubles(frame: pl.DataFrame) -> pl.DataFrame:
    """No DECIMAL reaches a chart (Vega would mis-scale it): measures become Float64."""
    return frame.with_columns(
        [pl.col(c).cast(pl.Float64) for c, t in frame.schema.items() if isinstance(t, pl.Decimal)]
    )


def ratio_trend(frame: pl.DataFrame, period: str, reference: float | None = None) -> alt.Chart:
    """Praise-to-criticism ratio per period with its interval; `frame` is metrics by period."""
    data = _doubles(
        frame.select(
            pl.col("grp").alias(period),
            "praise",
            "criticism",
            "praise_to_criticism",
            "praise_to_criticism_lo",
            pl.col("praise_to_criticism_hi"),
            "ratio_small",
        )
    ).filter(pl.col("praise") + pl.col("criticism") > 0)
    base = alt.Chart(data).encode(x=alt.X(f"{period}:O", title=None, axis=alt.Axis(labelAngle=0)))
    band = base.mark_errorbar(color=PRAISE, opacity=0.5, thickness=2).encode(
        y=alt.Y("praise_to_criticism_lo:Q", title="Praise per criticism"),
        y2="praise_to_criticism_hi:Q",
    )
    line = base.mark_line(color=PRAISE, point=alt.OverlayMarkDef(color=PRAISE, size=50)).encode(
        y="praise_to_criticism:Q",
        tooltip=[
            alt.Tooltip(f"{period}:O"),
            alt.Tooltip("praise_to_criticism:Q", title="ratio", format=".2f"),
            alt.Tooltip("praise_to_criticism_lo:Q", title="95% low", format=".2f"),
            alt.Tooltip("praise_to_criticism_hi:Q", title="95% high", format=".2f"),
            alt.Tooltip("praise:Q"),
            alt.Tooltip("criticism:Q"),
        ],
    )
    layers = [band, line]
    if reference:
        rule = (
            alt.Chart(pl.DataFrame({"reference": [float(reference)]}))
            .mark_rule(color=NEUTRAL, strokeDash=[4, 4])
            .encode(y="reference:Q", tooltip=[alt.Tooltip("reference:Q", format=".1f")])
        )
        layers.append(rule)
    return alt.layer(*layers).properties(height=260, title="Praise-to-criticism ratio")


def action_share(frame: pl.DataFrame, period: str) -> alt.Chart:
    """Share of calls observed / assisted / taken over per period (metrics by period)."""
    long = (
        frame.select(pl.col("grp").alias(period), "observed", "assisted", "took_over", "calls")
        .unpivot(index=[period, "calls"], variable_name="action", value_name="n")
        .with_columns(
            (pl.col("n").cast(pl.Float64) / pl.col("calls").cast(pl.Float64)).alias("share"),
            pl.col("action").replace_strict(ACTION_LABELS).alias("label"),
        )
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X(f"{period}:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("share:Q", title="Share of calls", axis=alt.Axis(format="%")),
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
                alt.Tooltip(f"{period}:O"),
                alt.Tooltip("label:N", title="action"),
                alt.Tooltip("n:Q", title="calls"),
                alt.Tooltip("share:Q", format=".0%"),
            ],
        )
        .properties(height=260, title="What managers did on the call")
    )


def to_svg(chart: alt.TopLevelMixin) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_dict(), allowed_base_urls=[]).encode("utf-8")


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_dict(), scale=scale, allowed_base_urls=[])

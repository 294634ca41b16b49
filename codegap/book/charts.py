"""Altair charts rendered to static SVG with vl-convert.

Why static SVG: Altair's default HTML output loads vega from a CDN and renders
blank offline. An inline SVG needs no JavaScript at all, so the built site
works on a machine with no network and in any browser.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import vl_convert as vlc

from codegap.book.markdown import raw_html, text

VERDICT_COLORS = {
    "holds": "#2e7d32",
    "does not hold": "#c62828",
    "inconclusive": "#9e9e9e",
    "premise not met": "#6a4c93",
    "earlier rule": "#f3e5c0",
    "not run": "#eeeeee",
    "no live check": "#ffffff",
}


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string without any network access."""
    return vlc.vegalite_to_svg(chart.to_dict())


def html_block(chart: alt.TopLevelMixin, caption: str) -> str:
    """A MyST raw-HTML block holding the chart; the caption doubles as alt text.

    vl-convert escapes the data in the SVG it writes; the caption is escaped here.
    """
    return raw_html(f'<figure class="codegap-chart" role="img" aria-label="{text(caption)}">{to_svg(chart)}'
                    f"<figcaption>{text(caption)}</figcaption></figure>")


def metrics_chart(df: pd.DataFrame) -> alt.Chart:
    """Point estimate and 95% interval of each metric, one band per metric, one row per model.

    `df` columns: metric, model, value, ci_low, ci_high, n, verdict.
    """
    y = alt.Y("metric:N", title=None, axis=alt.Axis(labelLimit=260))
    base = alt.Chart(df).encode(y=y, yOffset=alt.YOffset("model:N"),
                                color=alt.Color("model:N", legend=alt.Legend(orient="bottom", title="model")))
    rule = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title="estimate with its 95% interval"), x2="ci_high:Q")
    point = base.mark_point(filled=True, size=70).encode(
        x="value:Q", tooltip=["model", "metric", "value", "ci_low", "ci_high", "n"])
    zero = alt.Chart(df).mark_rule(strokeDash=[4, 3], color="#555").encode(x=alt.datum(0))
    height = alt.Step(max(14, 8 * df["model"].nunique() + 8))
    return alt.layer(zero, rule, point).properties(width=420, height=height)


def history_chart(df: pd.DataFrame) -> alt.Chart:
    """Verdict of every run over time, one row per model (flips show as colour changes)."""
    dates = pd.to_datetime(df["date"], utc=True, format="ISO8601")
    lo = (dates.min() - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    hi = (dates.max() + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    return (
        alt.Chart(df)
        .mark_point(filled=True, size=90, shape="square")
        .encode(
            x=alt.X("date:T", title="run date", scale=alt.Scale(domain=[lo, hi]),
                    axis=alt.Axis(format="%Y-%m-%d", tickCount="day", labelAngle=-30)),
            y=alt.Y("model:N", title=None),
            color=alt.Color(
                "verdict:N",
                scale=alt.Scale(domain=list(VERDICT_COLORS)[:4], range=list(VERDICT_COLORS.values())[:4]),
                legend=alt.Legend(orient="bottom", title="verdict"),
            ),
            tooltip=["model", "date", "verdict", "run_id"],
        )
        .properties(width=420, height=alt.Step(26))
    )


def matrix_chart(df: pd.DataFrame) -> alt.Chart:
    """Claims x models verdict matrix. `df` columns: claim, model, verdict."""
    domain = list(VERDICT_COLORS)
    base = alt.Chart(df).encode(
        x=alt.X("model:N", title=None, axis=alt.Axis(labelAngle=-30, orient="top")),
        y=alt.Y("claim:N", title=None, sort=None),
    )
    cells = base.mark_rect(stroke="#bbb").encode(
        color=alt.Color("verdict:N", scale=alt.Scale(domain=domain, range=list(VERDICT_COLORS.values())),
                        legend=alt.Legend(orient="bottom", title="verdict"))
    )
    text = base.mark_text(fontSize=10).encode(
        text="verdict:N",
        color=alt.condition(
            alt.FieldOneOfPredicate(field="verdict", oneOf=["holds", "does not hold"]),
            alt.value("white"), alt.value("#333"),
        ),
    )
    return (cells + text).properties(width=alt.Step(130), height=alt.Step(24))


def timeline_chart(df: pd.DataFrame) -> alt.Chart:
    """When each claim was dated by its note, and when its primary papers appeared.

    `df` columns: claim, date, kind ("claim date (note)" / "primary paper"), label.
    """
    return (
        alt.Chart(df)
        .mark_point(filled=True, size=80)
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("claim:N", title=None, sort=None),
            shape=alt.Shape("kind:N", legend=alt.Legend(orient="bottom", title=None)),
            color=alt.Color("kind:N", legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["claim", "kind", "label", alt.Tooltip("date:T", format="%Y-%m-%d")],
        )
        .properties(width=520, height=alt.Step(22))
    )


def scale_chart(df: pd.DataFrame) -> alt.Chart:
    """Each claim's key metric (with its interval) against model size; one panel per claim.

    `df` columns: claim, metric, model, parameters_b, value, ci_low, ci_high, verdict.
    """
    df = df.assign(panel=df["claim"] + ": " + df["metric"])  # say which metric each panel plots
    sizes = sorted(df["parameters_b"].unique())
    # ticks only at the sizes run (a default log axis labels 0.1..10 and crowds 0.3/0.4), on a
    # domain just around them, and an axis on every panel: faceted, Vega-Lite draws it on the
    # bottom row only, so an upper panel's points could not be read off
    base = alt.Chart(df).encode(
        x=alt.X("parameters_b:Q", title="parameters (billions, log scale)",
                scale=alt.Scale(type="log", domain=[sizes[0] / 1.5, sizes[-1] * 1.5]),
                axis=alt.Axis(values=sizes, format="~g", grid=False)),
        color=alt.Color("verdict:N", scale=alt.Scale(domain=list(VERDICT_COLORS)[:4],
                                                      range=list(VERDICT_COLORS.values())[:4]),
                        legend=alt.Legend(orient="bottom", title="verdict")),
    )
    bars = base.mark_rule(strokeWidth=2).encode(y=alt.Y("ci_low:Q", title="rule metric, 95% interval"),
                                                y2="ci_high:Q")
    points = base.mark_point(filled=True, size=70).encode(
        y="value:Q", tooltip=["claim", "metric", "model", "value", "ci_low", "ci_high", "verdict"])
    line = base.mark_line(color="#888", strokeDash=[3, 3]).encode(y="value:Q", detail="claim:N")
    chart = alt.layer(line, bars, points).properties(width=230, height=150)
    if df["claim"].nunique() > 1:
        return (chart.facet(facet=alt.Facet("panel:N", title=None), columns=2)
                .resolve_scale(y="independent").resolve_axis(x="independent"))
    return chart

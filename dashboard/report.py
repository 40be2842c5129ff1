"""``ruche report``: the overview as one self-contained HTML file, for sponsors who read e-mail.

The charts are drawn as SVG inside the file (:func:`static_chart`), so it opens offline and as
an attachment, weighs well under 1 MB and reads on a phone. Every data-derived string is
HTML-escaped; the charts escape theirs (``charts.safe``).
"""

from __future__ import annotations

import argparse
import html
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from dashboard import charts, summary
from dashboard.format import count, pct, points
from metrics import bases, headlines
from metrics.cli import Stored
from metrics.figures import Query, figure
from ruche import store
from ruche.cli import add_db_option
from ruche.config import Settings
from ruche.errors import RucheError
from ruche import i18n
from ruche.i18n import _, ngettext, number, period_label as label, term

#: On track, rising: the dashboard's green (``st.metric``'s), beside its accent and silo colours.
UP = "#1e8449"

STYLE = f"""
* {{ box-sizing: border-box; }}
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 1.5rem auto;
       max-width: 1100px; padding: 0 .8rem; overflow-wrap: break-word; }}
h1 {{ margin-bottom: .2rem; font-size: 1.6rem; }} h2 {{ border-bottom: 2px solid {charts.ACCENT}; font-size: 1.2rem; }}
.sub {{ color: #666; margin-top: 0; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); gap: .8rem; margin: 1.2rem 0; }}
.card {{ border: 1px solid #e5e5e5; border-top: 4px solid {charts.ACCENT}; border-radius: 8px; padding: .7rem .9rem; }}
.card .label {{ color: #555; font-size: .9rem; }} .card .value {{ font-size: 2rem; }}
.card .delta {{ font-size: .9rem; }} .up {{ color: {UP}; }} .down {{ color: {charts.SILO}; }}
.card .target, .card .meaning {{ color: #666; font-size: .8rem; margin-top: .4rem; }}
.chart svg {{ max-width: 100%; height: auto; display: block; }} .chart h3 {{ font-size: 1rem; margin-bottom: .3rem; }}
.chart .narrow {{ display: none; }}
@media (max-width: 600px) {{ .chart .wide {{ display: none; }} .chart .narrow {{ display: block; }} }}
.roadmap {{ padding-left: 1.1rem; font-size: .9rem; }} .roadmap li {{ margin: .3rem 0; }}
.behind {{ color: {charts.SILO}; }} .on {{ color: {UP}; }}
.reading {{ color: #444; }} footer {{ color: #888; font-size: .8rem; margin-top: 2rem; }}
"""

def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_option(parser)
    parser.add_argument("--out", required=True, metavar=_("FILE.html"), help=_("file to write"))
    parser.add_argument("--from", dest="start", type=date.fromisoformat, metavar=_("DATE"),
                        help=_("first day (YYYY-MM-DD; default: the first day of data)"))
    parser.add_argument("--to", dest="end", type=date.fromisoformat, metavar=_("DATE"),
                        help=_("last day (YYYY-MM-DD; default: the last day of data)"))
    parser.add_argument("--by", default="department", metavar=_("ATTRIBUTE"),
                        help=_("groups of the adoption curves (default department)"))
    parser.add_argument("--period", default="month", choices=["week", "month", "quarter"])
    from metrics.cli import add_attribution_option

    add_attribution_option(parser)
    parser.epilog = _("example:\n  ruche report --out adoption-2026-10.html --from 2026-01-01 --to 2026-10-31")


def silo_settings(settings: Settings) -> dict:
    """The silos' settings, as the metrics command passes them."""
    return {"silo_threshold": settings.silo_threshold, "silo_min_ties": settings.silo_min_ties,
            "silo_min_ties_per_person": settings.silo_min_ties_per_person}


def render(con, settings: Settings, by: str = "department", period: str = "month",
           start: date | None = None, end: date | None = None, attribution: str | None = None) -> str:
    """The report's HTML (``attribution``: the groups people are counted in; default: the setting's)."""

    query = Query("participation", by=by, period=period, start=start, end=end,
                  min_group_size=settings.min_group_size, attribution=attribution or settings.attribution)
    source = Stored(con)  # what the load stored, where it gives the figures computed live
    o = headlines.overview(source, query, settings.targets, settings.phases, silo_settings(settings))
    partial = o.partial  # the periods the data, or the range asked for, holds only part of
    if o.trend.rows.is_empty():
        raise RucheError(_("nothing to report: the store holds no activity in this range"))
    last = o.last()
    cards = []
    for h in o.headlines:
        delta = points(h.delta)
        delta = delta and delta.replace(" pts", " percentage points")  # no abbreviation a sponsor must guess
        cls = "" if not h.delta else ("up" if h.delta > 0 else "down")
        cards.append(
            f'<div class="card"><div class="label">{html.escape(h.label)}</div>'
            f'<div class="value">{pct(h.value)}</div>'
            + (f'<div class="delta {cls}">' + html.escape(_("{delta} against the period before").format(delta=delta))
               + '</div>' if delta else "")
            + (f'<div class="target">' + html.escape(_("in {period}").format(period=label(h.period))
                                                     + (_(" (partial)") if h.partial else "")) + '</div>'
               if h.period and h.period != last["period"] else "")
            + (f'<div class="target">{html.escape(summary.target_line(h.target))}</div>' if h.target else "")
            + f'<div class="meaning">{html.escape(plain(h.help, by))}</div>'
            + "</div>"
        )
    trend = o.trend.rows
    figures = [charts.mark_partial(charts.participation_trend(trend, charts.trend_title(trend, partial=partial)),
                                   partial)]
    readings = [_("In {period}, {active} of {headcount} people took part and {contributors} wrote something "
                  "({rate}).").format(period=label(last["period"]), active=count(last["active"]),
                                      headcount=count(last["headcount"]), contributors=count(last["contributors"]),
                                      rate=pct(last["contribution_rate"]))]
    cut = sorted(partial)
    if cut:
        readings[0] += " " + ngettext(
            "{periods} is covered only in part by the data: marked on the chart, and no figure above is read from it.",
            "{periods} are covered only in part by the data: marked on the chart, and no figure above is read from it.",
            len(cut)).format(periods=", ".join(label(p) for p in cut))
    reading = o.curves_reading()
    if reading:
        low, high = reading
        figures.append(charts.mark_partial(charts.adoption_curves(
            o.curves.rows, by, settings.phases,
            _("{high} leads adoption at {high_rate}, {low} trails at {low_rate} in {period}").format(
                high=charts.safe(high[by]), high_rate=pct(high["participation_rate"]), low=charts.safe(low[by]),
                low_rate=pct(low["participation_rate"]), period=label(high["period"]))), partial))
        readings.append(_("By {by}, participation in {period} ranges from {low_rate} ({low}) to {high_rate} ({high}).").format(
            by=term(by), period=label(high["period"]), low_rate=pct(low["participation_rate"]), low=low[by],
            high_rate=pct(high["participation_rate"]), high=high[by]))
    blocks = []
    for fig, text in zip(figures, readings):
        blocks.append(f'<div class="chart">{static_chart(fig)}</div>')
        blocks.append(f'<p class="reading">{html.escape(text)}</p>')
    roadmap = roadmap_table(con, settings, query)
    first, last_period = label(trend["period"][0]), label(trend["period"][-1])
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sub = _("{first} to {last} · headcount {headcount}\n(people employed in {period}) · groups of fewer than {k} "
            "people are never shown").format(first=html.escape(first), last=html.escape(last_period),
                                             headcount=count(last["headcount"]), period=html.escape(label(last["period"])),
                                             k=settings.min_group_size)
    title = html.escape(_("Adoption report {period}").format(period=last_period))
    heading = html.escape(_("Adoption of the enterprise social network"))
    covers = html.escape(_("Covers: {covers}").format(covers=o.trend.covers))
    footer = html.escape(_("Ruche adoption report, made {made}. Every figure follows the definitions in "
                           "docs/metrics.md.").format(made=made))
    return f"""<!doctype html>
<html lang="{i18n.current()}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body>
<h1>{heading}</h1>
<p class="sub">{sub}</p>
<p class="sub">{covers}</p>
<div class="cards">{''.join(cards)}</div>
{''.join(blocks)}
{roadmap}
<footer>{footer}</footer>
</body></html>
"""


def plain(meaning: str, by: str) -> str:
    """A headline's meaning in the report's words: the groups named by what they are.

    >>> plain("Share of the interactions that link two different groups of the group-by attribute.", "site")
    'Share of the interactions that link two different groups (each site a group).'
    """
    return meaning.replace("groups of the group-by attribute", f"groups (each {by} a group)")


def static_chart(fig) -> str:
    """The chart as inline SVG, drawn by plotly through kaleido and a local Chromium: a few tens of
    kilobytes where plotly.js would weigh 5 MB. Twice: for a wide screen, and for a phone (390 px:
    legend below, type that stays legible), the CSS showing one; the title, above both, is the
    page's own text and wraps. Without a browser to draw with, a note says so (the figures stay in
    the cards and readings)."""
    title = fig.layout.title.text or ""  # made of charts.safe() pieces: markup already escaped
    fig.update_layout(template=charts.REPORT_TEMPLATE, title=None, margin=dict(t=20))
    try:
        wide = fig.to_image(format="svg", width=900, height=440).decode("utf-8")
        fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25, x=0), margin=dict(t=10, l=10, r=10, b=10),
                          font=dict(size=12), xaxis=dict(title=None, tickangle=-60, automargin=True))
        narrow = fig.to_image(format="svg", width=370, height=360 + 21 * len(fig.data)).decode("utf-8")
    except Exception as exc:  # kaleido missing, or no Chromium for it to start
        return (f'<h3>{title}</h3><p class="reading">' + html.escape(_(
            "Chart not drawn ({error}): drawing needs kaleido and Chromium (docs/dashboard.md#the-report).").format(
                error=type(exc).__name__)) + "</p>")
    # plotly's SVG carries a viewBox: the CSS scales it to the screen's width
    return (f'<h3>{title}</h3><div class="wide">{wide[wide.index("<svg"):]}</div>'
            f'<div class="narrow">{narrow[narrow.index("<svg"):]}</div>')


def roadmap_table(con, settings: Settings, query: Query) -> str:
    """Each group's targets, actual against expected, with its roadmap phase."""
    if not settings.targets and not settings.phases:
        return ""
    fig = figure(Stored(con), query.but(measure="targets", extra={"targets": settings.targets,
                                                                "phases": settings.phases}))
    by = query.by
    head = ("<h2>" + html.escape(_("Roadmap")) + "</h2><p class=\"sub\">" + html.escape(_(
        "Each {by}'s target against the rate expected by now on the straight line from its start to its due date, "
        "and its phase (pilot, rollout, generalised).").format(by=term(by))) + "</p>")
    if fig.rows.is_empty():
        phases = fig.frame("phases")
        if phases.is_empty():
            return ""
        none = _("no phase")
        items = "".join(f"<li><b>{html.escape(str(g))}</b>: {html.escape(term(p) if p else none)}</li>"
                        for g, p in phases.sort(by).iter_rows())
        return head + f"<ul class=\"roadmap\">{items}</ul>"
    rows = []
    for r in fig.rows.sort([by, "target"]).iter_rows(named=True):
        if r["actual"] is None:
            verdict = _("no figure (under the minimum group size, or no complete period yet)")
        else:
            verdict = _("on track") if r["on_track"] else _("behind by {points} points").format(
                points=number(abs(100 * r["gap"])))
        rows.append(
            f"<li><b>{html.escape(str(r[by]))}</b>{' (' + html.escape(term(r['phase'])) + ')' if r['phase'] else ''}: "
            + html.escape(_("{metric} {value} by {due}; ").format(metric=term(r["metric"]), value=pct(r["value"]), due=r["due"]))
            + (html.escape(_("{actual} in {period} against {expected} expected, ").format(
                actual=pct(r["actual"]), period=label(str(r["period"])), expected=pct(r["expected"])))
               if r["actual"] is not None else "")
            + f"<span class=\"{'on' if r['on_track'] else 'behind'}\">{verdict}</span></li>")
    return head + f"<ul class=\"roadmap\">{''.join(rows)}</ul>"


def run(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.cli import check_range

    con = store.connect(settings.db, read_only=True)
    try:
        if args.start or args.end:  # an empty store says "nothing to report" below
            check_range(con, args.start, args.end)
        with bases.freshness_held(con):  # whether the bases describe the store, read once for every figure
            page = render(con, settings, by=args.by, period=args.period, start=args.start, end=args.end,
                          attribution=getattr(args, "attribution", None))
    finally:
        con.close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    print(_("Report written to {path} ({size} MB)").format(path=out, size=number(out.stat().st_size / 1e6)),
          file=sys.stderr)
    return 0

"""``ruche report``: the overview as one self-contained HTML file, for sponsors who read e-mail.

The file carries its own copy of plotly.js, so it opens offline and as an attachment. Every
data-derived string is HTML-escaped; the charts escape theirs (``charts.safe``).
"""

from __future__ import annotations

import argparse
import html
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from dashboard import charts, summary
from dashboard.format import count, pct, points
from metrics import headlines
from metrics.figures import Live, Query
from ruche import store
from ruche.cli import add_db_option
from ruche.config import Settings
from ruche.errors import RucheError

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } .sub { color: #666; margin-top: 0; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 1rem; margin: 1.5rem 0; }
.card { border: 1px solid #e5e5e5; border-radius: 8px; padding: .8rem 1rem; }
.card .label { color: #555; font-size: .9rem; } .card .value { font-size: 2rem; }
.card .delta { font-size: .9rem; } .up { color: #1e8449; } .down { color: #c0392b; }
.card .target { color: #666; font-size: .8rem; margin-top: .4rem; }
.reading { color: #444; } footer { color: #888; font-size: .8rem; margin-top: 2rem; }
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_option(parser)
    parser.add_argument("--out", required=True, metavar="FILE.html", help="file to write")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, metavar="DATE",
                        help="first day (YYYY-MM-DD; default: the first day of data)")
    parser.add_argument("--to", dest="end", type=date.fromisoformat, metavar="DATE",
                        help="last day (YYYY-MM-DD; default: the last day of data)")
    parser.add_argument("--by", default="department", help="groups of the adoption curves (default department)")
    parser.add_argument("--period", default="month", choices=["week", "month", "quarter"])
    parser.epilog = "example:\n  ruche report --out adoption-2026-10.html --from 2026-01-01 --to 2026-10-31"


def silo_settings(settings: Settings) -> dict:
    """The silos' settings, as the metrics command passes them."""
    return {"silo_threshold": settings.silo_threshold, "silo_min_ties": settings.silo_min_ties,
            "silo_min_ties_per_person": settings.silo_min_ties_per_person}


def render(con, settings: Settings, by: str = "department", period: str = "month",
           start: date | None = None, end: date | None = None) -> str:
    """The report's HTML."""

    query = Query("participation", by=by, period=period, start=start, end=end,
                  min_group_size=settings.min_group_size)
    o = headlines.overview(Live(con), query, settings.targets, settings.phases, silo_settings(settings))
    partial = o.partial  # the periods the data, or the range asked for, holds only part of
    if o.trend.rows.is_empty():
        raise RucheError("nothing to report: the store holds no activity in this range")
    last = o.last()
    cards = []
    for h in o.headlines:
        delta = points(h.delta)
        cls = "" if not h.delta else ("up" if h.delta > 0 else "down")
        cards.append(
            f'<div class="card" title="{html.escape(h.help)}"><div class="label">{html.escape(h.label)}</div>'
            f'<div class="value">{pct(h.value)}</div>'
            + (f'<div class="delta {cls}">{html.escape(delta)} against the period before</div>' if delta else "")
            + (f'<div class="target">in {html.escape(h.period)}{" (partial)" if h.partial else ""}</div>'
               if h.period and h.period != last["period"] else "")
            + (f'<div class="target">{html.escape(summary.target_line(h.target))}</div>' if h.target else "")
            + "</div>"
        )
    trend = o.trend.rows
    figures = [charts.mark_partial(charts.participation_trend(trend, charts.trend_title(trend, partial=partial)),
                                   partial)]
    readings = [f"In {last['period']}, {count(last['active'])} of {count(last['headcount'])} people took part "
                f"and {count(last['contributors'])} wrote something ({pct(last['contribution_rate'])})."]
    cut = sorted(partial)
    if cut:
        readings[0] += (f" {', '.join(cut)} {'is' if len(cut) == 1 else 'are'} covered only in part by the data: "
                        "marked on the chart, and no figure above is read from it.")
    reading = o.curves_reading()
    if reading:
        low, high = reading
        figures.append(charts.mark_partial(charts.adoption_curves(
            o.curves.rows, by, settings.phases,
            f"{charts.safe(high[by])} leads adoption at {pct(high['participation_rate'])}, "
            f"{charts.safe(low[by])} trails at {pct(low['participation_rate'])} in {high['period']}"), partial))
        readings.append(f"By {by}, participation in {high['period']} ranges from {pct(low['participation_rate'])} "
                        f"({low[by]}) to {pct(high['participation_rate'])} ({high[by]}).")
    blocks = []
    for i, (fig, text) in enumerate(zip(figures, readings)):
        fig.update_layout(template=charts.REPORT_TEMPLATE)
        blocks.append(fig.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False,
                                  config={"displaylogo": False}))
        blocks.append(f'<p class="reading">{html.escape(text)}</p>')
    first, last_period = trend["period"][0], trend["period"][-1]
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Adoption report {html.escape(last_period)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body>
<h1>Adoption of the enterprise social network</h1>
<p class="sub">{html.escape(first)} to {html.escape(last_period)} · headcount {count(last['headcount'])}
(people employed in {html.escape(last['period'])}) · groups of fewer than {settings.min_group_size} people are never shown</p>
<p class="sub">Covers: {html.escape(o.trend.covers)}</p>
<div class="cards">{''.join(cards)}</div>
{''.join(blocks)}
<footer>Ruche adoption report, made {made}. Every figure follows the definitions in docs/metrics.md.</footer>
</body></html>
"""


def run(args: argparse.Namespace, settings: Settings) -> int:
    from metrics.cli import check_range

    con = store.connect(settings.db, read_only=True)
    try:
        if args.start or args.end:  # an empty store says "nothing to report" below
            check_range(con, args.start, args.end)
        page = render(con, settings, by=args.by, period=args.period, start=args.start, end=args.end)
    finally:
        con.close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    print(f"Report written to {out} ({out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0

"""``ruche metrics NAME``: compute one metric over the store and print it.

``table`` is for a terminal, ``csv`` (the rows only) for a spreadsheet, ``json`` for scripts:
one object ``{"metric", "params", "rows", "suppressed_groups", ...}`` whose further keys are the
metric's organisation-wide figures (docs/metrics.md lists them for each metric). The JSON keys,
their order and the column names are a contract: ``tests/test_metrics_cli.py`` holds it in golden
files.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date, datetime
from typing import Any, TextIO

import polars as pl

from metrics import registry
from metrics.bases import ATTRIBUTIONS
from metrics.figures import Live, Query, figure
from metrics.groups import GRAINS, GROUP_ATTRIBUTES
from metrics.hierarchy import BY as HIERARCHY_BY
from metrics.registry import MetricParams, MetricResult
from ruche.errors import RucheError
from ruche.i18n import _

FORMATS = ("table", "csv", "json")

#: Settings handed to the metrics that use them (through ``MetricParams.extra``).
METRIC_SETTINGS = (
    "superuser_share", "silo_threshold", "silo_min_ties", "silo_min_ties_per_person", "inactive_participation",
    "inactive_days", "inactive_drop_points",
    "targets", "phases",
)

EXAMPLES = """\
examples:
  ruche metrics participation --by site --period quarter
  ruche metrics inequality --from 2026-01-01 --to 2026-06-30 --format json
  ruche metrics inactive-teams --format csv > teams.csv
  ruche metrics group-graph --by department --group Sales --format json
  ruche metrics hierarchy --by hierarchy_level --level 2
  ruche metrics managers-as-relays --period quarter
"""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a date (YYYY-MM-DD): {text!r}").format(text=text)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ruche.cli import add_db_option

    names = registry.names()
    parser.epilog = "metrics:\n" + "\n".join(
        f"  {name:<16}{registry.METRICS[name][1]}" for name in names
    ) + "\n\n" + EXAMPLES
    parser.add_argument("name", metavar="NAME", choices=names, help="the metric (listed below)")
    add_db_option(parser)
    parser.add_argument(
        "--by", choices=list(GROUP_ATTRIBUTES) + list(HIERARCHY_BY), metavar="ATTRIBUTE",
        help=f"directory attribute to break down by: {', '.join(GROUP_ATTRIBUTES)} (default: department; "
        "team for inactive-teams, organisation for leadership and frontline); hierarchy: "
        "reports_to (default: an organisation and its sub-organisations, --group the leader's pseudonym) "
        "or hierarchy_level (every organisation of --level)",
    )
    parser.add_argument(
        "--group", metavar="NAME",
        help="one group of --by: its rows only (group-graph: the group and the groups it has ties with); "
        "a group under the minimum size has none",
    )
    parser.add_argument(
        "--period", choices=list(GRAINS), default=None,
        help="period of time series (default: month; silos: the whole window unless --period is given)",
    )
    parser.add_argument("--from", dest="start", type=_date, metavar="DATE", help="first day (default: the data's first)")
    parser.add_argument("--to", dest="end", type=_date, metavar="DATE", help="last day (default: the data's last)")
    parser.add_argument(
        "--min-group-size", type=int, metavar="K",
        help="leave out groups of fewer than K people (default: the min_group_size setting, 5; at least 1)",
    )
    parser.add_argument(
        "--level", type=int, metavar="N",
        help="hierarchy --by hierarchy_level: the level (0: the top, 1: the N-1 organisations; default: 1)",
    )
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    add_attribution_option(parser)
    network = parser.add_argument_group("network metrics")
    network.add_argument("--out", metavar="FILE", help="group-graph: also write the graph to FILE (.graphml or .gexf, for Gephi)")
    network.add_argument("--top", type=int, metavar="N", help="bridges: how many top spanners to list (default: 10)")
    network.add_argument("--seed", type=int, metavar="N", help="communities, bridges: random seed (default: 1)")
    network.add_argument(
        "--names", metavar="DIRECTORY_CSV",
        help="bridges, for an administrator: name the top spanners from this directory file and the key, "
        "in memory (its email and name columns); names are never stored",
    )


def add_attribution_option(parser: argparse.ArgumentParser) -> None:
    """``--attribution``: the groups figures put people in (``ruche metrics``, ``ruche report``)."""
    parser.add_argument(
        "--attribution", choices=list(ATTRIBUTIONS), default=None,
        help="as-it-was: each activity in the groups its author held on its day, each period's headcount "
        "in the groups held during it; today: the past restated in today's organisation "
        "(default: the attribution setting, as-it-was)",
    )


def query_from(args: argparse.Namespace, settings: Any) -> Query:
    """The :class:`metrics.figures.Query` the command line asks."""
    params = params_from(args, settings)
    group = getattr(args, "group", None)
    if group is not None and params.by == "organisation":
        raise RucheError(_("--group needs --by: the attribute the group is a value of"))
    if params.by in HIERARCHY_BY and args.name != "hierarchy":
        raise RucheError(_("--by {by} is a view of the reporting tree: ruche metrics hierarchy --by {by} "
                           "(--group the leader's pseudonym; --level N for hierarchy_level)").format(by=params.by))
    return Query(args.name, params.by, group, params.period, params.start, params.end, params.min_group_size,
                 params.extra, attribution=getattr(args, "attribution", None) or settings.attribution)


def params_from(args: argparse.Namespace, settings: Any) -> MetricParams:
    k = args.min_group_size if args.min_group_size is not None else settings.min_group_size
    if k < 1:
        raise RucheError(_("--min-group-size must be at least 1, got {k}").format(k=k))
    if args.start and args.end and args.start > args.end:
        raise RucheError(_("--from {start} is after --to {end}").format(start=args.start, end=args.end))
    registry.names()
    extra = {name: getattr(settings, name) for name in METRIC_SETTINGS}
    period = getattr(args, "period", None)
    extra["per_period"] = period is not None
    for option in ("out", "top", "seed", "names", "level"):
        if getattr(args, option, None) is not None:
            extra[option] = getattr(args, option)
    if "names" in extra:
        extra["key_file"] = settings.key_file
    return MetricParams(
        by=args.by or registry.DEFAULT_BY.get(args.name, "department"),
        period=period or "month",
        start=args.start,
        end=args.end,
        min_group_size=k,
        extra=extra,
    )


def _plain(value: Any) -> Any:
    """``value`` made of JSON types only: frames become lists of objects, dates ISO strings."""
    if isinstance(value, pl.DataFrame):
        return [_plain(row) for row in value.to_dicts()]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(name: str, params: MetricParams, result: MetricResult, group: str | None = None) -> dict:
    """The JSON document of a result (the documented contract); ``group``: the one asked for
    (``params.group``, only then)."""
    document = {
        "metric": name,
        "params": {
            "by": params.by,
            **({"group": group} if group is not None else {}),
            "period": params.period,
            "from": params.start,
            "to": params.end,
            "min_group_size": params.min_group_size,
        },
        "rows": result.rows,
        "suppressed_groups": result.suppressed_groups,
    }
    for key, value in result.extra.items():
        document.setdefault(key, value)
    return _plain(document)


def write_table(name: str, params: MetricParams, result: MetricResult, out: TextIO, covers: str | None = None) -> None:
    span = f"{params.start or 'first day'} to {params.end or 'last day'}"
    print(f"{name} by {params.by}, per {params.period}, {span}", file=out)
    if covers:
        print(f"covers: {covers}", file=out)
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_hide_dataframe_shape=True, tbl_width_chars=240, fmt_str_lengths=60):
        print(result.rows, file=out)
        for key, value in result.extra.items():
            if isinstance(value, pl.DataFrame):
                print(f"\n{key}:", file=out)
                print(value, file=out)
            elif key == "covers" and isinstance(value, dict):  # the days of the window, said once in words
                print(f"window: {_plain(value.get('from'))} to {_plain(value.get('to'))}", file=out)
            else:
                print(f"{key}: {_plain(value)}", file=out)
    print(
        f"suppressed groups: {result.suppressed_groups} (groups of fewer than {params.min_group_size} people, "
        "and the smallest others when needed so that none can be recovered)",
        file=out,
    )


def check_range(con, start: date | None, end: date | None) -> str | None:
    """Refuse a range that holds no day of the data: its figures would be an empty table that
    reads like "nothing happened" rather than "nothing is known". Without a range, a store with
    no activity yet answers its (empty) figures: the note returned says why they are empty."""
    from metrics.status import status

    s = status(con)
    first = s["first_activity"].date() if s["first_activity"] else None
    last = s["last_activity"].date() if s["last_activity"] else None
    if first is None:
        if start or end:
            raise RucheError(_("no data in this range: the store holds no activity yet"))
        return _("the store holds no activity yet: load exports with `ruche ingest` first")
    if (start and start > last) or (end and end < first):
        asked = _("{start} to {end}").format(start=start or _("the first day"), end=end or _("the last day"))
        raise RucheError(_("no data from {asked}: the store's activity runs from {first} to {last}").format(
            asked=asked, first=first, last=last))
    return None


def run(args: argparse.Namespace, settings: Any, out: TextIO | None = None) -> int:
    from ruche.store import connect

    out = out or sys.stdout
    query = query_from(args, settings)
    params = query.params
    con = connect(settings.db, read_only=True)
    try:
        empty = check_range(con, params.start, params.end)
        fig = figure(Live(con), query)
        covers = fig.covers if args.format == "table" else None
    finally:
        con.close()
    # the rows of the group asked for; the organisation-wide figures stay the organisation's
    result = MetricResult(rows=fig.rows, suppressed_groups=fig.suppressed_groups, extra=fig.extra)
    if args.format == "json":
        json.dump(to_json(args.name, params, result, query.group), out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        out.write(result.rows.write_csv())
        if result.extra.get("note"):
            print(_("ruche metrics: note: {note}").format(note=result.extra['note']), file=sys.stderr)
    else:
        write_table(args.name, params, result, out, covers)
    if fig.hidden:
        print(_("ruche metrics: note: {scope} has no row: under the minimum size of {k} people (or nobody of it "
                "counted) over the range").format(scope=query.scope, k=query.min_group_size), file=sys.stderr)
    for wider in fig.wider if args.format != "table" else ():
        print(_("ruche metrics: note: {note}").format(note=wider), file=sys.stderr)
    if empty:
        print(_("ruche metrics: note: {note}").format(note=empty), file=sys.stderr)
    return 0

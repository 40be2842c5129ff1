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

from dataclasses import replace

from metrics import bases, registry
from metrics.bases import AS_IT_WAS, ATTRIBUTION_WORDS, ATTRIBUTIONS
from metrics.figures import IN_WORDS, STORED_WORDS, Live, Query, figure
from metrics.groups import GRAINS, GROUP_ATTRIBUTES
from metrics.hierarchy import BY as HIERARCHY_BY
from metrics.registry import MetricParams, MetricResult
from ruche.errors import RucheError
from ruche import i18n
from ruche.i18n import N_, _

FORMATS = ("table", "csv", "json")

#: Settings handed to the metrics that use them (through ``MetricParams.extra``).
METRIC_SETTINGS = (
    "superuser_share", "silo_threshold", "silo_min_ties", "silo_min_ties_per_person", "inactive_participation",
    "inactive_days", "inactive_drop_points",
    "targets", "phases",
)

EXAMPLES = N_("""\
examples:
  ruche metrics participation --by site --period quarter
  ruche metrics inequality --from 2026-01-01 --to 2026-06-30 --format json
  ruche metrics inactive-teams --format csv > teams.csv
  ruche metrics group-graph --by department --group Sales --format json
  ruche metrics hierarchy --by hierarchy_level --level 2
  ruche metrics managers-as-relays --period quarter
""")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a date (YYYY-MM-DD): {text!r}").format(text=text)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ruche.cli import add_db_option

    names = registry.names()
    width = max(16, *(len(name) + 2 for name in names))
    parser.epilog = _("metrics:") + "\n" + "\n".join(
        f"  {name:<{width}}{_(registry.METRICS[name][1])}" for name in names
    ) + "\n\n" + _(EXAMPLES)
    parser.add_argument("name", metavar=_("NAME"), choices=names, help=_("the metric (listed below)"))
    add_db_option(parser)
    parser.add_argument(
        "--by", choices=list(GROUP_ATTRIBUTES) + list(HIERARCHY_BY), metavar=_("ATTRIBUTE"),
        help=_("directory attribute to break down by: {attributes} (default: department; "
               "team for inactive-teams, organisation for leadership and frontline); hierarchy: "
               "reports_to (default: an organisation and its sub-organisations, --group the leader's pseudonym) "
               "or hierarchy_level (every organisation of --level)").format(attributes=", ".join(GROUP_ATTRIBUTES)),
    )
    parser.add_argument(
        "--group", metavar=_("NAME"),
        help=_("one group of --by: its rows only (group-graph: the group and the groups it has ties with); "
               "a group under the minimum size has none"),
    )
    parser.add_argument(
        "--period", choices=list(GRAINS), default=None,
        help=_("period of time series (default: month; silos: the whole window unless --period is given)"),
    )
    parser.add_argument("--from", dest="start", type=_date, metavar=_("DATE"),
                        help=_("first day (default: the data's first)"))
    parser.add_argument("--to", dest="end", type=_date, metavar=_("DATE"), help=_("last day (default: the data's last)"))
    parser.add_argument(
        "--min-group-size", type=int, metavar="K",
        help=_("leave out groups of fewer than K people (default: the min_group_size setting, 5; at least 1)"),
    )
    parser.add_argument(
        "--level", type=int, metavar="N",
        help=_("hierarchy --by hierarchy_level: the level (0: the top, 1: the N-1 organisations; default: 1)"),
    )
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help=_("output format (default: table; the table speaks the language in use, CSV and "
                               "JSON keep the metric's column names)"))
    add_attribution_option(parser)
    network = parser.add_argument_group(_("network metrics"))
    network.add_argument("--out", metavar=_("FILE"),
                         help=_("group-graph: also write the graph to FILE (.graphml or .gexf, for Gephi)"))
    network.add_argument("--top", type=int, metavar="N", help=_("bridges: how many top spanners to list (default: 10)"))
    network.add_argument("--seed", type=int, metavar="N", help=_("communities, bridges: random seed (default: 1)"))
    network.add_argument(
        "--names", metavar=_("DIRECTORY_CSV"),
        help=_("bridges, for an administrator: name the top spanners from this directory file and the key, "
               "in memory (its email and name columns); names are never stored"),
    )


def add_attribution_option(parser: argparse.ArgumentParser) -> None:
    """``--attribution``: the groups figures put people in (``ruche metrics``, ``ruche report``)."""
    parser.add_argument(
        "--attribution", choices=list(ATTRIBUTIONS), default=None,
        help=_("as-it-was: each activity in the groups its author held on its day, each period's headcount "
               "in the groups held during it; today: the past restated in today's organisation "
               "(default: the attribution setting, as-it-was)"),
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


class Stored(Live):
    """The command line's and the report's source of results: what the load stored, where it gives
    the figures :class:`metrics.figures.Live` computes, as the dashboard reads them
    (``dashboard.data``); else computed on the connection.

    - A result over the whole range the load stored under the same parameters (``m_results``,
      while it describes the store: :func:`metrics.results.lookup`) is read, not computed again.
    - Under today's organisation, a measure whose groups read no attribute someone held on some day
      with another value than now (:func:`metrics.bases.attributes_read`,
      :func:`metrics.bases.restated_attributes`: by site, by the whole organisation...) puts
      everyone in the same groups on every day as it was: its result is the one as it was, said
      of today's (:func:`metrics.bases.restated_as`), when the load stored it, or when it reads
      the stored group ties (:data:`metrics.graph.TIES_MEASURES`), kept for every attribute as it
      was, where today's would be computed from the activities. The other measures are computed
      as asked: today's organisation reads each person's one version, as it was every version.

    ``tests/test_metrics_cli.py`` compares both sources, measure by measure."""

    def __init__(self, con):
        super().__init__(con)
        self._restated: frozenset[str] | None = None
        self._keys: frozenset[str] | None = None

    def result(self, name: str, params: MetricParams) -> MetricResult:
        from metrics.graph import TIES_MEASURES

        asked = bases.attribution_of(params)
        if asked != AS_IT_WAS and bases.restatable(name, asked):
            as_it_was = replace(params, extra={key: value for key, value in params.extra.items() if key != "attribution"})
            # the attributes someone held otherwise are read only when the result as it was would serve
            if ((name in TIES_MEASURES or self._key(name, as_it_was) is not None)
                    and not bases.attributes_read(name, params.by) & self.restated()):
                found = self.stored(name, as_it_was)
                return bases.restated_as(found if found is not None else super().result(name, as_it_was), asked)
        found = self.stored(name, params)
        return found if found is not None else super().result(name, params)

    def _key(self, name: str, params: MetricParams) -> str | None:
        """The key of the result over the whole range the load stored under ``params``, else None."""
        from metrics import results

        if params.start is not None:
            return None
        if self._keys is None:
            self._keys = results.current_keys(self.con)
        period = "month" if results.period_free(name, params.extra) else params.period
        key = results.key(name, params.by, period, params.min_group_size, params.extra, params.end)
        return key if key in self._keys else None

    def stored(self, name: str, params: MetricParams) -> MetricResult | None:
        """The result over the whole range the load stored under ``params``, else None."""
        from metrics import results

        if self._key(name, params) is None:
            return None
        period = "month" if results.period_free(name, params.extra) else params.period
        return results.lookup(self.con, name, replace(params, period=period), self._keys)

    def restated(self) -> frozenset[str]:
        """:func:`metrics.bases.restated_attributes`, read once."""
        if self._restated is None:
            self._restated = bases.restated_attributes(self.con)
        return self._restated


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


#: The columns of the metrics' rows → their heading in a table (``--format table``); CSV and JSON keep
#: the column names, a contract. A column missing here is headed by its name.
HEADINGS = {
    "period": N_("period"), "department": N_("department"), "team": N_("team"), "site": N_("site"),
    "country": N_("country"), "level": N_("level"), "frontline": N_("frontline"), "organisation": N_("organisation"),
    "headcount": N_("headcount"), "active": N_("active"), "contributors": N_("contributors"),
    "participation_rate": N_("participation rate"), "contribution_rate": N_("contribution rate"),
    "stickiness": N_("stickiness"), "retention": N_("retention"),
    "contributors_retained": N_("contributors retained"), "readers_retained": N_("readers retained"),
    "days": N_("days"), "partial": N_("partial period"),
    "spanners": N_("spanners"), "spanner_share": N_("share of spanners"), "reach_1": N_("reach 1 group"),
    "reach_2": N_("reach 2 groups"), "reach_3_plus": N_("reach 3 groups or more"), "groups_reached": N_("groups reached"),
    "community": N_("community"), "source": N_("source"), "kind": N_("kind"), "members": N_("members"),
    "active_members": N_("active members"), "posts": N_("posts"), "replies": N_("replies"),
    "replies_per_thread": N_("replies per thread"), "readers": N_("readers"), "threads": N_("threads"),
    "threads_answered": N_("threads answered"), "answered_share": N_("share of threads answered"),
    "first_reply_median_hours": N_("median hours to first reply"),
    "first_reply_p90_hours": N_("90th percentile (hours)"), "last_contribution": N_("last contribution"),
    "recent_contributions": N_("recent contributions"), "previous_contributions": N_("previous contributions"),
    "trend": N_("trend"), "idle": N_("idle"), "health": N_("health"),
    "part_active": N_("score: active members"), "part_answered": N_("score: threads answered"),
    "part_quick": N_("score: answered within a day"), "part_depth": N_("score: replies per thread"),
    "part_momentum": N_("score: momentum"), "members_reported": N_("members reported"),
    "reads_reported": N_("reads reported"),
    "interactions": N_("interactions"), "external_interactions": N_("interactions with external people"),
    "external_share": N_("external share"),
    "group_a": N_("group A"), "group_b": N_("group B"), "weight": N_("weight"),
    "part": N_("part"), "leader": N_("leader"),
    "rule": N_("rule"), "participation_now": N_("participation now"),
    "participation_before": N_("participation before"), "flagged_since": N_("flagged since"),
    "class": N_("class"), "people": N_("people"), "people_share": N_("share of people"),
    "contributions": N_("contributions"), "contributions_share": N_("share of contributions"),
    "threads_started": N_("threads started"), "threads_replied": N_("threads replied to"),
    "replied_share": N_("share of threads replied to"),
    "new": N_("new"), "continuing": N_("continuing"), "returning": N_("returning"), "lapsed": N_("lapsed"),
    "lapsed_newcomers": N_("lapsed newcomers"),
    "teams_with": N_("teams with"), "teams_without": N_("teams without"),
    "participation_with": N_("participation with"), "participation_without": N_("participation without"),
    "gap": N_("gap"), "gap_low": N_("gap, low"), "gap_high": N_("gap, high"), "teams_left_out": N_("teams left out"),
    "community_size": N_("community size"), "share": N_("share"),
    "report_date": N_("report date"), "period_days": N_("days covered"), "measure": N_("measure"),
    "value": N_("value"), "concealed": N_("concealed"), "covers": N_("covers"),
    "persona": N_("persona"), "population": N_("population"),
    "completeness": N_("completeness"), "has_photo": N_("with a photo"), "has_title": N_("with a title"),
    "has_department": N_("with a department"), "has_location": N_("with a location"),
    "has_manager": N_("with a manager"), "has_about": N_("with an about"),
    "unanswered_share": N_("share of threads unanswered"),
    "internal_ties": N_("internal ties"), "external_ties": N_("external ties"), "ei_index": N_("E-I index"),
    "is_silo": N_("silo"), "ties": N_("ties"), "ties_per_person": N_("ties per person"),
    "cross_silo_share": N_("cross-silo share"), "status": N_("status"),
    "target": N_("target"), "metric": N_("metric"), "phase": N_("phase"), "start": N_("start"), "due": N_("due"),
    "actual": N_("actual"), "expected": N_("expected"), "on_track": N_("on track"),
    "person_id": N_("person"), "betweenness": N_("betweenness"),
    # the organisation-wide figures printed under the rows
    "reads_known": N_("reads known"), "as_of": N_("as of"), "previous_period": N_("previous period"),
    "gini": N_("Gini coefficient"), "contributor_absence_factor": N_("contributor absence factor"),
    "nmi": N_("normalised mutual information"), "communities": N_("communities"), "modularity": N_("modularity"),
    "seed": N_("seed"), "computed_at": N_("computed at"), "data_to": N_("data up to"), "current": N_("up to date"),
    "community_sizes": N_("community sizes"), "groups": N_("groups"), "floor": N_("smallest part shown"),
    "side_floor": N_("smallest side shown"), "idle_days": N_("days without activity before idle"),
    "fast_hours": N_("hours for a quick answer"), "health_parts": N_("health score parts"),
    "top_spanners": N_("top spanners"), "nodes": N_("nodes"), "spaces": N_("spaces"),
    "suppressed_spaces": N_("spaces left out"), "lorenz": N_("Lorenz curve"), "funnel": N_("funnel"),
    "cohorts": N_("cohorts"), "note": N_("note"), "measured_to": N_("measured up to"), "phases": N_("phases"),
}

#: Extras that only say how the covers line words the groups left out: not printed.
UNSAID = {"hidden_unit"}

#: Columns holding a share (0 to 1), written as a percentage in a table.
SHARES = {"participation_rate", "contribution_rate", "stickiness", "retention", "contributors_retained",
          "readers_retained", "spanner_share", "answered_share", "external_share", "participation_now",
          "participation_before", "people_share", "contributions_share", "replied_share", "participation_with",
          "participation_without", "share", "completeness", "has_photo", "has_title", "has_department",
          "has_location", "has_manager", "has_about", "unanswered_share", "cross_silo_share",
          "part_active", "part_answered", "part_quick", "part_depth", "part_momentum"}

#: Columns (and figures) holding a day, which a stored result's extra may keep as its ISO text.
DAYS = {"as_of", "data_to", "measured_to", "report_date", "start", "due", "flagged_since", "last_contribution"}

#: The values of a column that are the product's own codes (a rule, a status), said in words in a table.
VALUES = {
    "rule": {"low_participation": N_("low participation"), "no_contribution": N_("no contribution"),
             "participation_drop": N_("participation drop")},
    "status": {"silo": N_("silo"), "open": N_("open"), "disconnected": N_("too few ties to tell")},
    # the Microsoft 365 reports' totals (organisation-usage)
    "measure": {
        "users": N_("people in the report"), "active_users": N_("active users"), "posters": N_("people who posted"),
        "readers": N_("people who read"), "likers": N_("people who liked"), "posted": N_("messages posted"),
        "read": N_("messages read"), "liked": N_("messages liked"), "deleted_users": N_("deleted users"),
        "mobile_users": N_("users on a phone or tablet"), "desktop_users": N_("users on a computer"),
        "web_users": N_("users on the web"), "windows_phone_users": N_("users on Windows Phone"),
        "android_phone_users": N_("users on Android"), "iphone_users": N_("users on iPhone"),
        "ipad_users": N_("users on iPad"), "other_device_users": N_("users on other devices"),
        "active_groups": N_("active communities"), "memberships": N_("community memberships"),
    },
}

#: Headings a metric gives a column in its own sense (organisation-usage's ``level`` is the scale
#: its figures are at, not the job level).
METRIC_HEADINGS = {"organisation-usage": {"level": N_("figures for")}}

#: Columns whose values are words of the product (a class, a persona, a phase): said in the language in use.
WORDS = {"class", "persona", "phase", "level", "frontline", "status", "rule", "kind", "population", "measure"}


def heading(column: str, metric: str | None = None) -> str:
    """A column's heading in a table, in the language in use (``metric``'s own, where it has one).

    >>> heading("participation_rate"), heading("some_new_column"), heading("level", "organisation-usage")
    ('participation rate', 'some_new_column', 'figures for')
    """
    own = METRIC_HEADINGS.get(metric, {})
    if column in own:
        return _(own[column])
    return _(HEADINGS[column]) if column in HEADINGS else column


def said(column: str, value: Any) -> str:
    """One value of a table as the language in use writes it: shares as percentages, counts and
    decimals with its separators, periods and days in its words, the product's words translated,
    a group's name as it is.

    >>> from ruche.i18n import use
    >>> with use("fr"):
    ...     said("participation_rate", 0.682), said("headcount", 12345), said("period", "2026-10"), said("partial", True)
    ('68,2\xa0%', '12\u202f345', 'oct. 2026', 'oui')
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return i18n.count(value)
    if isinstance(value, float):
        return i18n.pct(value) if column in SHARES else i18n.number(value, 2 if abs(value) < 100 else 1)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, str) and column in DAYS:
        return i18n.day_label(_day(value))
    if isinstance(value, date):
        return i18n.day_label(value)
    if isinstance(value, str):
        if value in VALUES.get(column, ()):
            return _(VALUES[column][value])
        if column == "attribution" and value in ATTRIBUTION_WORDS:
            return _(ATTRIBUTION_WORDS[value])
        if column == "population" and value in IN_WORDS:
            return _(IN_WORDS[value])
        if column in ("period", "period_start", "previous_period"):
            return i18n.period_label(value)
        if value in STORED_WORDS or column == "note":
            return _(value)
        if column in WORDS or column in GROUP_ATTRIBUTES:
            return i18n.term(value)
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(said(column, v) for v in value)
    return str(value)


def readable(frame: pl.DataFrame, metric: str | None = None) -> pl.DataFrame:
    """The rows as a table shows them in a language other than English: every value a string
    (:func:`said`), every column headed in the language (:func:`heading`). English keeps the
    rows as the CSV holds them.

    >>> from ruche.i18n import use
    >>> with use("fr"):
    ...     readable(pl.DataFrame({"department": ["Sales"], "participation_rate": [0.5]})).rows(named=True)
    [{'direction': 'Sales', 'taux de participation': '50,0\xa0%'}]
    """
    columns = {}
    for column in frame.columns:
        name = heading(column, metric)
        while name in columns:  # two columns said alike keep apart
            name += " "
        columns[name] = [said(column, v) for v in frame.get_column(column).to_list()]
    return pl.DataFrame(columns, schema={c: pl.Utf8 for c in columns})


def write_table(name: str, params: MetricParams, result: MetricResult, out: TextIO, covers: str | None = None) -> None:
    english = i18n.current() == i18n.DEFAULT
    start = i18n.day_label(params.start) if params.start else _("first day")
    end = i18n.day_label(params.end) if params.end else _("last day")
    print(_("{metric} by {by}, per {period}, {start} to {end}").format(
        metric=name, by=i18n.term(params.by), period=i18n.term(params.period), start=start, end=end), file=out)
    if covers:
        print(_("covers: {covers}").format(covers=covers), file=out)
    shown = (lambda frame: frame) if english else (lambda frame: readable(frame, name))
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_hide_dataframe_shape=True, tbl_width_chars=240, fmt_str_lengths=60,
                   tbl_hide_column_data_types=not english, tbl_hide_dtype_separator=not english):
        print(shown(result.rows), file=out)
        for key, value in result.extra.items():
            if key in UNSAID and not english:
                continue
            if isinstance(value, pl.DataFrame):
                print(f"\n{key}:" if english else _("\n{heading}:").format(heading=heading(key, name)), file=out)
                print(shown(value), file=out)
            elif key == "covers" and isinstance(value, dict):  # the days of the window, said once in words
                print(_("window: {first} to {last}").format(first=i18n.day_label(_day(value.get("from"))),
                                                             last=i18n.day_label(_day(value.get("to")))), file=out)
            elif english:
                print(f"{key}: {_plain(value)}", file=out)
            else:
                print(_("{heading}: {value}").format(heading=heading(key, name), value=said(key, _plain(value))), file=out)
    n = result.suppressed_groups
    print(_("suppressed groups: {n} (groups of fewer than {k} people, and the smallest others when needed "
            "so that none can be recovered)").format(n=i18n.count(n), k=params.min_group_size), file=out)


def _day(value: Any) -> Any:
    """A day as a stored result's extra may keep it (its ISO text) made a date again."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


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
        with bases.freshness_held(con):  # whether the bases describe the store, read once
            fig = figure(Stored(con), query)
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
            print(_("ruche metrics: note: {note}").format(note=_(result.extra["note"])), file=sys.stderr)
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

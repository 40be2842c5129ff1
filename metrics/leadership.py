"""Leadership exemplarity and the digital divide (METRICS.md, "Teams at risk and leadership").

Both compare the participation of people by one directory attribute, per period: job ``level``
(``executive``, ``manager``, ``staff``) for leadership, with the share of the threads each level
started that got a reply from someone else; ``frontline`` (``frontline`` against ``desk``) for the
digital divide. Either can be broken down further by another attribute (``by``; ``organisation``,
the default, compares the levels over everybody). Levels under the minimum group size are left
out like any group, so an executive committee of four is never shown on its own.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics import bases
from metrics._sql import sql
from metrics.groups import grain as _grain
from metrics.groups import group_columns, group_expression
from metrics.participation import labels, participation_frame, participation_frames, reads_extra
from metrics.population import EMPLOYED_IN_PERIOD
from metrics.suppression import decide_within, decide_within_each
from metrics.measure import MetricParams, MetricResult, register
from ruche.i18n import N_

LEVELS = ["executive", "manager", "staff"]
#: The levels whose participation the Overview calls the leaders'.
LEADER_LEVELS = ["executive", "manager"]


def _compare(
    con: duckdb.DuckDBPyConnection, attribute: str, by: str, period: str,
    start: date | None, end: date | None, min_group_size: int, counted: str | None = None,
    attribution: str = bases.AS_IT_WAS,
) -> tuple[pl.DataFrame, int, list[str], pl.DataFrame]:
    """The suppressed participation per period, ``by`` group and ``attribute``, the number of groups
    left out, the outer group columns and the rows left out (``period``, outer groups, ``attribute``)."""
    outer = [] if by in ("organisation", attribute) else [by]
    frame = participation_frame(con, outer + [attribute], period, start, end, counted, attribution)
    frame = frame.drop("stickiness", "retention", "contributors_retained", "readers_retained")
    # the outer groups hide as participation by them hides them, then the cells inside them
    rows, left_out, hidden = decide_within(frame, outer, attribute, "headcount", min_group_size, within=["period"])
    return rows, left_out, outer, hidden


def leaders(
    con: duckdb.DuckDBPyConnection,
    by: str = "organisation",
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    attribution: str = bases.AS_IT_WAS,
) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """The rows of :func:`leadership` of executives and managers, without the threads: the same
    figures, suppressed alike (over every level), from the activity of those two levels only.

    Returns the rows (``period``, the group column ``by`` unless ``organisation`` or ``level``,
    ``level``, ``headcount``, ``active``, ``contributors``, ``participation_rate``,
    ``contribution_rate``), the number of groups left out (as :func:`leadership`: the levels) and
    the levels left out in each period (``period``, ``level``): each period stands on its own, so
    a range of whole periods is a slice of these (:func:`metrics.results.slice_result`).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, level) "
    ...                 "select i, 'p' || i, case when i <= 6 then 'manager' when i <= 11 then 'executive' "
    ...                 "when i <= 21 then 'staff' end from range(1, 24) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) values "
    ...                 "(1, 'x', '2026-01-05', 1, 'post', 1), (2, 'x', '2026-01-05', 12, 'post', 1)")
    >>> rows, left_out, hidden = leaders(con)
    >>> rows.select("level", "headcount", "active", "contributors").rows(), left_out, hidden.rows()
    ([('manager', 6, 1, 1)], 2, [('2026-01', '(not set)'), ('2026-01', 'executive')])

    The two people without a level are under the minimum size, and the five executives with them.
    """
    return leaders_by(con, [by], period, start, end, min_group_size, attribution)[by]


#: The people :func:`leaders` counts the activity of.
_LEADERS = f"cast({group_expression('level')} as varchar) in ({', '.join(repr(v) for v in LEADER_LEVELS)})"


def leaders_frames(
    con: duckdb.DuckDBPyConnection, bys: list[str], period: str = "month", start: date | None = None,
    end: date | None = None, attribution: str = bases.AS_IT_WAS,
) -> dict[str, pl.DataFrame]:
    """The participation of the levels by each attribute of ``bys`` before any suppression, that
    :func:`leaders_by` decides under a minimum group size: inside every attribute's groups in one
    query (:func:`metrics.participation.participation_frames`), the levels alone (``organisation``,
    ``level``: under the key ``level``) in another; people in their groups under ``attribution``
    (:func:`metrics.bases.people_versions`)."""
    outer = [by for by in bys if by not in ("organisation", "level")]
    frames = participation_frames(con, outer, period, start, end, _LEADERS, inner=["level"],
                                  attribution=attribution) if outer else {}
    if len(outer) < len(bys):
        frames["level"] = participation_frame(con, ["level"], period, start, end, _LEADERS, attribution)
    return frames


def leaders_by(
    con: duckdb.DuckDBPyConnection, bys: list[str], period: str = "month", start: date | None = None,
    end: date | None = None, min_group_size: int = 5, attribution: str = bases.AS_IT_WAS,
    frames: dict[str, pl.DataFrame] | None = None,
) -> dict[str, tuple[pl.DataFrame, int, pl.DataFrame]]:
    """:func:`leaders` by each attribute of ``bys``, from :func:`leaders_frames` (``frames``: those
    read before for the same ``bys``, period, start, end and attribution: the same figures under
    another minimum group size need no other query; or :func:`compared_frames` of ``level``, every
    level's activity read, whose executives' and managers' cells count the same people: what a
    load reads once for the leaders' and the levels')."""
    outer = [by for by in bys if by not in ("organisation", "level")]
    frames = leaders_frames(con, bys, period, start, end, attribution) if frames is None else frames
    out = {}
    for by, (rows, left_out, hidden) in _decided(frames, bys, outer, "level", min_group_size).items():
        out[by] = (rows.filter(pl.col("level").is_in(LEADER_LEVELS)), left_out,
                   hidden.select("period", "level").unique().sort("period", "level"))
    return out


def _decided(frames: dict[str, pl.DataFrame], bys: list[str], outer: list[str], attribute: str,
             min_group_size: int) -> dict[str, tuple[pl.DataFrame, int, pl.DataFrame]]:
    """:func:`metrics.suppression.decide_within` of each attribute of ``bys`` on its frame of
    ``frames`` (:func:`compared_frames`): the cells ``attribute`` inside the groups of each
    attribute of ``outer``, all decided in one pass (:func:`metrics.suppression.decide_within_each`),
    and the cells alone (``organisation``, ``attribute`` itself) in the order of ``bys``."""
    def frame(key: str) -> pl.DataFrame:
        return frames[key].drop("stickiness", "retention", "contributors_retained", "readers_retained")

    inside = decide_within_each({by: frame(by) for by in bys if by in outer}, attribute, "headcount",
                                min_group_size, within=["period"])
    return {by: inside[by] if by in outer else
            decide_within(frame(attribute), [], attribute, "headcount", min_group_size, within=["period"])
            for by in bys}


def compared_by(
    con: duckdb.DuckDBPyConnection, attribute: str, bys: list[str], period: str = "month",
    start: date | None = None, end: date | None = None, min_group_size: int = 5,
    attribution: str = bases.AS_IT_WAS, frames: dict[str, pl.DataFrame] | None = None,
) -> dict[str, tuple[pl.DataFrame, int, pl.DataFrame]]:
    """The rows of :func:`_compare` of ``attribute`` (``level``, ``frontline``) by each attribute
    of ``bys``, the number of its values left out, and its values left out in each period
    (``period``, ``attribute``): inside every attribute's groups in one query
    (:func:`metrics.participation.participation_frames`), the attribute alone (``organisation``,
    or ``attribute`` itself) in another; the same figures as :func:`_compare` by each, decided
    alike. What a load stores of :func:`levels` and :func:`frontline` (``frames``: those read
    before for the same ``bys``, period, start, end and attribution). Each period stands on its own,
    so a range of whole periods is a slice of these (:func:`metrics.results.slice_result`)."""
    outer = [by for by in bys if by not in ("organisation", attribute)]
    frames = compared_frames(con, attribute, bys, period, start, end, attribution) if frames is None else frames
    out = {}
    for by, (rows, left_out, hidden) in _decided(frames, bys, outer, attribute, min_group_size).items():
        groups = [by] if by in outer else []
        if attribute == "level":
            rows = rows.sort(["period", *groups, _LEVEL_ORDER, "level"])
        out[by] = (rows, left_out, hidden.select("period", attribute).unique().sort("period", attribute))
    return out


def compared_frames(
    con: duckdb.DuckDBPyConnection, attribute: str, bys: list[str], period: str = "month",
    start: date | None = None, end: date | None = None, attribution: str = bases.AS_IT_WAS,
    alone: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """The participation :func:`compared_by` decides on, before any suppression: by ``attribute``
    inside every attribute's groups of ``bys`` in one query, keyed by each; by ``attribute`` alone
    (when ``bys`` holds ``organisation`` or ``attribute``), keyed ``attribute``: ``alone`` when the
    caller has it (participation by ``attribute``, the same rows), else read."""
    outer = [by for by in bys if by not in ("organisation", attribute)]
    frames = participation_frames(con, outer, period, start, end, inner=[attribute],
                                  attribution=attribution) if outer else {}
    if len(outer) < len(bys):
        frames[attribute] = (participation_frame(con, [attribute], period, start, end, attribution=attribution)
                             if alone is None else alone)
    return frames


#: The levels in their order (executive, manager, staff), any other after.
_LEVEL_ORDER = pl.col("level").replace_strict(LEVELS, list(range(len(LEVELS))), default=len(LEVELS))


def levels(
    con: duckdb.DuckDBPyConnection,
    by: str = "organisation",
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    attribution: str = bases.AS_IT_WAS,
) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """The rows of :func:`leadership` without the threads: the participation of every level,
    the same figures, suppressed alike, in the same order; the number of levels left out, and the
    levels left out in each period (``period``, ``level``). Unlike the threads answered up to the
    end of a range, each period stands on its own: a range of whole periods is a slice of these.
    What the Participation page compares the levels of one group with.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, level) "
    ...                 "select i, 'p' || i, case when i <= 5 then 'manager' else 'staff' end from range(1, 16) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, thread_ref, run_id) values "
    ...                 "(1, 'x', '2026-01-05', 1, 'post', 't1', 1), (2, 'x', '2026-01-05', 2, 'post', 't2', 1), "
    ...                 "(3, 'x', '2026-01-06', 9, 'reply', 't1', 1)")
    >>> rows, left_out, hidden = levels(con)
    >>> rows.select("level", "headcount", "active", "participation_rate").rows(), left_out
    ([('manager', 5, 2, 0.4), ('staff', 10, 1, 0.1)], 0)
    """
    return compared_by(con, "level", [by], period, start, end, min_group_size, attribution)[by]


def leadership(
    con: duckdb.DuckDBPyConnection,
    by: str = "organisation",
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    attribution: str = bases.AS_IT_WAS,
) -> tuple[pl.DataFrame, int]:
    """Participation of executives and managers against staff, and how their threads are answered
    (each thread in the groups its author held on the day it started, under ``attribution``).

    Returns the rows (``period``, the group column ``by`` unless ``organisation``, ``level``,
    ``headcount``, ``active``, ``contributors``, ``participation_rate``, ``contribution_rate``,
    ``threads_started``, ``threads_replied``, ``replied_share``: null when no thread was started)
    and the number of groups left out.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, level) "
    ...                 "select i, 'p' || i, case when i <= 5 then 'manager' else 'staff' end from range(1, 16) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, thread_ref, run_id) values "
    ...                 "(1, 'x', '2026-01-05', 1, 'post', 't1', 1), (2, 'x', '2026-01-05', 2, 'post', 't2', 1), "
    ...                 "(3, 'x', '2026-01-06', 9, 'reply', 't1', 1)")
    >>> rows, left_out = leadership(con)
    >>> rows.select("level", "headcount", "contributors", "threads_started", "replied_share").rows()
    [('manager', 5, 2, 2, 0.5), ('staff', 10, 1, 0, None)]
    """
    rows, left_out, outer, _ = _compare(con, "level", by, period, start, end, min_group_size,
                                        attribution=attribution)
    g = _grain(period)
    groups = outer + ["level"]
    query = sql("threads").format(
        group_columns=group_columns(groups), groups=", ".join(f"g{i}" for i in range(len(groups))),
        trunc=g.trunc, label=g.label, thread_starts=bases.sources(con, period, start, end).thread_starts,
        people=bases.people_versions(attribution),
    )
    threads = con.execute(query, {"from_date": start, "to_date": end}).pl()
    threads = threads.rename({f"g{i}": name for i, name in enumerate(groups)})
    rows = rows.join(threads, on=["period", *groups], how="left").with_columns(
        pl.col("threads_started").fill_null(0), pl.col("threads_replied").fill_null(0)
    ).with_columns(
        (pl.col("threads_replied") / pl.when(pl.col("threads_started") > 0).then(pl.col("threads_started"))).alias(
            "replied_share"
        )
    )
    order = pl.col("level").replace_strict(LEVELS, list(range(len(LEVELS))), default=len(LEVELS))
    rows = rows.select(pl.exclude("days", "partial"), "days", "partial")
    return rows.sort(["period", *outer, order, "level"]), left_out


def frontline(
    con: duckdb.DuckDBPyConnection,
    by: str = "organisation",
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    attribution: str = bases.AS_IT_WAS,
) -> tuple[pl.DataFrame, int]:
    """Participation of frontline workers against desk workers (the digital divide).

    Returns the rows (``period``, the group column ``by`` unless ``organisation``, ``frontline``
    (``frontline``, ``desk`` or ``(not set)``), ``headcount``, ``active``, ``contributors``,
    ``participation_rate``, ``contribution_rate``) and the number of groups left out.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, frontline) "
    ...                 "select i, 'p' || i, i > 5 from range(1, 16) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "select i, 'x', '2026-01-05', i, 'reaction', 1 from range(1, 9) t(i)")
    >>> frontline(con)[0].select("frontline", "headcount", "active", "participation_rate").rows()
    [('desk', 5, 5, 1.0), ('frontline', 10, 3, 0.3)]
    """
    rows, left_out, _, _ = _compare(con, "frontline", by, period, start, end, min_group_size,
                                    attribution=attribution)
    return rows, left_out


def leaders_rate(rows: pl.DataFrame) -> pl.DataFrame:
    """Executives and managers together, per period: ``period``, ``leaders_rate`` (their active
    people / their headcount) and ``levels`` (the levels counted), from rows by ``level``
    (:func:`leaders`, or participation by ``level``) already cut to one scope. Only the levels the
    rows show count: a level left out under the minimum size is left out of the sum too (adding it
    back would let its figure be recovered), and ``levels`` says so, for the label.

    >>> rows = pl.DataFrame({"period": ["2026-01"] * 3 + ["2026-02"] * 2,
    ...                      "level": ["executive", "manager", "staff", "manager", "staff"],
    ...                      "headcount": [5, 20, 75, 20, 80], "active": [4, 11, 30, 9, 40]})
    >>> leaders_rate(rows).rows()
    [('2026-01', 0.6, 'executive, manager'), ('2026-02', 0.45, 'manager')]
    """
    return (
        rows.filter(pl.col("level").is_in(LEADER_LEVELS))
        .group_by("period")
        .agg((pl.col("active").sum() / pl.col("headcount").sum()).alias("leaders_rate"),
             pl.col("level").unique().sort().str.join(", ").alias("levels"))
        .sort("period")
    )


@register("leadership", N_("participation of executives and managers against staff, and replies to their threads"),
          default_by="organisation")
def leadership_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    attribution = bases.attribution_of(params)
    rows, left_out = leadership(con, params.by, params.period, params.start, params.end, params.min_group_size,
                                attribution)
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={**reads_extra(con),
                               **labels(con, EMPLOYED_IN_PERIOD, params.start, params.end, attribution)})


@register("leaders", N_("participation of executives and managers (leadership's, without the threads)"),
          default_by="organisation")
def leaders_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    attribution = bases.attribution_of(params)
    rows, left_out, _ = leaders(con, params.by, params.period, params.start, params.end, params.min_group_size,
                                attribution)
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={**reads_extra(con),
                               **labels(con, EMPLOYED_IN_PERIOD, params.start, params.end, attribution)})


@register("levels", N_("participation of each job level (leadership's, without the threads)"),
          default_by="organisation")
def levels_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    attribution = bases.attribution_of(params)
    rows, left_out, _ = levels(con, params.by, params.period, params.start, params.end, params.min_group_size,
                               attribution)
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={**reads_extra(con),
                               **labels(con, EMPLOYED_IN_PERIOD, params.start, params.end, attribution)})


@register("frontline", N_("participation of frontline workers against desk workers"), default_by="organisation")
def frontline_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    attribution = bases.attribution_of(params)
    rows, left_out = frontline(con, params.by, params.period, params.start, params.end, params.min_group_size,
                               attribution)
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={**reads_extra(con),
                               **labels(con, EMPLOYED_IN_PERIOD, params.start, params.end, attribution)})

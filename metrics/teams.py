"""Teams at risk: the teams an inactivity rule flags (METRICS.md, "Teams at risk").

A team is flagged, once per rule that fires, when over the last complete period before the end
of the data (or ``end``):

- ``low_participation``: its participation rate is under ``inactive_participation`` (20%);
- ``no_contribution``: nobody in it contributed for ``inactive_days`` (30) days or more, up to
  the last day (a team that never contributed fires it too, with a null date);
- ``participation_drop``: its rate fell by ``inactive_drop_points`` (15) points or more against
  the period before.

Teams smaller than the minimum group size are never shown, flagged or not; nor is a rate of the
previous period when the team was too small then, or when the data holds only part of that period
(the drop rule cannot fire without it).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from metrics import bases
from metrics._sql import sql
from metrics.groups import group_columns, period_start, shift_period
from metrics.participation import participation_frame, reads_extra
from metrics.population import EMPLOYED_IN_PERIOD
from metrics.measure import MetricParams, MetricResult, register
from metrics.suppression import decide

RULES = ["low_participation", "no_contribution", "participation_drop"]


def inactive_teams(
    con: duckdb.DuckDBPyConnection,
    by: str = "team",
    period: str = "month",
    end: date | None = None,
    min_group_size: int = 5,
    inactive_participation: float = 0.20,
    inactive_days: int = 30,
    inactive_drop_points: float = 15.0,
) -> tuple[pl.DataFrame, int, dict]:
    """The teams flagged by each inactivity rule, as of ``end`` (default: the last day of data).

    Returns the rows (the group column named ``by``, ``rule``, ``period``, ``headcount``,
    ``participation_now``, ``participation_before``, ``last_contribution``; one row per team
    and rule fired), the number of teams left out, and what the rules looked at (``as_of``,
    ``period``, ``previous_period``).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, team) "
    ...                 "select i, 'p' || i, case when i <= 5 then 'Quiet' else 'Busy' end from range(1, 11) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "select i, 'x', '2026-02-01', i, 'post', 1 from range(1, 11) t(i) "
    ...                 "union all select 100 + i, 'x', '2026-03-' || (10 + i), i, 'reply', 1 from range(6, 11) t(i)")
    >>> rows, left_out, seen = inactive_teams(con, end=date(2026, 3, 31))
    >>> rows.select("team", "rule", "participation_now", "participation_before").rows()
    [('Quiet', 'low_participation', 0.0, 1.0), ('Quiet', 'no_contribution', 0.0, 1.0), ('Quiet', 'participation_drop', 0.0, 1.0)]
    """
    as_of = end or bases.last_day(con)
    empty = pl.DataFrame(
        schema={by: pl.Utf8, "rule": pl.Utf8, "period": pl.Utf8, "headcount": pl.Int64,
                "participation_now": pl.Float64, "participation_before": pl.Float64,
                "last_contribution": pl.Date}
    )
    if as_of is None:
        return empty, 0, {"as_of": None, "period": None, "previous_period": None}
    now_start = shift_period(period, period_start(period, as_of + timedelta(days=1)), -1)
    before_start = shift_period(period, now_start, -1)
    now_end = shift_period(period, now_start, 1) - timedelta(days=1)
    frame = participation_frame(con, [by], period, before_start, now_end)
    labels = sorted(frame["period"].unique().to_list())
    now_label = labels[-1] if labels else None
    before_label = labels[-2] if len(labels) > 1 else None
    now, left_out, _ = decide(frame.filter(pl.col("period").eq_missing(now_label)), by, "headcount", min_group_size)
    before, _, _ = decide(frame.filter(pl.col("period").eq_missing(before_label)), by, "headcount", min_group_size)
    # a period the data holds only part of (the first of the data) is no rate to drop from
    before = before.filter(~pl.col("partial"))
    src = bases.sources(con, "month", None, as_of)
    last = con.execute(
        sql("last_contribution").format(group_columns=group_columns([by]), person_range=src.person_range),
        {"from_date": None, "to_date": as_of, "period_start": now_start, "period_end": now_end},
    ).pl().rename({"g0": by})
    teams = (
        now.select(by, "period", "headcount", pl.col("participation_rate").alias("participation_now"))
        .join(before.select(by, pl.col("participation_rate").alias("participation_before")), on=by, how="left")
        .join(last, on=by, how="left")
    )
    quiet_since = as_of - timedelta(days=inactive_days)
    fired = {
        "low_participation": pl.col("participation_now") < inactive_participation,
        "no_contribution": pl.col("last_contribution").is_null() | (pl.col("last_contribution") <= quiet_since),
        # rounded: 0.35 - 0.20 is 0.1499999... in binary and must fire at 15 points
        "participation_drop": ((pl.col("participation_before") - pl.col("participation_now")) * 100).round(9)
        >= inactive_drop_points,
    }
    rows = pl.concat(
        [teams.filter(rule.fill_null(False)).with_columns(pl.lit(name).alias("rule")) for name, rule in fired.items()]
    ) if not teams.is_empty() else teams.with_columns(pl.lit(None, pl.Utf8).alias("rule"))
    rows = rows.select(empty.columns).cast(empty.schema).sort(
        [pl.col(by), pl.col("rule").replace_strict(RULES, list(range(len(RULES))))]
    )
    return rows, left_out, {"as_of": as_of, "period": now_label, "previous_period": before_label}


@register("inactive-teams", "teams flagged by the inactivity rules, with the rule that fired", default_by="team")
def inactive_teams_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    rows, left_out, seen = inactive_teams(
        con, by=params.by, period=params.period, end=params.end, min_group_size=params.min_group_size,
        inactive_participation=float(params.extra.get("inactive_participation", 0.20)),
        inactive_days=int(params.extra.get("inactive_days", 30)),
        inactive_drop_points=float(params.extra.get("inactive_drop_points", 15.0)),
    )
    population = {"population": EMPLOYED_IN_PERIOD}  # the headcount of the period compared
    return MetricResult(rows=rows, suppressed_groups=left_out, extra={**seen, **reads_extra(con), **population})

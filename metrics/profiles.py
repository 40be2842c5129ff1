"""Profile completeness: how much of their directory profile people have filled, by group."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics._sql import sql
from metrics.groups import group_columns
from metrics.measure import MetricParams, MetricResult, register
from metrics.suppression import decide
from ruche.i18n import N_

FIELDS = ["has_photo", "has_title", "has_department", "has_location", "has_manager", "has_about"]


def profile_completeness(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    as_of: date | None = None,
    min_group_size: int = 5,
) -> tuple[pl.DataFrame, int]:
    """Mean profile completeness of the internal people employed on ``as_of`` (default today), by group.

    Returns the rows (the group column named ``by``, ``people``, ``completeness``: the mean of
    each person's share of the six fields filled, then the share of people with each field:
    ``has_photo``, ``has_title``, ``has_department``, ``has_location``, ``has_manager``,
    ``has_about``) and the number of
    groups left out. Unknown fields (null) count as empty.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department, has_photo, has_title) "
    ...                 "select i, 'p' || i, 'Ops', i <= 3, true from range(1, 7) t(i)")
    >>> rows, left_out = profile_completeness(con, as_of=date(2026, 1, 1))
    >>> rows.select("department", "people", "completeness", "has_photo").rows()
    [('Ops', 6, 0.4166666666666667, 0.5)]
    """
    query = sql("profiles").format(group_columns=group_columns([by]))
    frame = con.execute(query, {"as_of": as_of or date.today()}).pl().rename({"g0": by})
    rows, left_out, _ = decide(frame, by, "people", min_group_size)
    return rows, left_out


@register("profiles", N_("profile completeness (photo, title, department, location, manager, about) by group"))
def profiles_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    rows, left_out = profile_completeness(con, params.by, params.end, params.min_group_size)
    return MetricResult(rows=rows, suppressed_groups=left_out, extra={"as_of": params.end or date.today()})

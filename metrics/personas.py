"""Personas: how people take part, counted per group (METRICS.md, "Personas").

From what a person gives (posts, replies and reactions made) and receives (replies and reactions
from other people) over the range:

- ``observer``: active, gives nothing;
- ``catalyst``: receives more than twice what they give;
- ``broadcaster``: gives more than twice what they receive, mostly posts (more posts than
  replies and reactions);
- ``responder``: gives more than twice what they receive, mostly replies and reactions;
- ``engager``: the rest, balanced (received/given between 0.5 and 2).

Inactive people have no persona (they are the rest of the headcount). Only counts per group are
returned, never a person.

Per group, over the range: the people employed in it who held the group on at least one day of
it, each from what they gave and received on the days they held it (someone who moved has a
persona in each group, from their part of the activity there); or, restated, everyone in the
group they hold now, from their whole range (the ``attribution``, docs/metrics.md "Group
attribution over time"). The organisation's figures count each person once, from their whole
range.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics import bases
from metrics._sql import sql
from metrics.groups import EXTERNAL
from metrics.participation import labels, reads_extra
from metrics.population import EMPLOYED_IN_RANGE, EXTERNAL_ACTIVE, bounds_sql
from metrics.suppression import decide_once
from metrics.measure import MetricParams, MetricResult, register
from ruche.i18n import N_

PERSONAS = ["engager", "catalyst", "responder", "broadcaster", "observer"]


def personas(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    attribution: str = bases.AS_IT_WAS,
) -> tuple[pl.DataFrame, int]:
    """People of each persona per group over a range (people counted under ``attribution``).

    Returns the rows (the group column named ``by``, ``persona``, ``people``, ``people_share``
    of the group's ``headcount``, ``headcount``; every persona of every visible group) and the
    number of groups left out. External people active in the range form the group ``External``
    (its headcount is theirs).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department) "
    ...                 "select i, 'p' || i, 'Ops' from range(1, 7) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) values "
    ...                 "(1, 'x', '2026-01-05', 1, 'post', null, 1), (2, 'x', '2026-01-05', 2, 'reply', 1, 1), "
    ...                 "(3, 'x', '2026-01-05', 3, 'reaction', 1, 1), (4, 'x', '2026-01-05', 4, 'read', null, 1), "
    ...                 "(5, 'x', '2026-01-05', 5, 'reaction', 1, 1)")
    >>> rows, left_out = personas(con)
    >>> rows.select("persona", "people").rows()
    [('engager', 0), ('catalyst', 1), ('responder', 3), ('broadcaster', 0), ('observer', 1)]
    """
    return _visible(_frames(con, by, start, end, attribution)[0], by, min_group_size)


def _frames(con: duckdb.DuckDBPyConnection, by: str, start: date | None, end: date | None,
            attribution: str = bases.AS_IT_WAS) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every group's row per persona (``ord`` gives the personas' order), each with its headcount,
    before any suppression; and the organisation's (``organisation``: one group, and External),
    where each person counts once."""
    found = frames_by(con, list(dict.fromkeys([by, "organisation"])), start, end, attribution)
    return found[by], found["organisation"]


def frames_by(con: duckdb.DuckDBPyConnection, bys: list[str], start: date | None, end: date | None,
              attribution: str = bases.AS_IT_WAS, groups: str | None = None) -> dict[str, pl.DataFrame]:
    """:func:`_frames`'s frame of each attribute of ``bys`` (allow-listed; its group column named
    after it), in one query: each attribute's rows those a query by it alone gives. ``groups``: a
    table holding :func:`metrics.bases.person_range_groups` of ``bys`` over the range, when the
    caller made one (a load: the 90/9/1 split reads it too)."""
    src = bases.sources(con, "month", start, end)
    query = frames_sql(src, groups or bases.person_range_groups(src, bys, attribution))
    return frames_of(con.execute(query, {"from_date": start, "to_date": end}).pl(), bys)


#: The columns of :file:`personas.sql`'s rows.
FRAME = ["by_attribute", "g0", "persona", "people", "people_share", "headcount", "ord"]


def frames_sql(src: bases.Sources, groups: str) -> str:
    """:file:`personas.sql` over ``groups`` (a relation of :func:`metrics.bases.person_range_groups`)."""
    return sql("personas").format(bounds=bounds_sql(src.days), groups=groups)


def frames_of(frame: pl.DataFrame, bys: list[str]) -> dict[str, pl.DataFrame]:
    """The rows of :file:`personas.sql` (``frame``) as :func:`frames_by` gives them: per attribute,
    the group column named after it."""
    parts = frame.partition_by("by_attribute", as_dict=True, include_key=False)
    empty = frame.clear().drop("by_attribute")
    return {by: parts.get((by,), empty).rename({"g0": by}) for by in bys}


def organisation(frame: pl.DataFrame, by: str, min_group_size: int) -> list[dict]:
    """People of each persona over the organisation's employees (``External`` is not counted: a
    group of its own, hidden alone when small), from every group's rows of ``frame`` (grouped by
    ``organisation``: each person once), the hidden ones included: those hold no one or at least
    ``min_group_size`` people together, so none can be told by difference. ``persona``, ``people``, ``people_share`` of ``headcount``, in the personas'
    order; empty when the employees are fewer than ``min_group_size``.

    >>> frame = pl.DataFrame({"department": ["Ops", "Ops", "Tax", "Tax", "External", "External"],
    ...                       "persona": ["catalyst", "observer"] * 3, "ord": [2, 5] * 3,
    ...                       "people": [1, 7, 2, 1, 5, 0], "headcount": [8, 8, 3, 3, 5, 5]})
    >>> [(r["persona"], r["people"], r["people_share"]) for r in organisation(frame, "department", 5)]
    [('catalyst', 3, 0.2727272727272727), ('observer', 8, 0.7272727272727273)]
    >>> organisation(frame, "department", 12)
    []
    """
    # both in one wait on polars' threads (DuckDB's keep them busy beside a page)
    internal = frame.lazy().filter(pl.col(by) != EXTERNAL)
    headcount, totals = pl.collect_all([
        internal.select(by, "headcount").unique().select(pl.col("headcount").sum()),
        internal.group_by("persona", "ord").agg(pl.col("people").sum()).sort("ord"),
    ])
    headcount = headcount.item()
    if not headcount or headcount < min_group_size:
        return []
    # five rows, divided one by one: polars divides a column by a number as a product by its
    # inverse (3 / 10 would be 0.30000000000000004)
    return [{"persona": persona, "people": int(people), "people_share": int(people) / int(headcount),
             "headcount": int(headcount)} for persona, people in totals.select("persona", "people").iter_rows()]


def _visible(frame: pl.DataFrame, by: str, min_group_size: int) -> tuple[pl.DataFrame, int]:
    visible, left_out, _ = decide_once(frame, by, "headcount", min_group_size)
    visible = visible.lazy().sort([by, "ord"]).drop("ord").with_columns(
        pl.when(pl.col(by) == EXTERNAL).then(pl.lit(EXTERNAL_ACTIVE)).otherwise(pl.lit(EMPLOYED_IN_RANGE))
        .alias("population"))
    return visible.select(by, "persona", "people", "people_share", "headcount", "population").collect(), left_out


@register("personas", N_("people per persona (engager, catalyst, responder, broadcaster, observer) per group"))
def personas_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    attribution = bases.attribution_of(params)
    frame, everybody = _frames(con, params.by, params.start, params.end, attribution)
    return personas_result(con, params, {params.by: frame, "organisation": everybody})


def personas_result(con: duckdb.DuckDBPyConnection, params: MetricParams, found: dict[str, pl.DataFrame],
                    common: dict | None = None) -> MetricResult:
    """The registry's result of ``personas`` from the frames of :func:`frames_by` (``params.by``'s
    and the organisation's at least: a load reads every attribute's at once); ``common``: the
    figures of the range that are the same for every attribute, kept across calls by the caller."""
    attribution = bases.attribution_of(params)
    common = {} if common is None else common
    shared = ("personas", params.start, params.end, attribution)
    if shared not in common:
        common[shared] = {**reads_extra(con), **labels(con, EMPLOYED_IN_RANGE, params.start, params.end, attribution)}
    rows, left_out = _visible(found[params.by], params.by, params.min_group_size)
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={**common[shared],
                               "organisation": organisation(found["organisation"], "organisation",
                                                            params.min_group_size)})

"""External collaboration: how much of the network's interactions involve the ecosystem.

External people (guests, partners, customers: people the directory does not know) never count
in a headcount but take part in interactions (METRICS.md). This module measures the share of
interactions (replies, mentions, reactions between two different people) with an external person
at one end at least, per group of internal people and for the whole organisation, and lists the
spaces where internal and external people meet. Each end of an interaction is in the group it
held on the interaction's day, a group's headcount is its people employed in the range who held
it on at least one day of it; or, restated, everyone is in the group they hold now (the
``attribution``, docs/metrics.md "Group attribution over time").
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics import bases
from metrics._sql import sql
from metrics.groups import people_by_attribute
from metrics.participation import labels
from metrics.population import EMPLOYED_IN_RANGE, bounds_sql
from metrics.suppression import decide
from metrics.measure import MetricParams, MetricResult, register
from ruche.i18n import N_


def external_collaboration(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    attribution: str = bases.AS_IT_WAS,
) -> tuple[pl.DataFrame, int]:
    """Interactions of each group and the share with an external person (people counted under
    ``attribution``).

    Returns the rows (the group column named ``by``, ``headcount``, ``interactions``: those with
    at least one end in the group, ``external_interactions``, ``external_share``: null without
    interactions) and the number of groups left out.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department, is_external) "
    ...                 "select i, 'p' || i, case when i <= 5 then 'Ops' end, i > 5 from range(1, 7) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...                 "values (1, 'x', '2026-01-05', 1, 'reply', 6, 1), (2, 'x', '2026-01-05', 2, 'reaction', 1, 1), "
    ...                 "(3, 'x', '2026-01-06', 6, 'mention', 3, 1), (4, 'x', '2026-01-06', 4, 'reply', 5, 1)")
    >>> rows, left_out = external_collaboration(con)
    >>> rows.rows()
    [('Ops', 5, 4, 2, 0.5)]
    """
    frame = _external_rows(con, by, start, end, attribution).drop(ORGANISATION)
    rows, left_out, _ = decide(frame, by, "headcount", min_group_size)
    return rows, left_out


ORGANISATION = ["org_interactions", "org_external_interactions", "org_people"]


def _external_rows(con: duckdb.DuckDBPyConnection, by: str, start: date | None, end: date | None,
                   attribution: str = bases.AS_IT_WAS) -> pl.DataFrame:
    """The rows of every group, unsuppressed, each with the organisation's figures (``org_*``)."""
    src = bases.sources(con, "month", start, end)
    query = sql("external").format(bounds=bounds_sql(src.days),
                                   people=people_by_attribute([by], bases.people_versions_of(attribution, [by])),
                                   groups=bases.person_range_groups(src, [by], attribution))
    return con.execute(query, {"from_date": start, "to_date": end}).pl().rename({"g0": by})


def external_share(
    con: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None
) -> dict:
    """The organisation's ``interactions``, ``external_interactions`` and ``external_share``,
    and the number of distinct ``people`` at their ends."""
    row = con.execute(sql("external_share"), {"from_date": start, "to_date": end}).pl()
    return row.row(0, named=True)


def meeting_spaces(
    con: duckdb.DuckDBPyConnection,
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
) -> tuple[pl.DataFrame, int]:
    """The spaces where internal and external people were both active, busiest first.

    Returns the rows (``source``, ``space``: its name, or ``(private space)``, ``kind``,
    ``internal_people``, ``external_people``, ``activities``) and the number of spaces left out
    because fewer than ``min_group_size`` people were active in them.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, is_external) "
    ...                 "select i, 'p' || i, i = 6 from range(1, 7) t(i)")
    >>> _ = con.execute("insert into spaces (space_key, source, space_ref, name, is_private) "
    ...                 "values (1, 'x', 'c1', 'partners', false), (2, 'x', 'c2', 'secret', false)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, run_id) "
    ...                 "select i, 'x', '2026-01-05', i, 'post', 1, 1 from range(1, 7) t(i) "
    ...                 "union all values (7, 'x', '2026-01-05', 1, 'post', 2, 1), (8, 'x', '2026-01-05', 6, 'post', 2, 1)")
    >>> meeting_spaces(con)
    (shape: (1, 6)
    ┌────────┬──────────┬──────┬─────────────────┬─────────────────┬────────────┐
    │ source ┆ space    ┆ kind ┆ internal_people ┆ external_people ┆ activities │
    │ ---    ┆ ---      ┆ ---  ┆ ---             ┆ ---             ┆ ---        │
    │ str    ┆ str      ┆ str  ┆ i64             ┆ i64             ┆ i64        │
    ╞════════╪══════════╪══════╪═════════════════╪═════════════════╪════════════╡
    │ x      ┆ partners ┆ null ┆ 5               ┆ 1               ┆ 6          │
    └────────┴──────────┴──────┴─────────────────┴─────────────────┴────────────┘, 1)
    """
    src = bases.sources(con, "month", start, end)
    query = sql("meeting_spaces").format(space_people=src.space_people)
    frame = con.execute(query, {"from_date": start, "to_date": end}).pl()
    small = pl.col("internal_people") + pl.col("external_people") < min_group_size
    return frame.filter(~small), frame.filter(small).height


@register("external", N_("share of interactions with external people, and the spaces where insiders and outsiders meet"))
def external_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    attribution = bases.attribution_of(params)
    frame = _external_rows(con, params.by, params.start, params.end, attribution)
    if frame.is_empty():
        org = external_share(con, params.start, params.end)
    else:
        interactions, external, people = frame.row(0)[-3:]
        org = {"interactions": interactions, "external_interactions": external,
               "external_share": external / interactions if interactions else None, "people": people}
    rows, left_out, _ = decide(frame.drop(ORGANISATION), params.by, "headcount", params.min_group_size)
    shown = (org["people"] or 0) >= params.min_group_size
    spaces, spaces_left_out = meeting_spaces(con, params.start, params.end, params.min_group_size)
    extra = {
        "interactions": org["interactions"] if shown else None,
        "external_interactions": org["external_interactions"] if shown else None,
        "external_share": org["external_share"] if shown else None,
        "spaces": spaces,
        "suppressed_spaces": spaces_left_out,
        **labels(con, EMPLOYED_IN_RANGE, params.start, params.end, attribution),
    }
    return MetricResult(rows=rows, suppressed_groups=left_out, extra=extra)

"""The shared steps that write the canonical tables from a source's staging tables.

Every source maps its files to the same three staging tables (``stg_accounts``, ``stg_spaces``,
``stg_events``, the last one possibly a view: see the comments at the top of ``identity.sql`` and
``activities.sql``), then
calls these functions in order. They are set-based: identifiers are pseudonymised once per
distinct account, never per event.
"""

from __future__ import annotations

from ingest.common import Context, InputCount, all_rejected, begin, commit, counts_from, queries
from ruche.i18n import _

STG_ACCOUNTS = """
create or replace temp table stg_accounts (
    input varchar, file varchar, line bigint, record_no bigint, ref varchar, email varchar,
    is_bot boolean, is_guest boolean, is_deleted boolean, joined_at timestamp,
    has_photo boolean, has_title boolean, has_location boolean, has_about boolean,
    reject_reason varchar
)
"""

STG_SPACES = """
create or replace temp table stg_spaces (
    input varchar, record_no bigint, space_ref varchar, name varchar, kind varchar,
    is_private boolean, is_external boolean, created_at timestamp
)
"""

STG_EVENTS = """
create or replace temp table stg_events (
    input varchar, file varchar, line bigint, record_no bigint, natural_key varchar,
    occurred_at timestamp, actor_ref varchar, kind varchar, space_ref varchar, thread_ref varchar,
    target_ref varchar, target_key_of varchar, body_length integer, has_file boolean,
    has_link boolean, skip_reason varchar, reject_reason varchar
)
"""


def create_staging(ctx: Context, events_table: bool = True) -> None:
    """The empty staging tables a source fills. A source whose messages are already staged in
    one table of its own defines ``stg_events`` as a view over it instead (``events_table=False``):
    the events are then read once, by :func:`write_activities`, never copied."""
    for ddl in (STG_ACCOUNTS, STG_SPACES) + ((STG_EVENTS,) if events_table else ()):
        ctx.con.execute(ddl)


def write_accounts(ctx: Context) -> list[InputCount]:
    """stg_accounts -> people, accounts; leaves ref_map (ref -> person_key, is_bot)."""
    for step in ("ref_map", "insert_people", "attach_people", "upsert_accounts", "update_profiles", "account_rejects"):
        ctx.run("identity.sql", step)
    return counts_from(ctx.con, queries("identity.sql")["account_counts"])


def attach_known_accounts(ctx: Context) -> None:
    """Add to ref_map the users the source's files name without listing them (temporary table
    ``stg_refs``: the senders and mentions of an incremental export) that an earlier load of the
    same source listed: they keep the person and flags that load established, unchanged."""
    ctx.run("identity.sql", "known_accounts")


def write_spaces(ctx: Context) -> list[InputCount]:
    ctx.run("identity.sql", "upsert_spaces", {"source": ctx.source})
    return counts_from(ctx.con, queries("identity.sql")["space_counts"])


def write_activities(ctx: Context, unknown_actor: str, fail_when_all_rejected: bool = True) -> list[InputCount]:
    """stg_events -> activities (new ones only), rejects; returns the counts per input.

    Events dated before the cut-off of the last purge are skipped ("before the retention cut-off").

    The load's transaction is committed once the events are resolved, and a second one holds the
    rest of the load: DuckDB reads a table on one thread while the transaction that wrote it is
    open, and the resolved events (as many rows as the export) are read three times after. The
    store stays atomic: the load works on a private copy of it, published only when the whole
    load succeeds (:func:`ruche.store.writing`).
    """
    # whether the store holds activities of this source: a first load looks nothing up in it
    _flag(ctx, "source_in_store", "select exists (select 1 from activities where source = ?)", [ctx.source])
    ctx.run("activities.sql", "candidates")
    _flag(ctx, "any_candidates", "select exists (select 1 from repeated_hashes)")
    ctx.run("activities.sql", "repeated")
    _flag(ctx, "any_repeated", "select exists (select 1 from repeated)")
    ctx.run("activities.sql", "resolve", {"unknown_actor": unknown_actor, "purged_before": purged_before(ctx)})
    commit(ctx.con)
    begin(ctx.con)
    counts = counts_from(ctx.con, queries("activities.sql")["counts"])
    read = sum(c.read for c in counts)
    rejected = sum(c.rejected for c in counts)
    if fail_when_all_rejected and read and rejected == read:
        file, line, reason = ctx.con.execute(queries("activities.sql")["first_reject"]).fetchone()
        if ctx.numbered_by_row:
            line = _("row {row}").format(row=line)
        raise all_rejected(file, line, reason, "record")
    ctx.run("activities.sql", "insert")
    # an event listed as deleted (skip_reason "deleted message") removes the copy an earlier
    # export loaded: deletions follow the latest export
    ctx.run("activities.sql", "remove_deleted")
    ctx.run("activities.sql", "remember_deleted")
    ctx.run("activities.sql", "rejects")
    return counts


def _flag(ctx: Context, variable: str, sql: str, params: list | None = None) -> None:
    """Set the boolean variable ``variable`` to the answer of ``sql``: the statements that read it
    are planned without the parts it rules out (DuckDB folds ``getvariable`` when it plans)."""
    value = bool(ctx.scalar(sql, params))
    ctx.con.execute(f"set variable {variable} = {'true' if value else 'false'}")


def purged_before(ctx: Context):
    """The cut-off of the last ``ruche purge`` (``store_meta.purged_before``), or None: activities
    and usage snapshots dated before it are skipped (an old export loaded again must not bring
    back the months retention removed)."""
    from ruche.retention import purged_before as stored

    return stored(ctx.con)


def mark_external(ctx: Context) -> None:
    ctx.run("identity.sql", "mark_external")

"""A generic activity file, CSV or Parquet: the door for every other tool.

Columns: ``occurred_at`` (ISO 8601; without an offset, UTC), ``actor``, ``kind`` (``post``,
``reply``, ``reaction``, ``mention``, ``read``, ``join``), and optionally ``target`` (the person
the activity is directed at), ``space``, ``thread`` and ``id`` (the tool's own key of the
event; without it, the row's content is its key, so a row repeated in a later file is loaded
once). Actors and targets are directory employee ids or e-mails.
"""

from __future__ import annotations

import duckdb

from ingest.canonical import create_staging, write_activities, write_spaces
from ingest.common import (
    Context,
    IngestError,
    InputCount,
    csv_header,
    line_shift,
    plain_error,
    read_csv_staging,
    renamed,
    require_columns,
    store_parse_rejects,
)
from ruche.i18n import _, pgettext

SOURCE = "events"
STEPS = 3
FIELDS = ["id", "occurred_at", "actor", "kind", "target", "space", "thread"]
REQUIRED = ["occurred_at", "actor", "kind"]


def _parquet_columns(ctx: Context) -> list[str]:
    try:
        return [r[0] for r in ctx.con.execute("describe select * from read_parquet($p)", {"p": str(ctx.path)}).fetchall()]
    except duckdb.Error as exc:
        raise IngestError(_("{file}: not a readable Parquet file ({error})").format(
            file=ctx.label, error=plain_error(exc))) from None


def load(ctx: Context) -> list[InputCount]:
    if ctx.path.is_dir():
        raise IngestError(_("{file}: a folder; events come as one CSV or Parquet file").format(file=ctx.label))
    with open(ctx.path, "rb") as fh:
        parquet = fh.read(4) == b"PAR1"
    parse_rejects: list[dict] = []
    if parquet:
        header = _parquet_columns(ctx)
        require_columns([c.lower() for c in header], REQUIRED, ctx.label, _("an events file: {columns}").format(columns=", ".join(FIELDS)))
        cols = renamed(header, FIELDS)
        select = ", ".join(f"cast({expr} as varchar) as {f}" for f, expr in cols.items())
        ctx.con.execute(
            f"create or replace temp table stg_events_raw as "
            f"select row_number() over () as record_no, {select} from read_parquet($p)",
            {"p": str(ctx.path)},
        )
    else:
        header = csv_header(ctx.path, ctx.label)
        require_columns([c.lower() for c in header], REQUIRED, ctx.label, _("an events file: {columns}").format(columns=", ".join(FIELDS)))
        cols = renamed(header, FIELDS)
        parse_rejects = read_csv_staging(ctx, "stg_events_raw", ctx.path, ctx.label, header,
                                         ", ".join(f"{expr} as {f}" for f, expr in cols.items()))
    if ctx.scalar("select count(*) from stg_events_raw") == 0 and not parse_rejects:
        raise IngestError(_("{file}: no data rows (expected one event per row after the header)").format(file=ctx.label))
    ctx.progress.step(_("events read"))
    create_staging(ctx)
    line_shift(ctx, parse_rejects)
    if parquet:
        # no header line and no text lines: record r is row r
        ctx.numbered_by_row = True
        ctx.con.execute("insert into stg_line_shift values (0, -1)")
    ctx.run("events.sql", "typed")
    ctx.run("events.sql", "ref_people")
    ctx.run("events.sql", "ref_map")
    ctx.run("events.sql", "spaces")
    spaces = write_spaces(ctx)
    ctx.progress.step(_("people"))
    ctx.run("events.sql", "events")
    activities = write_activities(ctx, unknown_actor="actor matches no directory id or e-mail")
    store_parse_rejects(ctx, ctx.label, "activities", parse_rejects)
    for c in activities:
        if c.name == "events":
            c.read += len(parse_rejects)
            c.rejected += len(parse_rejects)
    ctx.progress.step(pgettext("progress", "activities"))
    return spaces + activities

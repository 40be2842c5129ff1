"""The HR directory CSV: the reference population, its groups and its history.

Columns are read by name. The default names are the product's field names
(``id, email, department, team, site, country, level, manager_id, frontline, hired_on,
left_on``); an HR export with its own names is mapped with the ``directory_columns`` setting.
Unknown columns are ignored and never stored. Re-loading a newer directory updates people,
closes the versions of ``people_history`` that changed and opens new ones dated by the
snapshot (``--as-of``, default today), and marks people who disappeared as having left.

A file with an ``effective_from`` column is effective-dated: one row per person and date from
which the row holds (an HRIS's job history). It holds the whole history of the people it names:
their ``people_history`` is rebuilt from its rows (the same versions as loading each date's
directory as a snapshot, in date order), and ``people`` takes each person's latest row.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from ingest.common import (
    Context,
    IngestError,
    InputCount,
    all_rejected,
    counts_from,
    csv_header,
    line_shift,
    queries,
    quote_identifier,
    read_csv_staging,
    store_parse_rejects,
)
from ruche.i18n import _, ngettext

SOURCE = "directory"
STEPS = 4
FIELDS = ["id", "email", "department", "team", "site", "country", "level", "manager_id", "frontline",
          "hired_on", "left_on", "effective_from"]
REQUIRED = ["id", "email", "department"]


def column_mapping(settings) -> dict[str, str]:
    mapping = {f: f for f in FIELDS}
    for field_name, column in (settings.directory_columns or {}).items():
        if field_name not in mapping:
            raise IngestError(_("directory_columns: unknown field {field!r} (fields: {fields})").format(
                field=field_name, fields=", ".join(FIELDS)))
        mapping[field_name] = str(column)
    return mapping


#: What a directory date looks like: a day, maybe with a time of day (Excel writes one).
DATE_PATTERN = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
#: The earliest plausible hire or leaving date: an earlier one is a placeholder (0001-01-01,
#: 1900-01-01 for "unknown"), not a career.
EARLIEST = date(1950, 1, 1)


def latest() -> date:
    """The latest plausible date of an HR row or a snapshot: the end of next year (hires are
    entered ahead; 9999-12-31 is an "open end" placeholder)."""
    return date(date.today().year + 1, 12, 31)


def date_bounds(effective: bool = False) -> dict:
    return {"date_pattern": DATE_PATTERN, "earliest": EARLIEST.isoformat(), "latest": latest().isoformat(),
            "effective": effective}


def _unreadable_people(ctx: Context, header: list[str], mapping: dict[str, str], parse_rejects: list[dict]) -> None:
    """stg_directory_unreadable(line, id, email): who the lines the CSV reader could not parse
    name, as far as their fields can be split (never stored: the table is temporary and the
    values are pseudonymised by ``directory.sql: rejected``)."""
    ctx.con.execute("create or replace temp table stg_directory_unreadable (line bigint, id varchar, email varchar)")
    if not parse_rejects:
        return
    by_lower = {c.lower(): i for i, c in enumerate(header)}
    at = {f: by_lower.get(mapping[f].lower()) for f in ("id", "email")}
    rows = []
    for r in parse_rejects:
        fields = next(csv.reader(io.StringIO(r.get("text", ""))), [])
        value = {f: fields[i] if i is not None and i < len(fields) else None for f, i in at.items()}
        rows.append([r["line"], value["id"], value["email"]])
    ctx.con.executemany("insert into stg_directory_unreadable values (?, ?, ?)", rows)


def load(ctx: Context) -> list[InputCount]:
    if ctx.path.is_dir():
        raise IngestError(_("{file}: a folder; the directory is one CSV file").format(file=ctx.label))
    header = csv_header(ctx.path, ctx.label)
    mapping = column_mapping(ctx.settings)
    by_lower = {c.lower(): c for c in header}
    missing = [f"{mapping[f]} ({f})" if mapping[f] != f else f for f in REQUIRED if mapping[f].lower() not in by_lower]
    if missing:
        raise IngestError(ngettext(
            "{file}, line 1: missing column {columns} (expected an HR directory with columns {fields}, or set "
            "directory_columns; found: {found})",
            "{file}, line 1: missing columns {columns} (expected an HR directory with columns {fields}, or set "
            "directory_columns; found: {found})", len(missing),
        ).format(file=ctx.label, columns=", ".join(missing), fields=", ".join(FIELDS), found=", ".join(header)))
    parse_rejects = read_csv_staging(ctx, "stg_directory_raw", ctx.path, ctx.label, header)
    ctx.progress.step(_("reading the directory"))
    # Rename only the known columns: the header is the allow-list, unknown columns never leave it.
    select = ", ".join(
        f"{quote_identifier(by_lower[mapping[f].lower()])} as {f}" if mapping[f].lower() in by_lower else f"null::varchar as {f}"
        for f in FIELDS
    )
    ctx.con.execute(f"create or replace temp table stg_directory_text as select record_no, {select} from stg_directory_raw")
    ctx.con.execute("drop view stg_directory_raw")
    ctx.con.execute("drop table stg_directory_raw_rows")
    as_of = ctx.as_of or date.today().isoformat()
    effective = mapping["effective_from"].lower() in by_lower
    if not effective:
        later = ctx.run("directory.sql", "snapshot_order", {"as_of": as_of}).fetchone()[0]
        if later is not None:
            raise IngestError(_(
                "{file}: a snapshot of {as_of} is older than one already loaded (of {later}): load directory "
                "snapshots in date order (--as-of), or the whole history as one file with an effective_from column"
            ).format(file=ctx.label, as_of=as_of, later=later.isoformat()))
    line_shift(ctx, parse_rejects)
    ctx.run("directory.sql", "stage", date_bounds(effective))
    counts = counts_from(ctx.con, queries("directory.sql")["counts"])
    count = counts[0] if counts else InputCount("directory rows")
    count.read += len(parse_rejects)
    count.rejected += len(parse_rejects)
    if count.read == 0:
        raise IngestError(_("{file}: no data rows (expected one row per employee after the header)").format(file=ctx.label))
    if count.loaded == 0:
        if parse_rejects:
            first = parse_rejects[0]
            raise all_rejected(ctx.label, first["line"], first["reason"])
        line, reason = ctx.con.execute(
            "select line, reject_reason from stg_directory order by record_no limit 1"
        ).fetchone()
        raise all_rejected(ctx.label, line, reason)
    ctx.progress.step(_("checking rows"))
    _unreadable_people(ctx, header, mapping, parse_rejects)
    ctx.run("directory.sql", "rejected")
    ctx.run("directory.sql", "unnamed")
    if effective:  # the latest row of each person is the directory now; every row a version
        ctx.run("directory.sql", "effective_versions")
        ctx.run("directory.sql", "effective_latest_rows")
    history = (("history_effective_clear", "history_effective_open") if effective
               else ("history_same_day", "history_close", "history_open"))
    for step in ("hashed", "insert_people", "attach_people", "update_people", "managers", "leavers",
                 *history, "clear_home_domains", "home_domains"):
        ctx.run("directory.sql", step, {"as_of": as_of})
    ctx.progress.step(_("people and history"))
    ctx.run("directory.sql", "rejects", {"file": ctx.label})
    ctx.run("directory.sql", "manager_links", {"file": ctx.label})
    store_parse_rejects(ctx, ctx.label, "people", parse_rejects)
    ctx.progress.step(_("rejects"))
    return [count]

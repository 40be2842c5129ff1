"""Microsoft 365 usage reports for Viva Engage, and what every one of them shares.

This module loads the "Viva Engage activity user detail" report (``getYammerActivityUserDetail``,
as CSV from the admin centre or Graph, or as Graph's ``$format=application/json``): posted, read
and liked counts per user over a report period, the only source of reads, hence the only way to
tell lurkers from absent people. Each file becomes dated snapshots in ``usage_snapshots`` (refresh
date, period), kept for good: the service only keeps 180 days. Users are matched by their User
Principal Name (their e-mail).

A **concealed** report (the tenant setting every tenant has had by default since September 2021)
replaces names by 32-hex digests that meet nothing: such a file creates no person and no
snapshot; its counts are kept for the organisation as a whole (``usage_org_snapshots``) and the
load says how an administrator shows names again.

The groups and device reports (:mod:`ingest.m365_groups`, :mod:`ingest.m365_devices`) read
their files with the helpers below: the CSV as Microsoft writes it, or re-saved by Excel (dates
such as ``3/5/2024 2:02:11 PM``, a ``;`` separator in some locales), or Graph's JSON.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingest.canonical import create_staging, purged_before, write_accounts
from ingest.common import (
    Context,
    IngestError,
    InputCount,
    all_rejected,
    counts_from,
    csv_header,
    csv_line_of_record,
    csv_rejects,
    queries,
    quote_identifier,
    read_csv_staging,
    record_no,
    require_columns,
    store_parse_rejects,
)
from ruche.i18n import N_, _

SOURCE = "m365-engage-activity"
STEPS = 3

FIELDS = {
    "report_refresh_date": "Report Refresh Date",
    "name": "User Principal Name",
    "user_state": "User State",
    "is_deleted": "Is Deleted",
    "last_activity_date": "Last Activity Date",
    "posted_count": "Posted Count",
    "read_count": "Read Count",
    "liked_count": "Liked Count",
    "report_period": "Report Period",
}
REQUIRED = ["Report Refresh Date", "User Principal Name", "Posted Count", "Read Count", "Liked Count", "Report Period"]

#: How an administrator makes the reports name their users again (Microsoft 365 admin center).
UNCONCEAL = N_(
    "to get per-person and per-group figures, a global administrator turns concealment off in the "
    "Microsoft 365 admin center > Settings > Org settings > Services > Reports: clear \"Display concealed "
    "user, group, and site names in all reports\" (Graph: PATCH /admin/reportSettings "
    "displayConcealedNames=false), then downloads the reports again"
)

# Report Refresh Date, Last Activity Date: as Microsoft writes them, or as Excel re-saves them
# (month first in the United States, day first where the list separator is ';').
_ISO = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
_MONTH_FIRST = ["%m/%d/%Y", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
                "%m-%d-%Y", "%m-%d-%Y %I:%M:%S %p", "%m-%d-%Y %H:%M:%S"]
_DAY_FIRST = ["%d/%m/%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M",
              "%d-%m-%Y", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M"]


# --------------------------------------------------------------------------------------------
# Recognising a report from its first bytes


def report_source(head: str) -> str | None:
    """The Microsoft 365 source a file's first bytes announce (CSV with ``,`` or ``;``, or Graph
    JSON), or None.

    >>> report_source("Report Refresh Date;User Principal Name;Read Count;Report Period")
    'm365-engage-activity'
    >>> report_source('{"value":[{"reportRefreshDate":"2017-09-01","groupDisplayName":"x"}]}')
    'm365-engage-groups'
    >>> report_source("User principal name,Display name,Object Id,Licenses")
    'm365-users'
    """
    text = head.lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        keys = {k.lower() for k in re.findall(r'"([A-Za-z0-9@._]+)"\s*:', text)}
        if "value" not in keys or "reportrefreshdate" not in keys:
            return None
        # Graph's answer: the first record's properties (the head may end inside it)
        if "groupdisplayname" in keys:
            return "m365-engage-groups"
        if any(k.startswith("used") for k in keys):
            return "m365-engage-devices"
        return "m365-engage-activity" if keys & {"userprincipalname", "readcount"} else None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    columns = {c.strip().strip('"').replace(" ", "").lower() for c in first.split(delimiter)}
    if "reportrefreshdate" in columns:
        if "groupdisplayname" in columns:
            return "m365-engage-groups"
        if "usedweb" in columns:
            return "m365-engage-devices"
        if "readcount" in columns:
            return "m365-engage-activity"
        return None
    if "userprincipalname" in columns and ({"objectid", "blockcredential", "licenses"} & columns):
        return "m365-users"
    return None


# --------------------------------------------------------------------------------------------
# Reading a report: CSV (Microsoft's or Excel's) or Graph JSON, into a staging table of text


@dataclass
class Report:
    """How one report file is written: its columns, its separator (None: Graph JSON), and whether
    its slashed dates put the day first."""

    columns: list[str]
    delimiter: str | None
    day_first: bool = False
    paged: bool = False  # Graph's JSON: one page of an answer that has more (@odata.nextLink)

    @property
    def is_json(self) -> bool:
        return self.delimiter is None

    def where(self, record: int, path: Path) -> str:
        """``line N`` of a CSV (the header is line 1), ``record N`` of a JSON answer."""
        if self.is_json:
            return _("record {record}").format(record=record)
        return _("line {line}").format(line=csv_line_of_record(path, record))

    def date_formats(self) -> list[str]:
        return _ISO + (_DAY_FIRST if self.day_first else _MONTH_FIRST)


def open_report(ctx: Context, table: str, fields: dict[str, str], required: list[str], what: str) -> tuple[Report, list[dict]]:
    """Read the report at ``ctx.path`` into temp view ``table`` (``record_no`` and one text column
    per key of ``fields``, from the CSV column or JSON property its value names). Returns how the
    file is written and the CSV lines that could not be parsed (``{line, reason}``)."""
    if ctx.path.is_dir():
        raise IngestError(_("{file}: a folder; a Microsoft 365 report is one CSV or JSON file").format(file=ctx.label))
    with open(ctx.path, "rb") as fh:
        head = fh.read(1 << 16)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        report = Report(_json_staging(ctx, table, fields), None)
        report.paged = ctx.scalar(f"select next_page is not null from {table}_doc")
        parse_rejects: list[dict] = []
    else:
        report = Report(*_csv_header(ctx.path, ctx.label))
        by_lower = {c.lower(): c for c in report.columns}
        select = ", ".join(
            f"{quote_identifier(by_lower[column.lower()]) if column.lower() in by_lower else 'null::varchar'} as {field}"
            for field, column in fields.items())
        if report.delimiter == ",":
            parse_rejects = read_csv_staging(ctx, table, ctx.path, ctx.label, report.columns, select)
        else:
            parse_rejects = _csv_staging(ctx, table, report, select)
    require_columns([c.lower() for c in report.columns], [c.lower() for c in required], ctx.label,
                    _("{report}: {columns}").format(report=_(what), columns=", ".join(required)))
    report.day_first = _day_first(ctx, table, [f for f in fields if f.endswith("_date")], report)
    return report, parse_rejects


def _csv_header(path: Path, label: str) -> tuple[list[str], str]:
    """The columns of a report CSV and its separator: ``,``, or ``;`` where Excel's locale uses it."""
    columns = csv_header(path, label)
    if len(columns) == 1 and ";" in columns[0]:
        return [c.strip() for c in next(csv.reader(io.StringIO(columns[0]), delimiter=";"))], ";"
    return columns, ","


def _csv_staging(ctx: Context, table: str, report: Report, select: str) -> list[dict]:
    """A CSV separated by ``;`` as text in temp view ``table``: what ``read_csv_staging`` does for
    a ``,`` (which every other CSV goes through), with the file's separator."""
    view, rej = f"{table}_csv", f"rej_{table}_csv"
    ctx.con.execute(
        f"""
        create or replace temp view {view} as
        select {select}
        from read_csv('{str(ctx.path).replace("'", "''")}', header = true, all_varchar = true, store_rejects = true,
                      rejects_table = '{rej}', rejects_scan = '{rej}_scan', quote = '"', escape = '"',
                      delim = '{report.delimiter}', strict_mode = true, null_padding = false)
        """
    )
    ctx.con.execute(f"create or replace temp table {table}_rows as select * from {view}")
    ctx.con.execute(f"create or replace temp view {table} as select {record_no(table + '_rows')} as record_no, * from {table}_rows")
    return csv_rejects(ctx, view, ctx.label, report.columns)


def _json_staging(ctx: Context, table: str, fields: dict[str, str]) -> list[str]:
    """Graph's JSON answer (``{"value": [{...}, ...]}``) as text in temp view ``table``; returns
    the report columns its records hold. Property names are matched without case or spaces
    (``reportRefreshDate`` is Report Refresh Date); numbers keep the text JSON gave them, so that
    ``12.5`` or ``-5`` is refused like in a CSV."""
    try:
        ctx.con.execute(
            f"create or replace temp table {table}_doc as "
            "select json_extract(content::json, '$.value') as v, "
            "json_extract_string(content::json, '$.\"@odata.nextLink\"') as next_page from read_text(?)",
            [str(ctx.path)])
        kind, n = ctx.con.execute(f"select json_type(v), json_array_length(v) from {table}_doc").fetchone()
    except Exception as exc:  # DuckDB's conversion error: the file is not JSON
        if "json" not in str(exc).lower() and "malformed" not in str(exc).lower():
            raise
        raise IngestError(_("{file}: not valid JSON (expected Graph's answer, {{\"value\": [...]}})").format(
            file=ctx.label)) from None
    if kind != "ARRAY":
        raise IngestError(_("{file}: no \"value\" list (expected Graph's answer, {{\"value\": [...]}})").format(file=ctx.label))
    if n == 0:
        raise IngestError(_("{file}: no data rows (Graph's answer holds an empty \"value\" list)").format(file=ctx.label))
    # the list parsed once, its records numbered as they come (an index into it per record would
    # parse the whole answer again for each one)
    ctx.con.execute(
        f"create or replace temp table {table}_rows as "
        f"select generate_subscripts(records, 1) as record_no, unnest(records) as r "
        f"from (select from_json(v, '[\"json\"]') as records from {table}_doc)")
    keys = {_json_key(k): k for (k,) in ctx.con.execute(f"select distinct unnest(json_keys(r)) from {table}_rows").fetchall()
            if re.fullmatch(r"[A-Za-z0-9@._]+", k)}
    present = [column for column in fields.values() if _json_key(column) in keys]
    select = ", ".join(
        f"json_extract_string(r, '$.\"{keys[_json_key(column)]}\"') as {field}" if _json_key(column) in keys
        else f"null::varchar as {field}" for field, column in fields.items())
    ctx.con.execute(f"create or replace temp view {table} as select record_no, {select} from {table}_rows")
    return present


def _json_key(column: str) -> str:
    """The (lower-cased) Graph property of a report column: ``Report Refresh Date`` -> ``reportrefreshdate``."""
    return re.sub(r"[^a-z0-9]", "", column.lower())


def _day_first(ctx: Context, table: str, date_fields: list[str], report: Report) -> bool:
    """Whether the file's slashed or dotted dates (Excel's) put the day first: a first number over
    12 says so, a second one over 12 says the month comes first; with neither, Excel's locale
    decides: ``;`` separators and dotted dates are written day first, ``,`` month first."""
    if not date_fields:
        return False
    values = " union all ".join(f"select trim({f}) as v from {table}" for f in date_fields)
    first, second, dotted = ctx.con.execute(
        f"""
        with dates as ({values}),
        parts as (
            select regexp_extract(v, '^(\\d{{1,2}})[/.-](\\d{{1,2}})[/.-]\\d{{4}}', ['a', 'b']) as p, v like '%.%.%' as dotted
            from dates where regexp_matches(v, '^\\d{{1,2}}[/.-]\\d{{1,2}}[/.-]\\d{{4}}')
        )
        select max(p.a::integer), max(p.b::integer), bool_or(dotted) from parts
        """
    ).fetchone()
    if first is None:
        return False
    if first > 12 and second > 12:
        raise IngestError(_("{file}: dates neither day-first nor month-first (both parts above 12); download the "
                            "report again rather than re-saving it").format(file=ctx.label))
    if first > 12:
        return True
    if second > 12:
        return False
    return bool(dotted) or report.delimiter == ";"


def latest_plausible_day() -> date:
    """The last day a report may be dated: the end of next year (a later date is a typing error)."""
    return date(date.today().year + 1, 12, 31)


def is_concealed(ctx: Context, table: str, column: str) -> bool:
    """Whether every name of the report in ``column`` is a 32-hex digest (a concealed report)."""
    named, digests = ctx.con.execute(
        f"select count(*) filter (where nullif(trim({column}), '') is not null), "
        f"count(*) filter (where regexp_full_match(trim({column}), '[0-9A-Fa-f]{{32}}')) from {table}"
    ).fetchone()
    return named > 0 and digests == named


def check_pages(label: str, report: Report, concealed: bool) -> None:
    """One page of Graph's paged answer: its users are loaded (a warning says others exist), but
    the organisation's totals of a concealed page would be a page's, not the organisation's."""
    if not report.paged:
        return
    if concealed:
        raise IngestError(_("{file}: one page of a paged Graph answer (@odata.nextLink) whose names are concealed: "
                            "its totals would not be the organisation's; download the report as CSV, or follow "
                            "@odata.nextLink and load every page's records in one file").format(file=label))
    warn(_("{file}: one page of a paged Graph answer (@odata.nextLink): the users of the other pages are not in "
           "this file; load them too").format(file=label))


def warn_concealed(label: str, what: str) -> None:
    warn(_("{file}: the report's names are concealed (32-hex digests): {what}; {unconceal}").format(
        file=label, what=what, unconceal=_(UNCONCEAL)))


def warn(message: str) -> None:
    """A warning of the load on stderr, in the language in use."""
    print(_("ruche {command}: warning: {message}").format(command="ingest", message=message), file=sys.stderr)


def first_failure(ctx: Context, label: str, table: str, report: Report, parse_rejects: list[dict], count: InputCount) -> None:
    """Stop the load when the file holds no rows, or when every row is rejected (the wrong file)."""
    if count.read == 0:
        raise IngestError(_("{file}: no data rows (expected one row per user or group after the header)").format(file=label))
    if count.rejected < count.read:
        return
    if parse_rejects:
        first = parse_rejects[0]
        raise all_rejected(label, first["line"], first["reason"])
    record, reason = ctx.con.execute(
        f"select record_no, reject_reason from {table} where reject_reason is not null order by record_no limit 1"
    ).fetchone()
    raise all_rejected(label, report.where(record, ctx.path), reason)


def checks(report: Report) -> dict:
    """The bound parameters of every report's ``stage`` statement."""
    return {"date_formats": report.date_formats(), "latest_day": latest_plausible_day(),
            "line_offset": 0 if report.is_json else 1}


# --------------------------------------------------------------------------------------------
# Loading a report: the steps every report shares (m365.sql), with its own (its .sql file)


@dataclass(frozen=True)
class Kind:
    """What sets one report apart: its columns and its own SQL statements (``stage``, ``already``,
    ``insert``, ``totals``, and ``keys`` for a report of groups)."""

    sql: str  # the file of its own statements
    prefix: str  # their names' prefix in that file
    fields: dict[str, str]  # staging field -> report column; ``name`` names a row
    required: list[str]
    title: str  # "the Viva Engage ... report", for messages
    rows: str  # the input's name in the summary: "report rows"
    target: str  # the table its rows go to
    people: bool  # its rows are users (matched to people), not communities
    last_step: str  # the progress step of the insert
    concealed_loses: str  # what a concealed report does not give

    def own(self, statement: str) -> tuple[str, str]:
        return self.sql, self.prefix + statement

    @property
    def counts(self) -> list[str]:
        """The report's count columns, in its order: every field named ``*_count``."""
        return [f for f in self.fields if f.endswith("_count")]


_COUNT_FIELD = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*_count")
_LABEL = re.compile(r"[A-Za-z0-9 ]+")


def stage_sql(kind: Kind) -> str:
    """The shared ``stage`` statement for the report's count columns. The names put into the SQL
    are the report's own fields and their column labels, checked against a narrow allow-list."""
    fields = kind.counts
    for f in fields:
        if not _COUNT_FIELD.fullmatch(f) or not _LABEL.fullmatch(kind.fields[f]):
            raise ValueError(f"not a count column: {f!r}")
    indent = " " * 8
    parts = {
        "{counts}": "".join(f"\n{indent}m365_count({f}) as {f}," for f in fields),
        "{count_fields}": "".join(f", {f}" for f in fields),
        "{count_checks}": f"\n{indent}    ".join(
            f"when {f} is null then '{kind.fields[f]} is not a whole number of zero or more'" for f in fields),
    }
    sql = queries("m365.sql")["stage"]
    for placeholder, text in parts.items():
        sql = sql.replace(placeholder, text)
    return sql


def load_report(ctx: Context, kind: Kind) -> list[InputCount]:
    """Load one report: read it, check every row, match its users to people (or key its groups),
    decide each row's outcome, then insert its rows (a concealed report: its totals) and rejects."""
    report, parse_rejects = open_report(ctx, "stg_m365_raw", kind.fields, kind.required, kind.title)
    ctx.progress.step(_("report read"))
    concealed = is_concealed(ctx, "stg_m365_raw", "name")
    check_pages(ctx.label, report, concealed)
    ctx.run("m365.sql", "macros")
    params = checks(report) | {"concealed": concealed, "name_label": kind.fields["name"],
                               "others": "users" if kind.people else "groups"}
    ctx.con.execute(stage_sql(kind), {k: v for k, v in params.items() if f"${k}" in queries("m365.sql")["stage"]})
    ctx.run(*kind.own("stage"))
    ctx.run(*(("m365.sql", "concealed_already") if concealed else kind.own("already")))
    cut_off = None
    if not kind.people:
        ctx.run(*kind.own("keys"))
    elif concealed:
        ctx.progress.step(_("concealed names: no people"))
        ctx.run("m365.sql", "concealed_keys")
    else:
        create_staging(ctx)
        ctx.run("m365.sql", "accounts", {"input": kind.rows})
        write_accounts(ctx)
        ctx.progress.step(_("accounts"))
        ctx.run("m365.sql", "person_keys")
        cut_off = purged_before(ctx)
    ctx.run("m365.sql", "outcomes", {"purged_before": cut_off})
    counts = counts_from(ctx.con, queries("m365.sql")["counts"],
                         {"input": f"{kind.rows} (concealed names)" if concealed else kind.rows})
    count = counts[0] if counts else InputCount(kind.rows)
    count.read += len(parse_rejects)
    count.rejected += len(parse_rejects)
    first_failure(ctx, ctx.label, "stg_m365", report, parse_rejects, count)
    if concealed:
        ctx.run(*kind.own("totals"))
        ctx.run("m365.sql", "org_totals")
        warn_concealed(ctx.label, _("{lost} was loaded, only the organisation's totals (ruche metrics "
                                    "organisation-usage)").format(lost=_(kind.concealed_loses)))
    else:
        ctx.run(*kind.own("insert"))
    ctx.run("m365.sql", "rejects", {"target": kind.target, "people": kind.people})
    store_parse_rejects(ctx, ctx.label, kind.target, parse_rejects)
    ctx.progress.step(_(kind.last_step))
    return [count]


# --------------------------------------------------------------------------------------------
# The activity report

ACTIVITY = Kind(
    sql="m365.sql", prefix="activity_", fields=FIELDS, required=REQUIRED,
    title=N_("the Viva Engage activity user detail report"), rows="report rows", target="usage_snapshots",
    people=True, last_step=N_("snapshots"), concealed_loses=N_("no person and no per-person figure"),
)


def load(ctx: Context) -> list[InputCount]:
    return load_report(ctx, ACTIVITY)

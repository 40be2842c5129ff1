"""Slack's member analytics (Enterprise Grid, ``admin.analytics.getFile`` with ``type=member``).

One file per day, gzip-compressed as the API serves it (``.json.gz``) or unpacked (``.json``):
one JSON object per line, per member and day: ``date``, ``user_id``, ``email_address``,
``is_guest``, ``is_active`` (Slack's "active": read or posted a message in a channel or DM that
day), ``messages_posted_count``, ``reactions_added_count`` and device and call flags.

What it gives is Slack's readers: the export holds only what people wrote, never who read it.
Each line becomes a snapshot in ``usage_snapshots`` (source ``slack-analytics``, period of one
day), like a Microsoft 365 usage report: presence, never activities. The counts are kept as
they are (``posted_count`` = messages posted, ``liked_count`` = reactions added) and
``read_count`` is 1 when Slack counts the member active that day, else 0: Slack reports no
number of reads. A message posted in a Slack export and counted again in the analytics is
therefore one contribution (the export's activity) and one day of presence, never two
contributions. Members are accounts of their own source, joined to people by their e-mail;
guests (``is_guest``) are external.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
import zlib
from pathlib import Path

import duckdb

from ingest.canonical import create_staging, purged_before, write_accounts
from ingest.common import Context, IngestError, InputCount, all_rejected, counts_from, json_lines_error, queries
from ruche.i18n import N_, _

SOURCE = "slack-analytics"
STEPS = 3

COLUMNS = {
    "date": "VARCHAR", "user_id": "VARCHAR", "email_address": "VARCHAR", "is_guest": "VARCHAR",
    "is_active": "VARCHAR", "messages_posted_count": "VARCHAR", "reactions_added_count": "VARCHAR",
    "date_claimed": "VARCHAR",
}
#: The keys that make a JSON object a line of member analytics (source detection).
MEMBER_KEYS = {"date", "user_id", "is_active"}
EXPECTED = N_("one JSON object per line with date, user_id, is_active (Slack member analytics)")


def is_member_record(obj) -> bool:
    """Whether a parsed JSON line looks like a line of Slack member analytics.

    >>> is_member_record({"date": "2020-10-05", "user_id": "W1", "is_active": True, "is_guest": False})
    True
    >>> is_member_record({"type": "version", "version": 1})
    False
    """
    return isinstance(obj, dict) and MEMBER_KEYS <= obj.keys()


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def load(ctx: Context) -> list[InputCount]:
    if ctx.path.is_dir():
        raise IngestError(_("{file}: a folder; Slack member analytics are one file per day (.json or .json.gz)").format(
            file=ctx.label))
    with tempfile.TemporaryDirectory(prefix="ruche-slack-analytics-") as scratch:
        path = _plain(ctx.path, ctx.label, Path(scratch))
        _check(path, ctx.label)
        struct = "{" + ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items()) + "}"
        try:
            ctx.con.execute(
                f"""
                create or replace temp table stg_slack_analytics_raw as
                select row_number() over () as record_no, *
                from read_json($path, format = 'newline_delimited', compression = 'uncompressed',
                               columns = {struct})
                """,
                {"path": str(path)},
            )
        except duckdb.Error as exc:
            raise _diagnose(path, ctx.label, exc) from None
    ctx.progress.step(_("member days read"))
    create_staging(ctx)
    ctx.run("slack_analytics.sql", "stage")
    ctx.run("slack_analytics.sql", "accounts")
    write_accounts(ctx)
    ctx.progress.step(_("members"))
    ctx.run("slack_analytics.sql", "snapshots", {"purged_before": purged_before(ctx)})
    counts = counts_from(ctx.con, queries("slack_analytics.sql")["counts"])
    count = counts[0] if counts else InputCount("member days")
    if count.read == 0:
        raise IngestError(_("{file}: no member lines (expected {what})").format(file=ctx.label, what=_(EXPECTED)))
    if count.rejected == count.read:
        line, reason = ctx.con.execute(
            "select record_no, reject_reason from stg_slack_analytics_outcomes where outcome = 'rejected' "
            "order by record_no limit 1").fetchone()
        raise all_rejected(ctx.label, line, reason, "line")
    ctx.run("slack_analytics.sql", "insert")
    ctx.run("slack_analytics.sql", "rejects")
    ctx.progress.step(_("snapshots"))
    return [count]


def _plain(path: Path, label: str, scratch: Path) -> Path:
    """The file's JSON lines: itself, or unpacked from gzip into ``scratch`` (checked whole: a
    truncated download must stop the load, not lose its last members)."""
    if not is_gzip(path):
        return path
    target = scratch / "member-analytics.json"
    try:
        with gzip.open(path, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (EOFError, OSError, zlib.error) as exc:
        raise IngestError(_("{file}: truncated or damaged gzip file ({error}; expected the .json.gz "
                            "admin.analytics.getFile serves)").format(file=label, error=exc)) from None
    return target


def _check(path: Path, label: str) -> None:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise IngestError(_("{file}: empty file (expected {what})").format(file=label, what=_(EXPECTED)))
    first = head.split(b"\n", 1)[0]
    try:
        first.decode("utf-8")
    except UnicodeDecodeError:
        if len(first) < len(head) or len(head) < (1 << 16):
            raise IngestError(_("{file}, line 1: not UTF-8 text (expected {what})").format(
                file=label, what=_(EXPECTED))) from None


def _diagnose(path: Path, label: str, exc: duckdb.Error) -> IngestError:
    """The first line DuckDB could not read (only after a failure)."""
    return json_lines_error(path, label, exc, _(EXPECTED))
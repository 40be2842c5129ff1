"""A Mattermost bulk export: JSON lines (or a ZIP holding one ``.jsonl``).

``user`` lines are accounts (by username; ``system_guest`` role: a guest), ``channel`` lines are
spaces, ``post`` and ``direct_post`` lines are posts, their ``replies`` are replies to the post's
author, their ``reactions`` ties to the author of what they react to. ``@username`` in a message
is a mention. System posts such as "x joined the channel." are presence (``join``), other
system posts are skipped. Direct channels are kept only as a digest of their members.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ingest.canonical import create_staging, write_accounts, write_activities, write_spaces
from ingest.common import Context, IngestError, InputCount, counts_from, export_folder, json_lines_error, queries

from ruche.i18n import _

SOURCE = "mattermost"
STEPS = 4
COLUMNS = {"type": "VARCHAR", "user": "JSON", "channel": "JSON", "post": "JSON", "direct_post": "JSON"}


def _jsonl(ctx: Context, folder: Path | None) -> tuple[Path, str]:
    if folder is None:
        return ctx.path, ctx.label
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".jsonl", ".json"))
    if len(files) != 1:
        raise IngestError(_("{file}: expected one .jsonl file in the archive (found {n})").format(file=ctx.label, n=len(files)))
    return files[0], f"{ctx.label}/{files[0].name}"


def load(ctx: Context) -> list[InputCount]:
    if ctx.path.is_dir() or open(ctx.path, "rb").read(2) == b"PK":
        with export_folder(ctx.path, ctx.label) as folder:
            return _load(ctx, *_jsonl(ctx, folder))
    return _load(ctx, ctx.path, ctx.label)


def _check_first_line(path: Path, label: str) -> None:
    with open(path, "rb") as fh:
        first = fh.readline()
    if not first.strip():
        raise IngestError(_("{file}: empty file (expected a Mattermost bulk export, first line {{\"type\":\"version\"}})").format(
            file=label))
    try:
        obj = json.loads(first.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise IngestError(_("{file}, line 1: not JSON (expected {{\"type\":\"version\",\"version\":1}})").format(
            file=label)) from None
    except RecursionError:
        raise IngestError(_("{file}, line 1: JSON nested too deeply (expected {{\"type\":\"version\",\"version\":1}})").format(
            file=label)) from None
    if not isinstance(obj, dict) or obj.get("type") != "version":
        raise IngestError(_("{file}, line 1: not a Mattermost bulk export (expected {{\"type\":\"version\",\"version\":1}})").format(
            file=label))


def _load(ctx: Context, path: Path, label: str) -> list[InputCount]:
    _check_first_line(path, label)
    struct = "{" + ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items()) + "}"
    try:
        ctx.con.execute(
            f"""
            create or replace temp table stg_mm_raw as
            select row_number() over () as line_no, *
            from read_json($path, format = 'newline_delimited', columns = {struct})
            """,
            {"path": str(path)},
        )
    except duckdb.Error as exc:
        raise _diagnose(path, label, exc) from None
    ctx.progress.step(_("lines read"))
    create_staging(ctx)
    saved = ctx.label
    ctx.label = label
    try:
        ctx.run("mattermost.sql", "accounts")
        accounts = write_accounts(ctx)
        ctx.run("mattermost.sql", "spaces")
        ctx.run("mattermost.sql", "messages")
        ctx.run("mattermost.sql", "direct_spaces")
        spaces = write_spaces(ctx)
        ctx.progress.step(_("accounts and channels"))
        ctx.run("mattermost.sql", "events")
        ctx.progress.step(_("posts"))
        activities = write_activities(ctx, unknown_actor="user not among the export's users")
        other = counts_from(ctx.con, queries("mattermost.sql")["other_lines"])
    finally:
        ctx.label = saved
    return accounts + spaces + activities + other


def _diagnose(path: Path, label: str, exc: duckdb.Error) -> IngestError:
    """The first line DuckDB could not read (only after a failure)."""
    return json_lines_error(path, label, exc, _("one JSON object per line, as Mattermost's bulk export writes"),
                            lambda obj: None if isinstance(obj.get("type", ""), str) else '"type" is not a string')
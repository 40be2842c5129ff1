"""A Slack workspace export (ZIP or folder).

- ``users.json`` (or ``org_users.json`` on Enterprise Grid): accounts; bots are accounts, never
  people; guests (``is_restricted``, ``is_ultra_restricted``) are external.
- ``channels.json``, ``groups.json``, ``mpims.json``, ``dms.json``: spaces (DM and group-DM names
  are not kept: they are made of user names).
- ``<channel>/<YYYY-MM-DD>.json``: messages. Human messages and file shares are posts, thread
  replies and file comments are replies (a tie to the thread root's author, else
  ``parent_user_id``; to the file's owner), reactions are ties to the message's author at the
  message's time (none when that author is a bot), ``<@U…>`` in human messages are mentions,
  ``channel_join`` is presence. Bot messages (``subtype = bot_message`` or a non-null
  ``bot_id``) and other system subtypes are read and skipped by rule.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ingest.canonical import create_staging, write_accounts, write_activities, write_spaces
from ingest.common import Context, IngestError, InputCount, export_folder

SOURCE = "slack"
STEPS = 5

USER_COLUMNS = {
    "id": "VARCHAR", "deleted": "BOOLEAN", "is_bot": "BOOLEAN", "is_restricted": "BOOLEAN",
    "is_ultra_restricted": "BOOLEAN", "profile": "JSON",
}
CHANNEL_COLUMNS = {"id": "VARCHAR", "name": "VARCHAR", "created": "VARCHAR", "is_ext_shared": "BOOLEAN"}
MESSAGE_COLUMNS = {
    "type": "VARCHAR", "subtype": "VARCHAR", "ts": "VARCHAR", "user": "VARCHAR", "bot_id": "VARCHAR",
    "text": "VARCHAR", "thread_ts": "VARCHAR", "parent_user_id": "VARCHAR", "reactions": "JSON",
    "files": "JSON", "file": "JSON", "comment": "JSON", "attachments": "JSON",
}
CHANNEL_LISTS = {"channels.json": "channel", "groups.json": "private-channel", "mpims.json": "direct", "dms.json": "direct"}


def _struct(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"


def _read_error(exc: duckdb.Error, folder: Path, label: str) -> IngestError:
    message = str(exc).split("\n")[0]
    m = re.search(r'file "([^"]+)"', message)
    where = label
    if m:
        try:
            where = f"{label}/{Path(m.group(1)).resolve().relative_to(folder.resolve())}"
        except ValueError:
            where = f"{label}/{Path(m.group(1)).name}"
        message = re.sub(r'in file "[^"]+",?\s*', "", message)
    message = re.sub(r"^[A-Za-z ]+Error: ", "", message)
    return IngestError(f"{where}: not valid Slack JSON ({message}; expected a JSON array of objects)")


def _check_array_ends(path: Path, folder: Path, label: str) -> None:
    """A truncated day file would still parse (the JSON reader is lenient): check both ends."""
    with open(path, "rb") as fh:
        head = fh.read(64).lstrip()
        fh.seek(max(0, path.stat().st_size - 64))
        tail = fh.read().rstrip()
    if not head.startswith(b"[") or not tail.endswith(b"]"):
        where = f"{label}/{path.relative_to(folder)}"
        raise IngestError(f"{where}: not valid Slack JSON (truncated or not an array; "
                          f"expected a JSON array of objects from '[' to ']')")


def _check_json_file(path: Path, label: str) -> None:
    if path.stat().st_size == 0 or not path.read_bytes()[:4096].strip():
        raise IngestError(f"{label}: empty file (expected a JSON array)")


def load(ctx: Context) -> list[InputCount]:
    with export_folder(ctx.path, ctx.label) as folder:
        return _load_folder(ctx, folder)


def _load_folder(ctx: Context, folder: Path) -> list[InputCount]:
    con = ctx.con
    users = folder / "users.json"
    if not users.exists() and (folder / "org_users.json").exists():
        users = folder / "org_users.json"
    for required in (users, folder / "channels.json"):
        if not required.exists():
            raise IngestError(f"{ctx.label}: no {required.name} (expected a Slack export: users.json, channels.json, one folder per channel)")
        _check_json_file(required, f"{ctx.label}/{required.name}")
    create_staging(ctx)
    try:
        con.execute(
            f"""
            create or replace temp table stg_slack_users_raw as
            select row_number() over () as record_no, *
            from read_json($path, format = 'array', columns = {_struct(USER_COLUMNS)})
            """,
            {"path": str(users)},
        )
        parts = []
        for name, kind in CHANNEL_LISTS.items():
            f = folder / name
            if f.exists() and f.stat().st_size:
                _check_json_file(f, f"{ctx.label}/{name}")
                parts.append(
                    f"select '{name}' as input, '{kind}' as kind, row_number() over () as record_no, * "
                    f"from read_json('{_sql_string(f)}', format = 'array', columns = {_struct(CHANNEL_COLUMNS)})"
                )
        con.execute("create or replace temp table stg_slack_channels_raw as " + " union all by name ".join(parts))
        ctx.progress.step("users and channels")
        day_files = sorted(str(p) for p in folder.glob("*/*.json"))
        for f in day_files:
            _check_array_ends(Path(f), folder, ctx.label)
        if day_files:
            con.execute(
                f"""
                create or replace temp table stg_slack_messages_raw as
                with raw as (
                    select * from read_json($files, format = 'array', filename = true,
                                            columns = {_struct(MESSAGE_COLUMNS)})
                )
                select
                    parse_dirpath(filename) as folder_path,
                    parse_filename(parse_dirpath(filename)) as folder,
                    parse_filename(parse_dirpath(filename)) || '/' || parse_filename(filename) as file,
                    row_number() over (partition by filename) as record_no,
                    * exclude (filename, "file"),
                    "file" as file_obj
                from raw
                where type is null or type = 'message'
                """,
                {"files": day_files},
            )
        else:
            con.execute(
                "create or replace temp table stg_slack_messages_raw as select null::varchar as folder_path, "
                "null::varchar as folder, null::varchar as file, null::bigint as record_no, "
                + ", ".join(f'null::{t} as "{c}"' for c, t in MESSAGE_COLUMNS.items() if c != "file")
                + ", null::json as file_obj where false"
            )
    except duckdb.Error as exc:
        raise _read_error(exc, folder, ctx.label) from None
    ctx.progress.step(f"{len(day_files):,} day files read")
    ctx.run("slack.sql", "accounts")
    ctx.run("slack.sql", "unknown_accounts")
    accounts = write_accounts(ctx)
    ctx.run("slack.sql", "spaces")
    ctx.run("slack.sql", "folder_spaces")
    spaces = write_spaces(ctx)
    ctx.progress.step("accounts and channels")
    ctx.run("slack.sql", "messages")
    ctx.run("slack.sql", "events")
    ctx.progress.step("messages")
    activities = write_activities(ctx, unknown_actor="author not in users.json")
    ctx.progress.step("activities")
    return accounts + spaces + activities


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")

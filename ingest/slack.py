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

import json
import re
import tempfile
from pathlib import Path

import duckdb

from ingest.canonical import create_staging, write_accounts, write_activities, write_spaces
from ingest.common import Context, Export, IngestError, InputCount, open_export, zip_member
from ruche.i18n import _, count, ngettext, pgettext

SOURCE = "slack"
STEPS = 5

USER_COLUMNS = {
    "id": "VARCHAR", "deleted": "BOOLEAN", "is_bot": "BOOLEAN", "is_restricted": "BOOLEAN",
    "is_ultra_restricted": "BOOLEAN", "profile": "JSON",
}
CHANNEL_COLUMNS = {"id": "VARCHAR", "name": "VARCHAR", "created": "VARCHAR", "is_ext_shared": "BOOLEAN"}
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
    return IngestError(_("{file}: not valid Slack JSON ({error}; expected a JSON array of objects)").format(
        file=where, error=message))


def _check_json_file(path: Path, label: str) -> None:
    """Refuse an empty or blank file, reading its first 4 kB only (users.json of a big workspace
    is gigabytes, read by DuckDB within memory_limit)."""
    with open(path, "rb") as f:
        start = f.read(4096)
    if not start.strip():
        raise IngestError(_("{file}: empty file (expected a JSON array)").format(file=label))


def load(ctx: Context) -> list[InputCount]:
    # a ZIP's day files are read from the archive: unpacking thousands of small files costs more
    # than everything else the load does
    with open_export(ctx.path, ctx.label, extract=lambda name: "/" not in name) as export:
        return _load_export(ctx, export)


def _load_export(ctx: Context, export: Export) -> list[InputCount]:
    con = ctx.con
    folder = export.folder
    users = folder / "users.json"
    if not users.exists() and (folder / "org_users.json").exists():
        users = folder / "org_users.json"
    for required in (users, folder / "channels.json"):
        if not required.exists():
            raise IngestError(_("{file}: no {name} (expected a Slack export: users.json, channels.json, one folder per "
                                "channel)").format(file=ctx.label, name=required.name))
        _check_json_file(required, f"{ctx.label}/{required.name}")
    create_staging(ctx, events_table=False)
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
    except duckdb.Error as exc:
        raise _read_error(exc, folder, ctx.label) from None
    ctx.progress.step(_("users and channels"))
    with tempfile.TemporaryDirectory(prefix="ruche-slack-") as scratch:
        days = DayFiles(export, ctx.label, _folder_names(ctx))
        batches = days.pack(Path(scratch))
        try:
            ctx.run("slack.sql", "messages", {"day_files": batches})
        except duckdb.Error as exc:
            raise days.diagnose(exc) from None
    ctx.progress.step(ngettext("{n} day file read", "{n} day files read", len(days.names)).format(n=count(len(days.names))))
    ctx.run("slack.sql", "accounts")
    ctx.run("slack.sql", "unknown_accounts")
    accounts = write_accounts(ctx)
    ctx.run("slack.sql", "spaces")
    ctx.run("slack.sql", "folder_spaces")
    spaces = write_spaces(ctx)
    ctx.progress.step(_("accounts and channels"))
    ctx.run("slack.sql", "events")
    ctx.progress.step(_("messages"))
    activities = write_activities(ctx, unknown_actor="author not in users.json")
    ctx.progress.step(pgettext("progress", "activities"))
    return accounts + spaces + activities


def _folder_names(ctx: Context) -> dict[str, str]:
    """How a folder of day files is named in messages and stored rows: a channel (public or
    private) by its name, a DM or group DM by its id (group-DM folders are made of user names),
    any other folder by a pseudonym (``folder-<digest>``: a folder no channel list declares may be
    named after people too)."""
    names: dict[str, str] = {}
    for name, channel_id, kind in ctx.con.execute(
            "select name, id, kind from stg_slack_channels_raw where id is not null").fetchall():
        names[channel_id] = channel_id
        if name is not None:
            names.setdefault(name, name if kind in ("channel", "private-channel") else channel_id)
    return _Folders(names, ctx.pseudonymiser.hash)


class _Folders(dict):
    def __init__(self, known: dict[str, str], digest):
        super().__init__(known)
        self.digest = digest

    def __missing__(self, folder: str) -> str:
        return f"folder-{self.digest(folder)}"


#: A day file's name: its day.
DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")


class DayFiles:
    """The day files of an export (``<channel>/<YYYY-MM-DD>.json``), in a folder or still in the ZIP.

    :meth:`pack` copies them, checked, into a few files of one JSON object per day file,
    ``{"day_file": "<channel>/<day>.json", "folder": "<channel>", "messages": [...]}``, that DuckDB
    reads in parallel in one statement (``slack.sql: messages``): thousands of tiny files cost more
    to open, one by one, than their bytes cost to parse. ``day_file`` names the folder as
    ``folders`` says (never a group DM's name); ``folder`` is the folder itself, for finding its
    channel, and never leaves the load. Day files deeper than a channel folder
    (``a/b/2024-01-05.json``) are read and their messages counted, then skipped: they are no
    channel's.
    """

    BATCH_BYTES = 8 << 20

    def __init__(self, export: Export, label: str, folders: dict[str, str] | None = None):
        self.export, self.label = export, label
        self.folders = folders if folders is not None else _Folders({}, lambda v: v)
        if export.archive is None:
            found = (str(p.relative_to(export.folder)).replace("\\", "/") for p in export.folder.rglob("*.json")
                     if p.is_file())
        else:
            found = (n for n in export.members if n.endswith(".json"))
        # a channel's files, and day files one folder deeper or more
        self.names = sorted(n for n in found if n.count("/") == 1 or (n.count("/") > 1 and DAY_FILE.match(n.rsplit("/", 1)[1])))

    def display(self, name: str) -> str:
        """A day file as messages and stored rows name it."""
        folder, day = name.rsplit("/", 1)
        return f"{self.folders[folder]}/{day}"

    def _contents(self):
        for name in self.names:
            if self.export.archive is None:
                yield name, (self.export.folder / name).read_bytes()
            else:
                yield name, zip_member(self.export.archive, self.export.members[name], self.label)

    def pack(self, scratch: Path) -> list[str]:
        """Write the batches into ``scratch``; return their paths (at least one, maybe empty)."""
        batches: list[str] = []
        out, size = None, 0
        try:
            for name, data in self._contents():
                # DuckDB's JSON reader accepts a truncated array: check both ends
                if data.lstrip()[:1] != b"[" or data.rstrip()[-1:] != b"]":
                    raise IngestError(_("{file}: not valid Slack JSON (truncated or not an array; expected a JSON "
                                        "array of objects from '[' to ']')").format(file=f"{self.label}/{self.display(name)}"))
                if out is None or size >= self.BATCH_BYTES:
                    if out is not None:
                        out.close()
                    batches.append(str(scratch / f"days-{len(batches):05d}.json"))
                    out, size = open(batches[-1], "wb"), 0
                folder = name.rsplit("/", 1)[0]
                out.write(b'{"day_file":' + json.dumps(self.display(name)).encode()
                          + b',"folder":' + json.dumps(folder).encode()
                          + b',"nested":' + (b"true" if "/" in folder else b"false")
                          + b',"messages":' + data + b"}\n")
                size += len(data)
        finally:
            if out is not None:
                out.close()
        if not batches:
            batches.append(str(scratch / "days-none.json"))
            Path(batches[0]).touch()
        return batches

    def diagnose(self, exc: duckdb.Error) -> IngestError:
        """The day file DuckDB could not read, found by parsing each one (only after a failure)."""
        for name, data in self._contents():
            try:
                messages = json.loads(data)
            except ValueError as err:
                return IngestError(_("{file}: not valid Slack JSON ({error}; expected a JSON array of objects)").format(
                    file=f"{self.label}/{self.display(name)}", error=err))
            except RecursionError:
                return IngestError(_("{file}: not valid Slack JSON (nested too deeply; expected a JSON array of "
                                     "objects)").format(file=f"{self.label}/{self.display(name)}"))
            if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
                return IngestError(_("{file}: not valid Slack JSON (expected a JSON array of objects)").format(
                    file=f"{self.label}/{self.display(name)}"))
        message = re.sub(r"^[A-Za-z ]+Error: ", "", str(exc).split("\n")[0])
        return IngestError(_("{file}: day files not readable as Slack JSON ({error}; expected a JSON array of objects "
                             "per file)").format(file=self.label, error=message))


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")

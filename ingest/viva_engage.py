"""The Viva Engage (Yammer) network data export, a ZIP or its folder.

- ``Users.csv``: accounts (deleted users stay, flagged; a user whose e-mail domain is not the
  enterprise's is a guest, hence external). Job title and location fill profile completeness.
- ``Groups.csv``: spaces. Messages outside any group land in "All Company", or in a private
  conversation.
- ``Messages.csv``: a thread starter is a post, anything else a reply, tied to the author of
  ``replied_to_id`` (else of the thread's starter, found in this export or an earlier one).
  ``[[user:ID]]`` references in a body are mentions. Deleted messages (``deleted_at``) are read
  and skipped: the network removed them. Senders that are not users (``sender_type``) are bots.
  Bodies are reduced to their length and whether they carry a link or a file while being read.

The export holds no reads and no likes: load the Microsoft 365 activity report for those.
"""

from __future__ import annotations

from pathlib import Path

from ingest.canonical import create_staging, write_accounts, write_activities, write_spaces
from ingest.common import (
    Context,
    IngestError,
    InputCount,
    csv_header,
    csv_rejects,
    csv_view,
    export_folder,
    read_csv_staging,
    renamed,
    require_columns,
    store_parse_rejects,
)

SOURCE = "viva-engage"
STEPS = 6

USER_FIELDS = ["id", "email", "job_title", "location", "joined_at", "deleted_at", "state"]
GROUP_FIELDS = ["id", "name", "created_at", "private", "external"]
MESSAGE_FIELDS = ["id", "replied_to_id", "thread_id", "conversation_id", "group_id", "group_name",
                  "in_private_conversation", "sender_id", "sender_type", "sender_email", "attachments",
                  "deleted_at", "created_at", "message_type", "body"]


def stage(ctx: Context) -> list[dict]:
    """Read the export's files into temporary tables, before the load's transaction (see
    :func:`ingest.runner.load_one`): nothing here reads or writes the store, and tables staged
    outside the transaction are read in parallel by the statements that follow. Returns the lines
    the CSV reader could not parse."""
    with export_folder(ctx.path, ctx.label) as folder:
        return _stage_folder(ctx, folder)


def load(ctx: Context, staged: list[dict] | None = None) -> list[InputCount]:
    """Map the staged export (``staged``: what :func:`stage` returned; staged here when None) to the
    canonical tables."""
    if staged is None:
        staged = stage(ctx)
    return _load_staged(ctx, staged)


def _member(folder: Path, name: str, label: str) -> Path:
    f = folder / name
    if not f.exists():
        matches = [p for p in folder.iterdir() if p.name.lower() == name.lower()]
        if not matches:
            raise IngestError(f"{label}: no {name} (expected a Viva Engage network data export: "
                              f"Messages.csv, Users.csv, Groups.csv, ...)")
        f = matches[0]
    return f


def _stage(ctx: Context, folder: Path, name: str, table: str, fields: list[str], required: list[str]) -> list[dict]:
    path = _member(folder, name, ctx.label)
    label = f"{ctx.label}/{name}"
    header = csv_header(path, label)
    require_columns([c.lower() for c in header], required, label, f"the {name} of a Viva Engage export")
    cols = renamed(header, fields)
    rejects = read_csv_staging(ctx, table, path, label, header, ", ".join(f"{e} as {f}" for f, e in cols.items()))
    for r in rejects:
        r["file"] = name
    return rejects


def _stage_messages(ctx: Context, folder: Path) -> list[dict]:
    """Messages.csv, read once: ``viva_engage.sql: messages`` reduces it, in the same pass, to what
    the load needs (bodies to their length, links and mentions)."""
    name = "Messages.csv"
    path = _member(folder, name, ctx.label)
    label = f"{ctx.label}/{name}"
    header = csv_header(path, label)
    require_columns([c.lower() for c in header], ["id", "sender_id", "created_at"], label,
                    f"the {name} of a Viva Engage export")
    cols = renamed(header, MESSAGE_FIELDS)
    csv_view(ctx, "stg_viva_messages_csv", path, ", ".join(f"{e} as {f}" for f, e in cols.items()))
    ctx.run("viva_engage.sql", "messages")
    # the row id of the first message: record numbers follow from it (common.record_no)
    ctx.con.execute("set variable viva_first_rowid = (select min(rowid) from stg_viva_messages)")
    rejects = csv_rejects(ctx, "stg_viva_messages_csv", label, header)
    for r in rejects:
        r["file"] = name
    return rejects


def _parse_count(name: str, rejects: list[dict]) -> InputCount:
    n = sum(1 for r in rejects if r["file"] == name)
    return InputCount(name, read=n, rejected=n)


def _merge(counts: list[InputCount], parse: list[InputCount]) -> list[InputCount]:
    by_name = {c.name: c for c in counts}
    for p in parse:
        if p.read:
            c = by_name.setdefault(p.name, InputCount(p.name))
            c.read += p.read
            c.rejected += p.rejected
    return list(by_name.values())


def _stage_folder(ctx: Context, folder: Path) -> list[dict]:
    create_staging(ctx, events_table=False)
    rejects = _stage(ctx, folder, "Users.csv", "stg_viva_users_raw", USER_FIELDS, ["id", "email"])
    rejects += _stage(ctx, folder, "Groups.csv", "stg_viva_groups_raw", GROUP_FIELDS, ["id"])
    ctx.progress.step("users and groups")
    rejects += _stage_messages(ctx, folder)
    messages_read = ctx.scalar("select count(*) from stg_viva_messages")
    if messages_read == 0 and not any(r["file"] == "Messages.csv" for r in rejects):
        # an export of a network without messages is legal, but an empty file is not an export
        if (_member(folder, "Messages.csv", ctx.label)).stat().st_size == 0:
            raise IngestError(f"{ctx.label}/Messages.csv: empty file (expected a header row)")
    ctx.progress.step(f"{messages_read:,} messages read")
    ctx.run("viva_engage.sql", "events")
    return rejects


def _load_staged(ctx: Context, rejects: list[dict]) -> list[InputCount]:
    ctx.run("viva_engage.sql", "home_domains", {"home_domains": list(ctx.settings.home_domains or [])})
    ctx.run("viva_engage.sql", "accounts")
    ctx.run("viva_engage.sql", "unknown_accounts")
    accounts = write_accounts(ctx)
    ctx.run("viva_engage.sql", "spaces")
    spaces = write_spaces(ctx)
    ctx.progress.step("accounts and groups")
    ctx.progress.step("messages")
    activities = write_activities(ctx, unknown_actor="sender_id not in Users.csv")
    for r in rejects:
        store_parse_rejects(ctx, f"{ctx.label}/{r['file']}", r["file"].removesuffix(".csv").lower(), [r])
    ctx.progress.step("activities")
    parse = [_parse_count(n, rejects) for n in ("Users.csv", "Groups.csv")]
    parse.append(InputCount("messages", read=sum(1 for r in rejects if r["file"] == "Messages.csv"),
                            rejected=sum(1 for r in rejects if r["file"] == "Messages.csv")))
    return _merge(accounts + spaces + activities, parse)

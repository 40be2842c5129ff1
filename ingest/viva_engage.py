"""The Viva Engage (Yammer) network data export, a ZIP or its folder.

An export holds one network, or several ("Include external networks": one folder per network,
each with its own ``Messages.csv``, ``Users.csv``, ``Groups.csv``). The home network is the
folder at the top of the export when it holds a ``Messages.csv``; else the network with the most
users at a home domain (configured, learnt from the HR directory or from an earlier export); else
the network whose users' most common e-mail domain is found in the most other networks (an
external network is opened by the home network's people, who are members of both); else the
network with the most users. The home network's most common domain is the home domain when
nothing else says it. People at a home domain are internal, whichever network lists them (one
person per e-mail); the other networks' people, at other domains, are guests, hence external.

An export may be incremental (the Data Export API's ``since=``): its ``Users.csv`` and
``Groups.csv`` then list only the users and groups changed since, possibly none. Users and groups
its messages name without listing them keep what an earlier export established; the e-mail domain
learnt from the first export's users is remembered (``home_domains``). A message listed with
``deleted_at`` removes the copy an earlier export loaded (and its mentions).

- ``Users.csv``: accounts (deleted users stay, flagged; a user whose e-mail domain is not the
  enterprise's is a guest, hence external). Job title and location fill profile completeness.
- ``Groups.csv``: spaces. Messages outside any group land in "All Company", or in a private
  conversation.
- ``Messages.csv``: a thread starter is a post, anything else a reply, tied to the author of
  ``replied_to_id`` (else of the thread's starter, found in this export or an earlier one).
  ``[[user:ID]]`` references in a body are mentions. Deleted messages (``deleted_at``) are read
  and skipped: the network removed them (a reply written before keeps its tie to their author). Senders that are not users (``sender_type``) are bots.
  Bodies are reduced to their length and whether they carry a link or a file while being read.

The export holds no reads and no likes: load the Microsoft 365 activity report for those.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb

from ingest.canonical import attach_known_accounts, create_staging, write_accounts, write_activities, write_spaces
from ingest.common import (
    Context,
    IngestError,
    InputCount,
    csv_header,
    csv_rejects,
    csv_view,
    queries,
    export_folder,
    read_csv_staging,
    renamed,
    require_columns,
    store_parse_rejects,
)
from ruche.i18n import _, count, pgettext

SOURCE = "viva-engage"
STEPS = 6

USER_FIELDS = ["id", "email", "job_title", "location", "joined_at", "deleted_at", "state"]
GROUP_FIELDS = ["id", "name", "created_at", "private", "external"]
MESSAGE_FIELDS = ["id", "replied_to_id", "thread_id", "conversation_id", "group_id", "group_name",
                  "in_private_conversation", "sender_id", "sender_type", "sender_email", "attachments",
                  "deleted_at", "created_at", "message_type", "body"]


def _network_files(name: str) -> bool:
    """What is unpacked from a ZIP: the CSV files at its top and in the network folders one level
    down ("Include external networks"), never the attachments.

    >>> [_network_files(n) for n in ["Messages.csv", "Partners/Users.csv", "files/1/report.csv", "files/a.png"]]
    [True, True, False, False]
    """
    return name.count("/") <= 1 and name.lower().endswith(".csv")


def stage(ctx: Context) -> list[dict]:
    """Read the export's files into temporary tables, before the load's transaction (see
    :func:`ingest.runner.load_one`): nothing here writes the store, and tables staged outside
    the transaction are read in parallel by the statements that follow. Returns, per network
    (the home network first), its folder's name and the lines the CSV reader could not parse."""
    try:
        with export_folder(ctx.path, ctx.label, extract=_network_files) as folder:
            networks = _networks(ctx, folder)
            staged = []
            for i, (name, network) in enumerate(networks):
                sub = dataclasses.replace(ctx, label=f"{ctx.label}/{name}" if name else ctx.label)
                staged.append({"network": name, "rejects": _stage_folder(sub, network)})
                if len(networks) > 1:
                    _set_aside(ctx, i)
            return staged
    except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
        # unpacking a ZIP that holds a file and a folder of one name
        name = Path(exc.filename or "").name
        raise IngestError(_("{file}: the ZIP holds a file and a folder both named {name!r} (expected a Viva Engage "
                            "network data export: Messages.csv, Users.csv, ...)").format(file=ctx.label, name=name)) from None


def load(ctx: Context, staged: list[dict] | None = None) -> list[InputCount]:
    """Map the staged export (``staged``: what :func:`stage` returned; staged here when None) to the
    canonical tables, network by network."""
    if staged is None:
        staged = stage(ctx)
    counts: list[InputCount] = []
    for i, network in enumerate(staged):
        name = network["network"]
        if len(staged) > 1:
            _take_back(ctx, i)
        sub = dataclasses.replace(ctx, label=f"{ctx.label}/{name}" if name else ctx.label)
        ctx.con.execute("set variable export_label = ?", [sub.label])
        loaded = _load_staged(sub, network["rejects"], first=i == 0)
        if len(staged) > 1:
            for c in loaded:
                c.name = f"{name}/{c.name}"
        counts += loaded
    ctx.con.execute("set variable export_label = ?", [ctx.label])
    return counts


#: The staging tables of one network; an export of several networks sets each one's aside
#: (suffixed by its rank) until its turn.
STAGED_TABLES = ("stg_viva_users_raw_rows", "stg_viva_groups_raw_rows", "stg_viva_messages")


def _set_aside(ctx: Context, i: int) -> None:
    for t in STAGED_TABLES:
        ctx.con.execute(f"alter table {t} rename to {t}_n{i}")


def _take_back(ctx: Context, i: int) -> None:
    for t in STAGED_TABLES:
        ctx.con.execute(f"drop table if exists {t}")
        ctx.con.execute(f"alter table {t}_n{i} rename to {t}")


def _find(folder: Path, name: str) -> Path | None:
    f = folder / name
    if f.is_file():
        return f
    matches = [p for p in folder.iterdir() if p.name.lower() == name.lower() and p.is_file()]
    return matches[0] if matches else None


def _member(folder: Path, name: str, label: str) -> Path:
    f = _find(folder, name)
    if f is None:
        if (folder / name).is_dir():
            raise IngestError(_("{file}: a folder, not a file (expected a Viva Engage network data export: "
                                "Messages.csv, Users.csv, Groups.csv, ...)").format(file=f"{label}/{name}"))
        raise IngestError(_("{file}: no {name} (expected a Viva Engage network data export: Messages.csv, Users.csv, "
                            "Groups.csv, ...)").format(file=label, name=name))
    return f


def _networks(ctx: Context, folder: Path) -> list[tuple[str, Path]]:
    """The networks of the export, the home network first: ``(folder name, folder)``, the name
    empty for the export's own top folder (see the module's docstring for the choice of home)."""
    subs = sorted((p for p in folder.iterdir() if p.is_dir() and _find(p, "Messages.csv") is not None),
                  key=lambda p: p.name)
    if _find(folder, "Messages.csv") is not None or not subs:
        _member(folder, "Messages.csv", ctx.label)  # a clear error when there is none
        return [("", folder)] + [(p.name, p) for p in subs]
    if len(subs) == 1:
        return [(subs[0].name, subs[0])]
    domains = {p: _domains(ctx, p) for p in subs}
    known = {r[0] for r in ctx.con.execute(
        "select pseudonym(unnest(cast(? as varchar[]))) union select domain_id from home_domains",
        [list(ctx.settings.home_domains or [])]).fetchall()}
    known_domains = {d for counts in domains.values() for d in counts
                     if ctx.scalar("select pseudonym(?)", [d]) in known}

    def rank(p: Path) -> tuple:
        counts = domains[p]
        main = max(counts, key=lambda d: (counts[d], d)) if counts else None
        # external networks are opened by the home network's people, members of both
        shared = sum(1 for q in subs if q != p and main in domains[q])
        return (-sum(n for d, n in counts.items() if d in known_domains), -shared, -sum(counts.values()), p.name)

    return [(p.name, p) for p in sorted(subs, key=rank)]


def _domains(ctx: Context, folder: Path) -> dict[str, int]:
    """Users per e-mail domain in a network's Users.csv (held in memory only, to rank the
    networks; an unreadable file is reported when it is staged)."""
    users = _find(folder, "Users.csv")
    if users is None:
        return {}
    try:
        rows = ctx.con.execute(
            "select split_part(lower(trim(email)), '@', 2), count(*) "
            "from read_csv(?, header = true, all_varchar = true, ignore_errors = true) "
            "where email like '%@%' group by 1",
            [str(users)],
        ).fetchall()
    except duckdb.Error:
        return {}
    return dict(rows)


def _stage(ctx: Context, folder: Path, name: str, table: str, fields: list[str], required: list[str]) -> list[dict]:
    path = _member(folder, name, ctx.label)
    label = f"{ctx.label}/{name}"
    header = csv_header(path, label)
    require_columns([c.lower() for c in header], required, label,
                    _("the {name} of a Viva Engage export").format(name=name))
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
                    _("the {name} of a Viva Engage export").format(name=name))
    cols = renamed(header, MESSAGE_FIELDS)
    csv_view(ctx, "stg_viva_messages_csv", path, ", ".join(f"{e} as {f}" for f, e in cols.items()))
    ctx.run("viva_engage.sql", "messages")
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
    ctx.con.execute(queries("viva_engage.sql")["macros"])
    rejects = _stage(ctx, folder, "Users.csv", "stg_viva_users_raw", USER_FIELDS, ["id", "email"])
    rejects += _stage(ctx, folder, "Groups.csv", "stg_viva_groups_raw", GROUP_FIELDS, ["id"])
    ctx.progress.step(_("users and groups"))
    rejects += _stage_messages(ctx, folder)
    messages_read = ctx.scalar("select count(*) from stg_viva_messages")
    if messages_read == 0 and not any(r["file"] == "Messages.csv" for r in rejects):
        # an export of a network without messages is legal, but an empty file is not an export
        if (_member(folder, "Messages.csv", ctx.label)).stat().st_size == 0:
            raise IngestError(_("{file}: empty file (expected a header row)").format(file=f"{ctx.label}/Messages.csv"))
    ctx.progress.step(_("{n} messages read").format(n=count(messages_read)))
    return rejects


def _load_staged(ctx: Context, rejects: list[dict], first: bool) -> list[InputCount]:
    # the row id of the first message: record numbers follow from it (common.record_no)
    ctx.con.execute("set variable viva_first_rowid = (select coalesce(min(rowid), 0) from stg_viva_messages)")
    ctx.con.execute("create or replace temp view stg_viva_users_raw as select "
                    "(rowid - (select min(rowid) from stg_viva_users_raw_rows) + 1) as record_no, * "
                    "from stg_viva_users_raw_rows")
    ctx.con.execute("create or replace temp view stg_viva_groups_raw as select "
                    "(rowid - (select min(rowid) from stg_viva_groups_raw_rows) + 1) as record_no, * "
                    "from stg_viva_groups_raw_rows")
    ctx.run("viva_engage.sql", "events")
    if first:
        # the home network's users teach the home domain when nothing else does
        ctx.run("viva_engage.sql", "home_domains", {"home_domains": list(ctx.settings.home_domains or [])})
        ctx.run("viva_engage.sql", "remember_home_domain")
    create_staging(ctx, events_table=False)
    ctx.run("viva_engage.sql", "group_rejects")
    rejects = rejects + [
        {"file": "Groups.csv", "line": line, "reason": reason}
        for line, reason in ctx.con.execute("select line, reason from stg_viva_group_rejects order by line").fetchall()
    ]
    ctx.run("viva_engage.sql", "refs")
    ctx.run("viva_engage.sql", "accounts")
    ctx.run("viva_engage.sql", "unknown_accounts")
    accounts = write_accounts(ctx)
    attach_known_accounts(ctx)
    ctx.run("viva_engage.sql", "spaces")
    spaces = write_spaces(ctx)
    ctx.progress.step(_("accounts and groups"))
    ctx.progress.step(_("messages"))
    activities = write_activities(
        ctx, unknown_actor="sender_id not in Users.csv, nor listed by an earlier export, and no sender_email")
    for r in rejects:
        store_parse_rejects(ctx, f"{ctx.label}/{r['file']}", r["file"].removesuffix(".csv").lower(), [r])
    ctx.progress.step(pgettext("progress", "activities"))
    parse = [_parse_count(n, rejects) for n in ("Users.csv", "Groups.csv")]
    parse.append(InputCount("messages", read=sum(1 for r in rejects if r["file"] == "Messages.csv"),
                            rejected=sum(1 for r in rejects if r["file"] == "Messages.csv")))
    return _merge(accounts + spaces + activities, parse)

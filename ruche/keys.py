"""The pseudonymisation key against the store: checking it, and rotating it (``ruche key``).

A store records the fingerprint of the key it was built with (``store_meta.key_fingerprint``:
the pseudonym of a fixed text). :func:`verify` refuses a different key, so that a command never
mixes pseudonyms of two keys, nor resolves names with the wrong one, silently.

Rotation
--------
A pseudonym is HMAC(key, identifier). It cannot be inverted, and the store holds no identifier,
so the new pseudonyms cannot be computed from the store alone; and HMAC(new key, old pseudonym)
would not do: a later load hashes the raw identifiers with the new key and would match nobody.
Rotation therefore re-reads the exports the store was built from (``--from``: the directory,
the networks' exports; older files too, for people who have left since) and builds the mapping
old pseudonym -> new pseudonym from the identifiers found there:

1. the files are loaded, in memory only, by the ingest code itself into a scratch store whose
   ``pseudonym(x)`` does not hash but *marks* its argument (``\\x01x\\x02``). Every stored value
   that ingest derives from identifiers then holds the identifiers, marked, exactly where the
   pseudonyms would be (nested ones too: a Mattermost thread is the pseudonym of a key holding the
   pseudonym of a direct channel), and the text of every event key it digests (``event_uid``) is
   captured on the way;
2. each marked value is resolved twice, innermost marks first, with the old key and with the new
   one (the same SQL macro ingest uses): that is the value the store holds, and the value a load
   under the new key will produce;
3. every column that depends on the key (:func:`ruche.inventory.pseudonym_columns`) is updated
   through that mapping, in the copy :func:`ruche.store.writing` publishes at once, with the new
   key's fingerprint. Event keys (``activities.activity_uid``) are keyed digests of those texts:
   each text gives the event's key under the old key (or its unkeyed digest, in a store loaded
   before event keys were keyed) and under the new one.

A pseudonym of the store that none of the files explains (a leaver no export lists any more) is
*unmapped*. Rotation then refuses and changes nothing, listing them per column, unless
``--unlink-unmapped``: they get a fresh random pseudonym (HMAC under a throw-away key), so their
history is kept but can never again be linked to anybody, by the old key or the new.

The identifiers read from the files stay in memory, in the scratch store, and are dropped with
it. The old key is not touched: the administrator destroys it once the new one is in use.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import duckdb

from ruche import inventory, lake
from ruche.errors import RucheError
from ruche.i18n import N_, _, count
from ruche.privacy import _SQL_NORMALISED, KeyFileError, Pseudonymiser, load_key

FINGERPRINT = "key_fingerprint"
OPEN, CLOSE = "\x01", "\x02"
_INNERMOST = re.compile("\x01([^\x01\x02]*)\x02")
_PSEUDONYM = re.compile("[0-9a-f]{32}")


class KeyMismatch(RucheError):
    """The store was built with another pseudonymisation key."""


class RotationRefused(RucheError):
    """Rotation would leave pseudonyms of the old key in the store."""


def stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("select value from store_meta where key = ?", [FINGERPRINT]).fetchone()
    return row[0] if row else None


def verify(con: duckdb.DuckDBPyConnection, pseudonymiser: Pseudonymiser, what: str = N_("the configured key")) -> None:
    """Raise :class:`KeyMismatch` unless the store was built with ``pseudonymiser``'s key.

    A store no load has written to yet (no fingerprint) accepts any key.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into store_meta values ('key_fingerprint', ?)", [Pseudonymiser(b"a" * 32).fingerprint()])
    >>> verify(con, Pseudonymiser(b"a" * 32))
    >>> verify(con, Pseudonymiser(b"b" * 32))
    Traceback (most recent call last):
    ...
    ruche.keys.KeyMismatch: this store was built with another pseudonymisation key than the configured key: ...
    """
    stored = stored_fingerprint(con)
    if stored is not None and stored != pseudonymiser.fingerprint():
        raise KeyMismatch(
            _("this store was built with another pseudonymisation key than {what}: use the key it was "
              "built with (key_file or RUCHE_KEY); `ruche key check` tells whether a key matches").format(what=_(what))
        )


def key_origin(settings: Any, env: dict | None = None) -> str:
    """Where the configured key comes from, for messages."""
    env = os.environ if env is None else env
    return "RUCHE_KEY" if env.get("RUCHE_KEY") else _("the key file {path}").format(path=Path(settings.key_file).expanduser())


# --------------------------------------------------------------------------------------------
# Replaying exports with marked identifiers


class _Marker:
    """Stands in for :class:`ruche.privacy.Pseudonymiser` during a replay: marks, never hashes."""

    def hash(self, value: str | None) -> str | None:
        if value is None:
            return None
        v = str(value).strip(" \t\r\n").lower()
        return f"{OPEN}{v}{CLOSE}" if v else None

    def fingerprint(self) -> str:
        return "replay"

    def install(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            f"create or replace temp macro pseudonym(x) as "
            f"case when nullif({_SQL_NORMALISED}, '') is null then null "
            f"else chr(1) || {_SQL_NORMALISED} || chr(2) end"
        )


@dataclass
class Replay:
    values: set[str] = field(default_factory=set)  # marked values, as stored columns hold them
    event_keys: set[str] = field(default_factory=set)  # texts digested into activity_uid (some marked)
    files: int = 0


def replay(paths: Iterable[str | os.PathLike], settings: Any) -> Replay:
    """Load ``paths`` into a scratch in-memory store with marked identifiers; collect the marked values."""
    from ingest.runner import detect, load_one, remember_directory_columns
    from ruche.store import connect

    found = Replay()
    scratch = connect(":memory:")
    try:
        scratch.execute("set TimeZone = 'UTC'")
        scratch.execute("set enable_progress_bar = false")
        marker = _Marker()
        marker.install(scratch)

        def capture(text: str) -> str:
            found.event_keys.add(text)
            return text

        scratch.create_function("ruche_capture", capture, ["VARCHAR"], "VARCHAR", side_effects=True)
        # event keys are digested with event_uid(): see what goes in (the digest itself only has
        # to tell events apart inside the scratch store)
        scratch.execute(
            "create or replace temp macro event_uid(x) as "
            "case when x is not null then md5_number(ruche_capture(x)) end"
        )
        remember_directory_columns(settings)
        plan = [(Path(p), detect(Path(p))) for p in paths]
        plan.sort(key=lambda item: item[1] != "directory")  # the reference population first
        for path, source in plan:
            load_one(scratch, path, source, settings, marker)
            found.files += 1
        columns = scratch.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'main' and data_type in ('VARCHAR', 'JSON')"
        ).fetchall()
        for table, column, kind in columns:
            rows = scratch.execute(
                f'select distinct "{column}"::varchar from "{table}" where "{column}"::varchar like ?',
                ["%\\u0001%" if kind == "JSON" else f"%{OPEN}%"],
            ).fetchall()
            for (value,) in rows:
                if kind == "JSON":
                    found.values.update(_strings(json.loads(value)))
                else:
                    found.values.add(value)
        found.values = {v for v in found.values if OPEN in v}
    finally:
        scratch.close()
    return found


def _strings(obj: Any) -> Iterable[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def resolve(values: Iterable[str], pseudonymiser: Pseudonymiser) -> dict[str, str]:
    """Each marked value with its marks replaced by pseudonyms, innermost first, set-based in SQL.

    >>> p = Pseudonymiser(b"k" * 32)
    >>> resolve(["direct:\\x01ana,bo\\x02"], p) == {"direct:\\x01ana,bo\\x02": "direct:" + p.hash("ana,bo")}
    True
    """
    current = {v: v for v in values}
    con = duckdb.connect(":memory:")
    try:
        pseudonymiser.install(con)
        while True:
            inner = {m for v in current.values() for m in _INNERMOST.findall(v)}
            if not inner:
                return current
            hashed = dict(con.execute("select raw, pseudonym(raw) from unnest(?) t(raw)", [sorted(inner)]).fetchall())
            current = {k: _INNERMOST.sub(lambda m: hashed[m.group(1)] or "", v) for k, v in current.items()}
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# Rotation


@dataclass
class Rotation:
    files: int = 0
    mapped: dict[str, int] = field(default_factory=dict)  # column -> values re-pseudonymised
    unmapped: dict[str, int] = field(default_factory=dict)  # column -> values no file explains
    unlinked: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "mapped": self.mapped, "unmapped": self.unmapped, "unlinked": self.unlinked}


def _where(column: inventory.Column) -> str:
    return f"({column.where})" if column.where else "true"


def _targets() -> list[tuple[str, str, inventory.Column, str | None]]:
    """(table, column, entry, JSON key) of every place a pseudonym is stored."""
    out = []
    for table, name, col in inventory.pseudonym_columns():
        if col.pseudonym == "json":
            out += [(table, name, col, key) for key in col.keys]
        else:
            out.append((table, name, col, None))
    return out


def _label(table: str, column: str, key: str | None) -> str:
    return f"{table}.{column}" + (f"->{key}" if key else "")


def _value_sql(column: str, key: str | None) -> str:
    return f'("{column}"->>\'{key}\')' if key else f'"{column}"'


def rotate(
    con: duckdb.DuckDBPyConnection,
    old: Pseudonymiser,
    new: Pseudonymiser,
    paths: Iterable[str | os.PathLike],
    settings: Any,
    unlink_unmapped: bool = False,
) -> Rotation:
    """Re-pseudonymise the store behind ``con`` from ``old``'s key to ``new``'s (see the module's text).

    Raises :class:`KeyMismatch` when the store was not built with ``old``, and
    :class:`RotationRefused` when some pseudonyms cannot be mapped and ``unlink_unmapped`` is false;
    the caller's :func:`ruche.store.writing` then publishes nothing.
    """
    verify(con, old, N_("the current key"))
    if old.fingerprint() == new.fingerprint():
        raise RotationRefused(_("the new key is the current key"))
    found = replay(paths, settings)
    result = Rotation(files=found.files)
    marked = sorted(found.values)
    before, after = resolve(marked, old), resolve(marked, new)
    pairs = {before[v]: after[v] for v in marked}
    keys = sorted(found.event_keys)
    key_before, key_after = resolve(keys, old), resolve(keys, new)
    con.execute("create or replace temp table rotation_map (old varchar primary key, new varchar not null)")
    if pairs:
        con.executemany("insert into rotation_map values (?, ?)", list(pairs.items()))
    con.execute("create or replace temp table rotation_uid (old uhugeint, new uhugeint)")
    keyed = con.execute("select count(*) from store_meta where key = 'activity_uid_scheme'").fetchone()[0]
    event_uids(con, "rotation_uid", [key_before[k] for k in keys], old if keyed else None,
               [key_after[k] for k in keys], new)

    for table, column, entry, key in _targets():
        label = _label(table, column, key)
        value = _value_sql(column, key)
        mapping = "rotation_uid" if entry.pseudonym == "digest" else "rotation_map"
        result.unmapped[label] = con.execute(
            f'select count(distinct {value}) from "{table}" where {value} is not null and {_where(entry)} '
            f"and {value} not in (select old from {mapping})"
        ).fetchone()[0]
        result.mapped[label] = con.execute(
            f'select count(distinct {value}) from "{table}" where {_where(entry)} '
            f"and {value} in (select old from {mapping})"
        ).fetchone()[0]
    result.unmapped = {k: n for k, n in result.unmapped.items() if n}
    if result.unmapped and not unlink_unmapped:
        listing = ", ".join(f"{k}: {n}" for k, n in result.unmapped.items())
        raise RotationRefused(
            _("{n} pseudonyms of the store are in none of the files given "
              "({listing}); nothing was changed. Add the exports they come from with --from (older "
              "directory files for people who have left), or pass --unlink-unmapped to give them random "
              "pseudonyms nothing can link back (their history is kept; a later load will not recognise them)").format(
                n=count(sum(result.unmapped.values())), listing=listing)
        )
    if result.unmapped:
        _add_unlinked(con)
        result.unlinked = True

    for table, column, entry, key in _targets():
        if entry.pseudonym == "digest":
            con.execute(
                f'update "{table}" set "{column}" = m.new from rotation_uid as m '
                f'where "{table}"."{column}" = m.old and {_where(entry)}'
            )
        elif key:
            con.execute(
                # the value replaced where it stands, so the record keeps its order
                f'update "{table}" set "{column}" = replace("{column}"::varchar, to_json(m.old)::varchar, '
                f'to_json(m.new)::varchar)::json '
                f"from rotation_map as m where (\"{table}\".\"{column}\"->>?) = m.old",
                [key],
            )
        else:
            con.execute(
                f'update "{table}" set "{column}" = m.new from rotation_map as m '
                f'where "{table}"."{column}" = m.old and {_where(entry)}'
            )
    con.execute("insert or replace into store_meta values (?, ?)", [FINGERPRINT, new.fingerprint()])
    from ingest.runner import UID_SCHEME

    con.execute("insert or replace into store_meta values ('activity_uid_scheme', ?)", [UID_SCHEME])
    con.execute(
        "insert or replace into store_meta values ('key_rotated_at', ?)",
        [datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")],
    )
    con.execute("drop table if exists rotation_map")
    con.execute("drop table if exists rotation_uid")
    for name, table in inventory.TABLES.items():
        if table.dropped_on_rotation:  # results that may show pseudonyms of the old key
            con.execute(f'drop table if exists "{name}"')
    from metrics import refresh

    refresh.refresh_metrics(con, settings)
    return result


def event_uids(con: duckdb.DuckDBPyConnection, table: str, before: list[str], old: Pseudonymiser | None,
               after: list[str], new: Pseudonymiser) -> None:
    """Fill ``table`` (old, new) with the event keys of the texts ``before`` under ``old``'s key
    (``None``: the unkeyed digests of a store loaded before event keys were keyed) and of the
    texts ``after`` under ``new``'s, pairwise, set-based."""
    old_uid = old.keyed_uid_sql("md5_number(o)") if old is not None else "md5_number(o)"
    con.execute(
        f"insert into {table} select {old_uid}, {new.keyed_uid_sql('md5_number(n)')} "
        "from (select unnest(?) as o, unnest(?) as n)",
        [before, after],
    )


def _add_unlinked(con: duckdb.DuckDBPyConnection) -> None:
    """Map every pseudonym no file explains to a random one (HMAC under a key thrown away), and
    every event key to a digest under a secret thrown away."""
    throwaway = Pseudonymiser(secrets.token_bytes(32))
    olds: set[str] = set()
    for table, column, entry, key in _targets():
        if entry.pseudonym == "digest":
            con.execute(
                f'insert into rotation_uid select distinct "{column}", '
                f"md5_number('{secrets.token_hex(16)}:' || \"{column}\"::varchar) from \"{table}\" "
                f'where "{column}" is not null and {_where(entry)} and "{column}" not in (select old from rotation_uid)'
            )
            continue
        value = _value_sql(column, key)
        olds.update(
            v for (v,) in con.execute(
                f'select distinct {value} from "{table}" where {value} is not null and {_where(entry)} '
                f"and {value} not in (select old from rotation_map)"
            ).fetchall()
        )
    rows = []
    for old in sorted(olds):
        # keep the shape (a prefix such as 'direct:'), replace the pseudonym inside
        new = _PSEUDONYM.sub(lambda m: throwaway.hash(m.group(0)), old) if _PSEUDONYM.search(old) \
            else throwaway.hash(old)
        rows.append((old, new))
    if rows:
        con.executemany("insert into rotation_map values (?, ?)", rows)


# --------------------------------------------------------------------------------------------
# ruche key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ruche.cli import add_db_option

    parser.epilog = _(
        "examples:\n"
        "  ruche key check\n"
        "  ruche key rotate --new-key-file /etc/ruche/key.2027 --from hr-export.csv --from network-export.zip\n"
        "  RUCHE_NEW_KEY=... ruche key rotate --from hr-export.csv --dry-run"
    )
    actions = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    check_help = _("tell whether the configured key is the one the store was built with")
    check = actions.add_parser("check", help=check_help, description=check_help[0].upper() + check_help[1:] + ".")
    add_db_option(check)
    rot = actions.add_parser(
        "rotate",
        help=_("re-pseudonymise the store under a new key, from the exports it was built from"),
        description=_("Re-pseudonymise every identifier of the store under a new key. The exports the store "
                      "was built from (--from) give the mapping old -> new; see docs/privacy.md."),
    )
    add_db_option(rot)
    rot.add_argument("--new-key-file", metavar=_("FILE"),
                     help=_("the new key (created, mode 0600, when the file does not exist); "
                            "default: the key in $RUCHE_NEW_KEY (hexadecimal)"))
    rot.add_argument("--from", dest="sources", action="append", default=[], metavar=_("FILE"),
                     help=_("an export the store was built from (repeat: the directory, every network export)"))
    rot.add_argument("--unlink-unmapped", action="store_true",
                     help=_("give pseudonyms none of the files explains random ones, instead of refusing"))
    rot.add_argument("--dry-run", action="store_true", help=_("report what rotation would do, change nothing"))
    rot.add_argument("--json", action="store_true", help=_("print the result as JSON"))


def _new_key(args: argparse.Namespace) -> tuple[bytes, str, bool]:
    """(key, where it is, whether it is a new file). A dry run creates no file."""
    if args.new_key_file:
        path = Path(args.new_key_file).expanduser()
        if not path.exists() and args.dry_run:
            return secrets.token_bytes(32), str(path), True
        existed = path.exists()
        return load_key(path, env={}, create=True), str(path), not existed
    text = os.environ.get("RUCHE_NEW_KEY")
    if not text:
        raise KeyFileError(_("no new key: give --new-key-file FILE or set RUCHE_NEW_KEY"))
    key = load_key("-", env={"RUCHE_KEY": text}, create=False)
    return key, "RUCHE_NEW_KEY", False


class _Abandon(Exception):
    def __init__(self, result: Rotation):
        self.result = result


def run(args: argparse.Namespace, settings) -> int:
    from ruche.store import StoreError, connect, writing

    db = str(settings.db)
    if db != ":memory:" and not lake.is_lake(db) and not Path(db).exists():
        raise StoreError(_("{db}: no store here").format(db=db))
    if lake.is_lake(db) and args.action != "check":
        lake.refuse_erasing(db, "ruche key rotate", N_("the pseudonyms of the old key"))
    current = Pseudonymiser(load_key(settings.key_file, create=False))
    origin = key_origin(settings)
    if args.action == "check":
        con = connect(db, read_only=True)
        try:
            stored = stored_fingerprint(con)
        finally:
            con.close()
        if stored is None:
            print(_("{db}: no load has recorded a key yet; the first load will record {origin}.").format(
                db=db, origin=origin))
            return 0
        if stored != current.fingerprint():
            raise KeyMismatch(_("{origin} is not the key {db} was built with: loads and named views would "
                                "refuse it. Use the key the store was built with.").format(origin=origin, db=db))
        print(_("{origin} is the key {db} was built with.").format(origin=origin, db=db))
        return 0

    for path in args.sources:
        if not Path(path).exists():
            raise RucheError(_("{path}: no such file or folder").format(path=path))
    key, where, created = _new_key(args)
    new = Pseudonymiser(key)
    try:
        with writing(db) as con:
            result = rotate(con, current, new, args.sources, settings, args.unlink_unmapped)
            if args.dry_run:
                raise _Abandon(result)
    except _Abandon as abandoned:
        result = abandoned.result
    if args.json:
        print(json.dumps(dict(result.to_dict(), dry_run=args.dry_run, new_key=where), indent=2))
        return 0
    total = sum(result.mapped.values())
    lines = [_("Read {files} export(s): {total} pseudonyms mapped to the new key.").format(
        files=count(result.files), total=count(total))]
    lines += [f"  {k}: {count(n)}" for k, n in result.mapped.items() if n]
    if result.unmapped:
        lines.append(_("{n} pseudonyms no export explains were given random ones "
                       "(their history is kept, nothing links them to anybody):").format(
                           n=count(sum(result.unmapped.values()))))
        lines += [f"  {k}: {count(n)}" for k, n in result.unmapped.items()]
    if args.dry_run:
        lines.append(_("Dry run: nothing was changed."))
    else:
        if created:
            lines.append(_("The new key was created in {where} (mode 0600).").format(where=where))
        lines.append(_("The store now uses the new key ({where}): point key_file (or RUCHE_KEY) at it before "
                       "the next load.").format(where=where))
        lines.append(_("The old key ({origin}) was left in place: destroy it once the new one is in use. "
                       "Until then it links the pseudonyms of any copy or backup of the store made before "
                       "this rotation to the people in the exports.").format(origin=origin))
    print("\n".join(lines))
    return 0

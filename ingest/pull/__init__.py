"""``ruche pull``: fetch the exports from the networks' own APIs and load them as ``ruche ingest`` does.

Each source module (:mod:`pull.viva_engage`, :mod:`pull.m365`, :mod:`pull.slack`,
:mod:`pull.mattermost`) downloads what is new since its cursor into files of exactly the shapes
``ruche ingest`` reads (a Viva Engage export ZIP, the reports' CSV, a Slack export ZIP or member
analytics, a Mattermost bulk export), so a pulled file and the same file ingested by hand give
the same store. The files of one pull are loaded in one published write
(:func:`ingest.cli.load_paths`), and the source's cursor (table ``pull_state``) moves in that same
write: a pull that fails anywhere, downloading or loading, publishes nothing and moves nothing,
and the next one starts from the same point.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from ingest.common import IngestError, Progress, Summary, redact
from ruche.config import Settings
from ruche.i18n import _, day_label, ngettext
from ruche.store import StoreError, connect

from ingest.pull.http import Auth, BearerToken, Policy, PullError

#: source -> module
PULLERS = {
    "viva-engage": "ingest.pull.viva_engage",
    "m365": "ingest.pull.m365",
    "slack": "ingest.pull.slack",
    "slack-analytics": "ingest.pull.slack_analytics",
    "mattermost": "ingest.pull.mattermost",
}

_BLOCK = re.compile(r"^-- name: ([a-z0-9_]+)\s*$", re.MULTILINE)


def queries() -> dict[str, str]:
    """The named statements of ``ingest/pull/state.sql``."""
    text = (Path(__file__).parent / "state.sql").read_text(encoding="utf-8")
    parts = _BLOCK.split(text)
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class State:
    """Where a source stands: its cursor (None before its first pull) and the last day it covers."""

    cursor: str | None = None
    data_through: date | None = None
    pulled_at: datetime | None = None


@dataclass
class Job:
    """What one pull of one source needs: its settings, where to put files, how to reach the API."""

    source: str
    settings: Settings
    state: State
    since: date | None  # --since: re-read from this day (a cursor never moves back)
    folder: Path  # where this pull writes its files
    progress: Progress
    policy: Policy
    today: date  # the day the pull runs (UTC): windows end at its midnight, so only whole days are pulled

    def start_day(self, default: date | None = None) -> date:
        """The first day to pull: --since, else the cursor, else ``pull_start``, else ``default``."""
        if self.since is not None:
            return self.since
        if self.state.cursor:
            return date.fromisoformat(self.state.cursor[:10])
        if self.settings.pull_start:
            try:
                return date.fromisoformat(str(self.settings.pull_start))
            except ValueError:
                raise PullError(_("pull_start {value!r} is not a day (expected YYYY-MM-DD)").format(
                    value=self.settings.pull_start)) from None
        if default is not None:
            return default
        raise PullError(_("{source}: no earlier pull, no --since and no pull_start: say where the first pull starts "
                          "(ruche pull {source} --since YYYY-MM-DD)").format(source=self.source))


@dataclass
class Fetched:
    """What a source's pull brought: files to load (path, ``ruche ingest`` source), the cursor
    the next pull starts from and the last day covered, once they are published."""

    files: list[tuple[Path, str]]
    cursor: str
    data_through: date | None
    notes: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """The result of one source's pull, for the summary."""

    source: str
    status: str  # loaded, up to date, failed
    summaries: list[Summary] = field(default_factory=list)
    cursor: str | None = None
    data_through: date | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def format(self) -> str:
        through = day_label(self.data_through)
        if self.status == "failed":
            return _("{source}: error: {message}").format(source=self.source, message=self.error)
        if self.status == "up to date":
            lines = [_("{source}: up to date (data through {day}): nothing to pull").format(source=self.source, day=through)]
        else:
            # English keeps "file(s)" whatever the count; a catalog gives each count its form
            lines = [ngettext("{source}: pulled {n} file(s), data through {day}",
                              "{source}: pulled {n} file(s), data through {day}", len(self.summaries)).format(
                source=self.source, n=len(self.summaries), day=through)]
            lines += [s.format() for s in self.summaries]
        return "\n".join(lines + ["  " + _("note: {note}").format(note=n) for n in self.notes])

    def to_dict(self) -> dict:
        return {"source": self.source, "status": self.status, "cursor": self.cursor,
                "data_through": self.data_through.isoformat() if self.data_through else None,
                "files": [s.to_dict() for s in self.summaries], "notes": self.notes, "error": self.error}


def read_state(db: str, source: str) -> State:
    """The source's cursor in the published store (an empty state for a new store)."""
    if db == ":memory:" or not Path(db).exists():
        return State()
    try:
        con = connect(db, read_only=True)
    except StoreError:
        return State()  # a store being created, or needing migrations: the write will say
    try:
        row = con.execute(queries()["read"], {"source": source}).fetchone()
    finally:
        con.close()
    return State(*row) if row else State()


def pull_state(con) -> list[tuple]:
    """Every pulled source: (source, data_through, pulled_at, files, cursor)."""
    return con.execute(queries()["all"]).fetchall()


def secret(settings: Settings, variable: str, file_setting: str, what: str, required: bool = True) -> str | None:
    """A credential from the environment (``variable``) or the file a setting names; never the store."""
    value = os.environ.get(variable, "").strip()
    if value:
        return value
    path = getattr(settings, file_setting)
    if path:
        try:
            value = Path(path).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise PullError(_("{setting} {path}: cannot be read ({error})").format(
                setting=file_setting, path=path, error=exc.strerror)) from None
        if value:
            return value
        raise PullError(_("{setting} {path}: empty (expected {what})").format(setting=file_setting, path=path, what=what))
    if required:
        raise PullError(_("no {what}: set {variable}, or name a file holding it in {setting} (ruche.toml)").format(
            what=what, variable=variable, setting=file_setting))
    return None


def bearer(settings: Settings, variable: str, file_setting: str, what: str, needs: str) -> Auth:
    return BearerToken(secret(settings, variable, file_setting, what), needs)


def pull(
    source: str,
    settings: Settings,
    since: date | None = None,
    progress: Progress | None = None,
    wait: bool = True,
    refresh: bool = True,
    today: date | None = None,
) -> Outcome:
    """Pull one source: fetch what is new since its cursor, load it and move the cursor in one
    published write. Raises :class:`~ruche.errors.RucheError` (nothing published) on failure."""
    import importlib

    from ingest.cli import load_paths

    if source not in PULLERS:
        raise PullError(_("unknown source {source!r} (known: {known})").format(source=source, known=", ".join(PULLERS)))
    module = importlib.import_module(PULLERS[source])
    db = str(settings.db)
    progress = progress or Progress(enabled=False)
    state = read_state(db, source)
    archive = str(settings.pull_archive or "")
    if archive:
        folder = Path(archive).expanduser() / source
        folder.mkdir(parents=True, exist_ok=True)
        scratch = None
    else:
        scratch = Path(tempfile.mkdtemp(prefix=f"ruche-pull-{source}-"))
        folder = scratch
    try:
        job = Job(source=source, settings=settings, state=state, since=since, folder=folder, progress=progress,
                  policy=Policy.from_settings(settings), today=today or utc_now().date())
        try:
            fetched = module.fetch(job)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            # an answer of a shape the vendor does not document: say so, never a traceback
            raise PullError(_("{source}: the API answered in a shape Ruche does not know ({error}); nothing was "
                              "published").format(source=source, error=f"{type(exc).__name__}: {redact(str(exc))[:120]}")) from None
        if fetched is None or (not fetched.files and fetched.cursor <= (state.cursor or "")):
            return Outcome(source, "up to date", cursor=state.cursor, data_through=state.data_through,
                           notes=fetched.notes if fetched else [])
        stamp = utc_now()

        def advance(con) -> None:
            con.execute(queries()["advance"], {"source": source, "cursor": fetched.cursor,
                                               "data_through": fetched.data_through, "pulled_at": stamp,
                                               "files": len(fetched.files)})

        try:
            summaries = load_paths([str(p) for p, _ in fetched.files], sources=[s for _, s in fetched.files], db=db,
                                   settings=settings, progress=progress, wait=wait, refresh=refresh, after=advance)
        except IngestError as exc:
            if archive:
                text = _("{source}: a pulled file does not load: {message}; nothing was published")
            else:
                text = _("{source}: a pulled file does not load: {message}; nothing was published (set pull_archive "
                         "to keep the pulled files and look at them)")
            raise PullError(text.format(source=source, message=exc)) from None
        return Outcome(source, "loaded", summaries, cursor=fetched.cursor, data_through=fetched.data_through,
                       notes=fetched.notes)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def day_range(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included (none when ``last`` is before ``first``).

    >>> [d.isoformat() for d in day_range(date(2026, 2, 27), date(2026, 3, 1))]
    ['2026-02-27', '2026-02-28', '2026-03-01']
    """
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


__all__ = ["PULLERS", "pull", "Job", "Fetched", "Outcome", "PullError", "day_range", "secret", "bearer", "pull_state"]

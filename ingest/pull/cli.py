"""``ruche pull``: fetch the exports from the networks' APIs and load them, once per run (cron)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from ingest.cli import EXIT_BUSY, EXIT_ERROR, EXIT_NOT_REFRESHED, EXIT_OK, EXIT_REJECTS, refresh_derived
from ingest.common import Progress, plain_error
from ruche.config import Settings
from ruche.errors import RucheError
from ruche.i18n import N_, _
from ruche.store import WriteLockBusy

from ingest.pull import PULLERS, Outcome, PullError, pull

EPILOG = N_("""\
examples:
  ruche pull m365                          (Microsoft 365 usage reports: every day Graph still holds)
  ruche pull viva-engage --since 2026-01-01 (the network export since that day, then daily)
  ruche pull slack
  ruche pull mattermost
  ruche pull --all                         (every source of the setting pull_sources; for cron)

exit codes:
  0   pulled and loaded, or nothing new
  1   a source failed (its message says what to fix): nothing of it was published, its cursor did
      not move; with --all, the other sources were pulled
  3   loaded, but some rows were rejected
  4   loaded and published, but refreshing the derived tables after it failed
  75  another load is writing the store (--no-wait)
""")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = _("ruche pull SOURCE [--since DATE] [--db FILE]\n       ruche pull --all [--db FILE]")
    parser.description = _(
        "Fetch what is new from a network's API ({sources}) and load it as `ruche ingest` "
        "does: one published write per source, the source's cursor moved in the same write. A pull that fails "
        "publishes nothing; running it twice changes nothing. Credentials come from the environment or from "
        "files named in ruche.toml (docs/configuration.md)."
    ).format(sources=", ".join(PULLERS))
    parser.epilog = _(EPILOG)
    parser.add_argument("source", nargs="?", metavar="SOURCE", help=_("one of: {sources}").format(sources=", ".join(PULLERS)))
    parser.add_argument("--all", action="store_true", help=_("every source of the setting pull_sources"))
    parser.add_argument("--since", metavar=_("DATE"), type=date.fromisoformat,
                        help=_("pull from this day (YYYY-MM-DD) rather than from where the last pull ended"))
    parser.add_argument("--db", metavar=_("FILE"), help=_("DuckDB store (default: ./ruche.duckdb, or $RUCHE_DB)"))
    parser.add_argument("--no-wait", action="store_true", help=_("fail with exit code 75 if another load is running"))
    parser.add_argument("--json", action="store_true", help=_("print the outcome as JSON"))
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help=_("progress on stderr (default: when stderr is a terminal)"))


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.all == bool(args.source):
        raise PullError(_("name one SOURCE ({sources}) or --all").format(sources=", ".join(PULLERS)))
    if args.all:
        sources = [str(s) for s in settings.pull_sources]
        unknown = [s for s in sources if s not in PULLERS]
        if unknown:
            raise PullError(_("pull_sources: unknown source {source!r} (known: {known})").format(
                source=unknown[0], known=", ".join(PULLERS)))
        if not sources:
            raise PullError(_("pull_sources is empty: list the sources --all pulls in ruche.toml "
                              "(pull_sources = [\"viva-engage\", \"m365\"])"))
    else:
        sources = [args.source]
    outcomes: list[Outcome] = []
    code = EXIT_OK
    for source in sources:
        progress = Progress(enabled=args.progress)
        try:
            outcome = pull(source, settings, since=args.since, progress=progress, wait=not args.no_wait, refresh=False)
        except WriteLockBusy as exc:
            print(_("ruche {command}: {message}").format(command="pull", message=f"{source}: {exc}"), file=sys.stderr)
            return EXIT_BUSY
        except RucheError as exc:
            if not args.all:
                raise
            print(_("ruche {command}: error: {message}").format(command="pull", message=f"{source}: {exc}"), file=sys.stderr)
            outcomes.append(Outcome(source, "failed", error=str(exc)))
            code = EXIT_ERROR
            continue
        outcomes.append(outcome)
        if code == EXIT_OK and any(s.rejected for s in outcome.summaries):
            code = EXIT_REJECTS
    if any(s.status == "loaded" for o in outcomes for s in o.summaries):
        try:
            refresh_derived(settings.db, settings, Progress(enabled=args.progress), wait=True)
        except Exception as exc:  # the loads are published: say so, as `ruche ingest` does
            _print(outcomes, args.json)
            print(_("ruche {command}: {message}").format(command="pull", message=_(
                "the pulled data was published, but refreshing the derived tables after it failed ({error}); metrics "
                "compute from the stored rows until a later load refreshes them").format(error=plain_error(exc))),
                file=sys.stderr)
            return EXIT_NOT_REFRESHED
    _print(outcomes, args.json)
    return code


def _print(outcomes: list[Outcome], as_json: bool) -> None:
    if as_json:
        print(json.dumps([o.to_dict() for o in outcomes], indent=2))
    else:
        for o in outcomes:
            print(o.format())

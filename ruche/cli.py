"""The ``ruche`` command.

Each sub-command lives with the code it drives and exposes two functions:
``add_arguments(parser)`` and ``run(args, settings) -> int`` (the exit code).
This module only wires them together and turns expected errors into one clear
line on stderr and a non-zero exit code a scheduler can act on.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ruche import i18n
from ruche.config import Settings
from ruche.errors import RucheError
from ruche.i18n import N_, _, ngettext

# name -> (module, one-line help). Modules are imported only when their command runs,
# so `ruche --help` stays fast.
COMMANDS: dict[str, tuple[str, str]] = {
    "sample": ("ruche.sample", N_("write a synthetic company as real export files")),
    "ingest": ("ingest.cli", N_("load an export (directory, Viva Engage, Slack, ...) into the store")),
    "pull": ("ingest.pull.cli", N_("fetch the exports from the networks' APIs (Viva Engage, Microsoft 365, Slack, Mattermost) and load them")),
    "metrics": ("metrics.cli", N_("compute a metric and print it as a table, CSV or JSON")),
    "serve": ("dashboard.serve", N_("serve the dashboard on an existing store")),
    "demo": ("dashboard.demo", N_("load the bundled sample company and serve the dashboard")),
    "report": ("dashboard.report", N_("write the overview as a self-contained HTML report")),
    "notify": ("dashboard.notify", N_("send the weekly and monthly digests by e-mail and webhooks (for cron, after the nightly load)")),
    "purge": ("ruche.retention", N_("fold person-level activity older than the retention window into group aggregates, then delete it")),
    "key": ("ruche.keys", N_("check the pseudonymisation key against the store, or rotate it")),
    "lake": ("ruche.lake", N_("copy the store file into a DuckLake (catalog in PostgreSQL), shared by several machines")),
    "privacy-pack": ("ruche.privacy_pack", N_("write the data inventory, views, roles and thresholds for a works council")),
}

#: argparse's own messages, which it looks up through gettext: said in the language in use too.
ARGPARSE = (N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
            N_("argument %(argument_name)s: %(message)s"), N_("unrecognized arguments: %s"),
            N_("the following arguments are required: %s"), N_("expected one argument"),
            N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("invalid %(type)s value: %(value)r"),
            N_("%(prog)s: error: %(message)s\n"), N_("ambiguous option: %(option)s could match %(matches)s"),
            N_("expected at least one argument"), N_("expected at most one argument"),
            N_("ignored explicit argument %r"), N_("not allowed with argument %s"),
            N_("one of the arguments %s is required"), N_("can't open '%(filename)s': %(error)s"),
            N_("unknown parser %(parser_name)r (choices: %(choices)s)"))


def _argparse_plurals(n: int) -> tuple[str, ...]:
    """argparse's counted messages, marked for the catalog here (argparse looks them up itself)."""
    return (ngettext("expected %s argument", "expected %s arguments", n),
            ngettext("conflicting option string: %s", "conflicting option strings: %s", n))


argparse._ = _
argparse.ngettext = i18n.ngettext

EXIT_OK = 0
EXIT_ERROR = 1  # the input or the configuration is wrong: a person must act
EXIT_USAGE = 2  # argparse's own code for a malformed command line
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a tool whose reader went away


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ruche",
        description=_("Ruche: adoption analytics for enterprise social networks."),
        epilog=_("Run `ruche COMMAND --help` for the options and examples of each command."),
    )
    parser.add_argument("--config", metavar=_("FILE"), help=_("configuration file (default: ./ruche.toml if present)"))
    sub = parser.add_subparsers(dest="command", metavar=_("COMMAND"), required=True)
    for name, (module, help_line) in COMMANDS.items():
        help_line = _(help_line)
        p = sub.add_parser(name, help=help_line, description=help_line[0].upper() + help_line[1:] + ".",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(_module=module)
        # Parsers are filled lazily in main(), once we know which command runs.
    return parser


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """The ``--db`` option every command that opens the store takes."""
    parser.add_argument("--db", metavar=_("FILE"), help=_("DuckDB store (default: ./ruche.duckdb, or $RUCHE_DB)"))


def _command_name(argv: list[str]) -> str | None:
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--config":
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def _language(argv: list[str]) -> str | None:
    """The configured language, read before the command line is parsed so that its help speaks it
    (a configuration that does not load says so later, in the environment's language until then:
    :func:`ruche.i18n.cli_language`)."""
    path = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--config"), None)
    try:
        return Settings.load(path=path or os.environ.get("RUCHE_CONFIG") or "ruche.toml").language
    except RucheError:
        return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    i18n.set_default(i18n.cli_language(_language(argv)))
    parser = build_parser()
    # Find the command first so that only its module is imported.
    command = _command_name(argv)
    if command is not None:
        module = importlib.import_module(COMMANDS[command][0])
        sub = parser._subparsers._group_actions[0].choices[command]  # noqa: SLF001
        module.add_arguments(sub)
    args = parser.parse_args(argv)
    module = importlib.import_module(args._module)
    try:
        settings = Settings.load(
            path=args.config or os.environ.get("RUCHE_CONFIG") or "ruche.toml",
            db=getattr(args, "db", None),
        )
        i18n.set_default(i18n.cli_language(settings.language))
        if settings.memory_limit:
            from ruche.store import limit_memory

            limit_memory(settings.memory_limit)
        return int(module.run(args, settings) or EXIT_OK)
    except RucheError as exc:
        print(_("ruche {command}: error: {message}").format(command=args.command, message=exc), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(_("ruche {command}: interrupted").format(command=args.command), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped reading (`ruche metrics … | head`): stop quietly, as Unix tools do,
        # and keep Python from failing again on flushing the closed pipe at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

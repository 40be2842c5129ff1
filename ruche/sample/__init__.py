"""``ruche sample``: write a synthetic company as real export files.

The output is what an administrator would collect from a real enterprise, with nothing
pre-digested: an HR directory (``directory.csv``), a Viva Engage network data export
(``viva-engage-export.zip``), a Slack workspace export (``slack-export.zip``), one Microsoft 365
"Viva Engage activity user detail" report per month (``m365-engage-activity-YYYY-MM-DD.csv``)
and ``manifest.json``, which names the stories the sample contains (pilot department, silent
teams, bridges, ...) so that docs and tests can point at them.

The same arguments always give the same bytes: every draw comes from the seed, every file is
sorted, ZIP entries carry a fixed timestamp, and nothing depends on today's date.  See
``docs/sample.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from ruche.errors import RucheError
from ruche.i18n import _, count, day_label, number

DEFAULT_PEOPLE = 1500
DEFAULT_MONTHS = 12
DEFAULT_SEED = 42
DEFAULT_END = "2026-10-31"
MIN_PEOPLE = 200
MAX_MONTHS = 120

DIRECTORY_COLUMNS = ("id", "email", "first_name", "last_name", "department", "team", "site", "country", "level",
                     "manager_id", "frontline", "hired_on", "left_on", "job_title", "effective_from")
VIVA_FILES = ("Messages.csv", "Users.csv", "Groups.csv", "Topics.csv", "Files.csv", "Pages.csv", "Admins.csv",
              "Networks.csv", "MessageThreadsOutbound.csv", "MessageVersions.csv", "log.txt", "request.txt")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = _(
        "Write a realistic synthetic company as real export files: an HR directory, a Viva Engage "
        "network data export, a Slack workspace export and monthly Microsoft 365 usage reports. "
        "The same arguments always write the same bytes."
    )
    parser.epilog = _(
        "examples:\n"
        "  ruche sample --out sample_data                  # the bundled demo company\n"
        "  ruche sample --out /tmp/big --people 100000 --months 36\n"
    )
    parser.add_argument("--out", required=True, metavar=_("DIR"), help=_("directory to write the files into (created)"))
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE, metavar="N",
                        help=_("employees in the HR directory (default {default}, at least {least})").format(
                            default=DEFAULT_PEOPLE, least=MIN_PEOPLE))
    parser.add_argument("--months", type=int, default=DEFAULT_MONTHS, metavar="N",
                        help=_("calendar months covered, ending with the month of --end (default {default})").format(
                            default=DEFAULT_MONTHS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N",
                        help=_("random seed (default {default})").format(default=DEFAULT_SEED))
    parser.add_argument("--end", default=DEFAULT_END, metavar=_("YYYY-MM-DD"),
                        help=_("last day of the period (default {default})").format(default=DEFAULT_END))


def run(args: argparse.Namespace, settings=None) -> int:
    summary = generate(Path(args.out), people=args.people, months=args.months, seed=args.seed,
                       end=parse_end(args.end), progress=_stderr_progress())
    print(_("Wrote {people} people ({guests} guests), {viva} Viva Engage messages, {slack} Slack messages "
            "and {reactions} reactions, {months} months ({start} to {end}) in {out}:").format(
        people=count(summary["people"]), guests=count(summary["guests"]), viva=count(summary["viva_messages"]),
        slack=count(summary["slack_messages"]), reactions=count(summary["slack_reactions"]), months=summary["months"],
        start=day_label(_as_date(summary["start"])), end=day_label(_as_date(summary["end"])), out=args.out))
    for name, size in summary["files"].items():
        megabytes = _("{size} MB").format(size=number(size / 1e6, 2))
        print(f"  {name:44} {megabytes:>12}")
    out = args.out.rstrip("/") or "/"
    print(_("Load them (manifest.json describes the sample; it is not an export):") + "\n"
          f"  ruche ingest {out}/directory.csv {out}/*.zip {out}/m365-*.csv")
    return 0


def parse_end(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RucheError(_("--end must be a date written YYYY-MM-DD, not {text!r}").format(text=text)) from None


def _as_date(value):
    """A day of the summary (a date, or its ISO text) as a date, for the language to write it."""
    try:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        return value


def _stderr_progress():
    started = time.perf_counter()

    def report(message: str) -> None:
        print(_("ruche sample: {message} ({seconds} s)").format(
            message=message, seconds=number(time.perf_counter() - started)), file=sys.stderr, flush=True)

    return report


def generate(out: Path, *, people: int = DEFAULT_PEOPLE, months: int = DEFAULT_MONTHS, seed: int = DEFAULT_SEED,
             end: dt.date = dt.date.fromisoformat(DEFAULT_END), progress=None) -> dict:
    """Write the sample into ``out`` and return a summary (counts and file sizes)."""
    from ruche.sample import m365, slack, viva
    from ruche.sample.activity import Clock
    from ruche.sample.company import Period, build_company

    if people < MIN_PEOPLE:
        raise RucheError(_("--people must be at least {least} (a company needs all its departments)").format(
            least=MIN_PEOPLE))
    if not 3 <= months <= MAX_MONTHS:
        raise RucheError(_("--months must be between 3 and {most}").format(most=MAX_MONTHS))
    if seed < 0:
        raise RucheError(_("--seed must be zero or positive"))
    report = progress or (lambda message: None)
    out.mkdir(parents=True, exist_ok=True)
    period = Period.ending(end, months)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    clock = Clock(period)

    company = build_company(streams[0], people, period)
    report(_("company of {people} people in {teams} teams").format(
        people=count(company.n_employees), teams=count(len(company.team_names))))
    written: dict[str, int] = {}

    def save(name: str, data: bytes) -> None:
        (out / name).write_bytes(data)
        written[name] = len(data)

    save("directory.csv", _csv(directory_frame(company)))
    # big samples trade a little size for a lot of speed; the level depends on the arguments only
    level = 6 if people * months <= 2_000_000 else 1

    def save_zip(name: str, entries, large=None) -> None:
        written[name] = _write_zip(out / name, entries, stamp, level, large)

    network = viva.build_viva(streams[1], company, clock)
    report(_("Viva Engage: {n} messages").format(n=count(len(network.messages))))
    stamp = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(6, 0))
    # each file of the export made when the ZIP comes to it and let go once compressed, the
    # messages a month at a time: the big ones are never all in memory at once, nor is the ZIP
    tables = {
        "Messages.csv": lambda: _csv_parts(viva.messages_csv_parts(company, network)),
        "Users.csv": lambda: _csv(viva.users_csv(company, network)),
        "Groups.csv": lambda: _csv(viva.groups_csv(company, network)),
        "Files.csv": lambda: _csv(viva.files_csv(company, network)),
        "MessageVersions.csv": lambda: _csv(viva.message_versions_csv(company, network)),
    }
    tables.update({name: (lambda f=frame: _csv(f)) for name, frame in viva.small_tables(company, network).items()})
    texts = {"log.txt": _viva_log(period, stamp).encode(), "request.txt": _viva_request(period, stamp).encode()}
    # an entry written in parts has no size before it is written: one that may pass 4 GiB
    # (about 1 kB a message at most) is given the ZIP64 header from the start
    large = {"Messages.csv": len(network.messages) * 1_000}
    save_zip("viva-engage-export.zip", ((name, tables[name]() if name in tables else texts[name])
                                        for name in sorted([*tables, *texts])), large)
    report(_("Viva Engage export written"))

    del tables
    months_written = 0
    for name, frame in m365.build_reports(streams[2], company, network, clock):
        save(name, b"\xef\xbb\xbf" + _csv(frame))
        months_written += 1
    report(_("{n} Microsoft 365 usage reports written").format(n=count(months_written)))
    # the network's messages are not needed any more: only their counts, for the manifest
    viva_counts = viva_summary(network)
    del network

    workspace = slack.build_slack(streams[3], company, clock)
    report(_("Slack: {n} messages").format(n=count(workspace.stats["messages"])))
    files = {
        "users.json": _json(slack.users_json(company, workspace)),
        "channels.json": _json(slack.channels_json(company, workspace)),
        "integration_logs.json": _json(slack.integration_logs_json(company, workspace)),
    }
    save_zip("slack-export.zip", _merge_sorted(files, slack.day_files(workspace)))
    report(_("Slack export written"))

    manifest = build_manifest(company, viva_counts, workspace, seed)
    save("manifest.json", _json(manifest))
    return {
        "people": company.n_employees, "guests": company.n_guests, "months": months,
        "start": period.start.isoformat(), "end": period.end.isoformat(),
        "viva_messages": viva_counts["messages"], "slack_messages": workspace.stats["messages"],
        "slack_reactions": workspace.stats["reactions"], "files": dict(sorted(written.items())),
    }


#: The department the sample splits in two halfway through its period, and the department each of
#: its teams goes to (by the team's function; the rest, its leadership included, to the first).
SPLIT_DEPARTMENT = "Operations"
SPLIT_INTO = ("Production", "Maintenance & Quality")
SPLIT_FUNCTIONS = ("Maintenance", "Quality Control", "Health & Safety")


def split_day(period) -> int:
    """The day index the split takes effect on: the first day of the month halfway through the
    period (1 May 2026 in the default sample); -1 for a period of one month (no split)."""
    return period.month_starts[period.months // 2] if period.months > 1 else -1


def directory_frame(c) -> pl.DataFrame:
    """The HR directory, effective-dated (``effective_from``): one row per employee, and a second
    row, effective from :func:`split_day`, for the people of :data:`SPLIT_DEPARTMENT` employed
    then, naming the department their team goes to. People who joined it after the split are in
    their new department from their first row; people who left before it stay in the old one."""
    from ruche.sample.company import DEPARTMENT_NAMES, LEVEL_NAMES, NEVER, SITES

    n = c.n_employees
    iso = c.period.iso_dates
    site = np.array([s.name for s in SITES], dtype=object)[c.site[:n]]
    country = np.array([s.country for s in SITES], dtype=object)[c.site[:n]]
    manager = np.where(c.manager[:n] >= 0, c.employee_id[np.maximum(c.manager[:n], 0)], None)
    left = np.where(c.left[:n] < NEVER, iso(np.minimum(c.left[:n], c.period.days)), None)
    team = np.array(c.team_names, dtype=object)[c.team[:n]]
    department = np.array(DEPARTMENT_NAMES, dtype=object)[c.department[:n]]

    split = split_day(c.period)
    in_split = (department == SPLIT_DEPARTMENT) & (split >= 0)
    goes_to = np.where([t.startswith(SPLIT_FUNCTIONS) for t in team], SPLIT_INTO[1], SPLIT_INTO[0])
    hired, gone = c.hired[:n], c.left[:n]
    # two rows: employed on the split day (hired before it, still there)
    moved = in_split & (hired < split) & (gone > split)
    # one row, in the new department: joined on the split day or after
    department = np.where(in_split & (hired >= split), goes_to, department)

    def strings(values) -> pl.Series:
        return pl.Series(np.asarray(values, dtype=object).tolist(), dtype=pl.String)

    rows = pl.DataFrame({
        "id": strings(c.employee_id[:n]),
        "email": strings(c.email[:n]),
        "first_name": strings(c.first_name[:n]),
        "last_name": strings(c.last_name[:n]),
        "department": strings(department),
        "team": strings(team),
        "site": strings(site),
        "country": strings(country),
        "level": strings(np.array(LEVEL_NAMES, dtype=object)[c.level[:n]]),
        "manager_id": strings(manager),
        "frontline": np.where(c.frontline[:n], "true", "false"),
        "hired_on": iso(c.hired[:n]),
        "left_on": strings(left),
        "job_title": strings(c.job_title[:n]),
        "effective_from": pl.Series([None] * n, dtype=pl.String),
    })
    after = rows.filter(pl.Series(moved)).with_columns(
        department=strings(goes_to[moved]),
        effective_from=pl.lit(iso(np.array([split]))[0] if split >= 0 else None, dtype=pl.String),
    )
    return pl.concat([rows, after]).sort("id", "effective_from", nulls_last=False)


def viva_summary(network) -> dict:
    """What the manifest says of the Viva Engage network: its messages, groups and mentions."""
    return {
        "messages": len(network.messages), "groups": len(network.groups.name),
        "mentions": int(np.count_nonzero(network.messages.mention1 >= 0)
                        + np.count_nonzero(network.messages.mention2 >= 0)),
    }


def build_manifest(c, viva_counts: dict, workspace, seed: int) -> dict:
    from ruche.sample.company import (
        CLASS_NAMES, COMPANY, DEPARTMENT_NAMES, DEPARTMENTS, EXECUTIVE, HOME_DOMAIN, MANAGER, NEVER, PARTNERS,
        PILOT_DEPARTMENT,
    )

    n = c.n_employees
    p = c.period
    month_name = [p.date(d).strftime("%Y-%m") for d in p.month_starts[:-1]]
    sizes = np.bincount(c.department[:n], minlength=len(DEPARTMENTS))
    departments = [
        {"name": d.name, "people": int(sizes[i]), "frontline": any(f.frontline for f in d.functions),
         "slack": d.slack, "rollout": month_name[c.waves[d.name]]}
        for i, d in enumerate(DEPARTMENTS)
    ]
    emp = np.arange(n)
    return {
        "company": COMPANY,
        "home_domain": HOME_DOMAIN,
        "seed": seed,
        "period": {"start": p.start.isoformat(), "end": p.end.isoformat(), "months": p.months},
        "people": n,
        "departments": departments,
        "pilot": {"department": PILOT_DEPARTMENT, "from": month_name[0]},
        # the reorganisation: one department becomes two, in the directory's effective-dated rows
        "split": None if split_day(p) < 0 else {
            "department": SPLIT_DEPARTMENT, "into": list(SPLIT_INTO), "on": p.date(split_day(p)).isoformat()},
        "silent_teams": [
            {"team": c.team_names[t], "department": DEPARTMENT_NAMES[c.team_department[t]],
             "people": int(np.count_nonzero(c.team[:n] == t)), "silent_from": p.date(c.silent_from).isoformat()}
            for t in c.silent_teams
        ],
        "bridges": sorted(c.email[np.flatnonzero(c.bridge)].tolist()),
        "leaders": {
            "exemplary": sorted(c.email[emp[c.exemplary[:n]]].tolist()),
            "absent": sorted(c.email[emp[c.absent[:n]]].tolist()),
            "executives": int(np.count_nonzero(c.level[:n] == EXECUTIVE)),
            "managers": int(np.count_nonzero(c.level[:n] == MANAGER)),
        },
        "classes": {name: int(np.count_nonzero(c.klass[:n] == k)) for k, name in enumerate(CLASS_NAMES)},
        "hires": int(np.count_nonzero((c.hired[:n] >= 0))),
        "leavers": int(np.count_nonzero(c.left[:n] < NEVER)),
        "guests": {
            "viva_engage": int(np.count_nonzero(c.is_guest & c.in_viva)),
            "slack": int(np.count_nonzero(c.is_guest & c.in_slack)),
            "both": int(np.count_nonzero(c.is_guest & c.in_viva & c.in_slack)),
            "domains": [pt.domain for pt in PARTNERS],
        },
        "viva_engage": dict(viva_counts),
        "slack": dict(workspace.stats, channels=len(workspace.channels)),
    }


def _csv(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def _json(value) -> bytes:
    return (json.dumps(value, indent=4, ensure_ascii=False) + "\n").encode()


def _merge_sorted(files: dict[str, bytes], more):
    """The entries of ``files`` and of the name-sorted iterable ``more``, in name order."""
    small = sorted(files.items())
    for name, data in more:
        while small and small[0][0] < name:
            yield small.pop(0)
        yield name, data
    yield from small


def _zip(entries, stamp: dt.datetime, level: int = 6) -> bytes:
    """A ZIP whose bytes depend only on the entries: sorted names, one fixed timestamp.

    ``entries`` is a dict, or an iterable of (name, bytes) already sorted by name."""
    buffer = io.BytesIO()
    _write_zip(buffer, entries, stamp, level)
    return buffer.getvalue()


def _csv_parts(frames) -> Iterator[bytes]:
    """The CSV of frames of the same columns, one after the other: the header once, then the rows
    of each (the bytes of the CSV of their concatenation)."""
    for i, frame in enumerate(frames):
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=i == 0)
        yield buffer.getvalue()


def _write_zip(target, entries, stamp: dt.datetime, level: int = 6, large: dict[str, int] | None = None) -> int:
    """:func:`_zip` written straight into ``target`` (a path or a binary file), an entry at a time
    (each taken from ``entries`` only when its turn comes); the bytes written.

    An entry's data is bytes, or an iterable of bytes written one after the other (the same
    archive as their concatenation); ``large`` gives an upper bound of the size of such an entry
    when it may need ZIP64 headers (more than 4 GiB)."""
    items = sorted(entries.items()) if isinstance(entries, dict) else entries
    previous = ""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in items:
            if name <= previous:
                raise ValueError(f"zip entries out of order: {previous!r} then {name!r}")
            previous = name
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            if isinstance(data, bytes):
                archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=level)
            else:
                info._compresslevel = level
                size = (large or {}).get(name, 0)
                with archive.open(info, "w", force_zip64=size * 1.05 > zipfile.ZIP64_LIMIT) as entry:
                    for part in data:
                        entry.write(part)
                        del part
            del data
    return target.tell() if hasattr(target, "tell") else Path(target).stat().st_size


def _viva_log(period, stamp: dt.datetime) -> str:
    lines = [f"{stamp:%Y-%m-%d %H:%M:%S} UTC Export started"]
    for name in VIVA_FILES[:-2]:
        lines.append(f"{stamp:%Y-%m-%d %H:%M:%S} UTC Exported {name}")
    lines.append(f"{stamp:%Y-%m-%d %H:%M:%S} UTC Export completed")
    return "\n".join(lines) + "\n"


def _viva_request(period, stamp: dt.datetime) -> str:
    from ruche.sample.company import COMPANY, HOME_DOMAIN

    end = period.end + dt.timedelta(days=1)
    return (
        f"network: {COMPANY} ({HOME_DOMAIN})\n"
        f"since: {period.start.isoformat()}T00:00:00Z\n"
        f"until: {end.isoformat()}T00:00:00Z\n"
        "include: csv\n"
        "include_ens: false\n"
        f"requested_at: {stamp:%Y-%m-%dT%H:%M:%S}Z\n"
    )

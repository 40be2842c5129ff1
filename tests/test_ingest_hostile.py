"""What a hostile input used to do to a load or a store, each reproduced with exact figures: rows
silently corrupted or lost, stores no page could draw any more, hangs, memory taken by unread
ZIP members, kills that left stale tables or copies of the store behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

import ingest
import ingest.common
from ruche.cli import main
from ruche.config import Settings
from ruche.errors import RucheError
from tests import peak

ROOT = Path(__file__).resolve().parents[1]
HEADER = "id,email,department,team,hired_on,left_on"
PEOPLE = [
    "E1,ann@acme.example,Sales,North,2020-01-06,",
    "E2,bob@acme.example,Sales,North,2021-03-01,",
    "E3,cy@acme.example,Legal,Contracts,2019-05-20,",
    "E4,dee@acme.example,Legal,Contracts,2022-09-12,",
    "E5,eve@acme.example,Sales,South,2023-02-01,",
]


def query(db: Path, sql: str, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def write(path: Path, lines: list[str], newline: str = "\n") -> Path:
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return path


def load(path: Path, db: Path, source: str | None = None, as_of: str | None = None):
    from datetime import date

    return ingest.load(path, source=source, db=db, settings=Settings(),
                       as_of=date.fromisoformat(as_of) if as_of else None)


def people_by_hire(db: Path) -> list[tuple]:
    return query(db, "select hired_on::varchar, left_on::varchar, in_directory from people order by hired_on")


def counts(summary) -> tuple[int, int, int, int]:
    return summary.read, summary.loaded, summary.rejected, summary.skipped


# --------------------------------------------------------------------------------------------
# HR directory: a rejected row changes nothing else


def test_a_rejected_hr_row_keeps_what_the_store_knew_of_its_person(tmp_path):
    db = tmp_path / "s.duckdb"
    load(write(tmp_path / "jan.csv", [HEADER] + PEOPLE), db, as_of="2026-01-01")
    known = people_by_hire(db)
    history = query(db, "select * from people_history order by person_key")
    bad = [p.replace("2021-03-01", "2026-02-30") for p in PEOPLE]
    summary = load(write(tmp_path / "mar.csv", [HEADER] + bad), db, as_of="2026-03-01")
    assert counts(summary) == (5, 4, 1, 0)
    # bob's row is rejected: he keeps his hire date and has not left (he was marked as leaving on 2026-03-01)
    assert people_by_hire(db) == known
    assert query(db, "select count(*) from people where left_on is not null") == [(0,)]
    assert query(db, "select * from people_history order by person_key") == history
    assert query(db, "select line, reason from rejects") == [(3, "hired_on is not a date (expected YYYY-MM-DD)")]


def test_an_unreadable_hr_line_keeps_its_person(tmp_path):
    db = tmp_path / "s.duckdb"
    load(write(tmp_path / "jan.csv", [HEADER] + PEOPLE), db, as_of="2026-01-01")
    bad = list(PEOPLE)
    bad[1] = PEOPLE[1] + ",extra,fields"
    summary = load(write(tmp_path / "mar.csv", [HEADER] + bad), db, as_of="2026-03-01")
    assert counts(summary) == (5, 4, 1, 0)
    assert query(db, "select count(*) from people where left_on is not null") == [(0,)]
    assert query(db, "select line, reason, record from rejects") == [
        (3, "unreadable CSV line: more fields than the 6 columns of the header", None)]


def test_an_hr_line_naming_nobody_marks_nobody_as_leaver_but_real_leavers_leave_later(tmp_path):
    db = tmp_path / "s.duckdb"
    load(write(tmp_path / "jan.csv", [HEADER] + PEOPLE), db, as_of="2026-01-01")
    # cy (E3) is gone, and one line is too broken to tell whose it is: cy may be that line
    summary = load(write(tmp_path / "mar.csv", [HEADER] + PEOPLE[:2] + [",,,,,,,,"] + PEOPLE[3:]), db,
                   as_of="2026-03-01")
    assert counts(summary) == (5, 4, 1, 0)
    assert query(db, "select count(*) from people where left_on is not null") == [(0,)]
    load(write(tmp_path / "apr.csv", [HEADER] + PEOPLE[:2] + PEOPLE[3:]), db, as_of="2026-04-01")
    assert query(db, "select hired_on::varchar, left_on::varchar from people where left_on is not null") == [
        ("2019-05-20", "2026-04-01")]


def many_people(n: int = 300) -> list[str]:
    return [f"E{i},p{i}@acme.example,Dept{i % 3},\"Team {i % 7}\",2020-01-01," for i in range(1, n + 1)]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_carriage_return_inside_quotes_neither_splits_nor_merges_records(tmp_path, newline):
    db = tmp_path / "s.duckdb"
    rows = many_people()
    load(write(tmp_path / "jan.csv", [HEADER] + rows), db, as_of="2026-01-01")
    for k in range(0, 300, 50):
        rows[k] = rows[k].replace('"Team ', '"Te\ram ')
    summary = load(write(tmp_path / "feb.csv", [HEADER] + rows, newline), db, as_of="2026-02-01")
    # it used to read 372 records and mark 6 people as leavers
    assert counts(summary) == (300, 300, 0, 0)
    assert query(db, "select count(*), count(left_on) from people") == [(300, 0)]


@pytest.mark.parametrize("endings", ["cr", "crlf", "lf+crlf", "lf+cr"])
def test_any_line_endings_read_the_same_records(tmp_path, endings):
    rows = [HEADER] + many_people()
    ends = {"cr": ["\r"], "crlf": ["\r\n"], "lf+crlf": ["\n", "\r\n"], "lf+cr": ["\n", "\n", "\r"]}[endings]
    text = "".join(row + ends[i % len(ends)] for i, row in enumerate(rows))
    (tmp_path / "hr.csv").write_bytes(text.encode())
    summary = load(tmp_path / "hr.csv", tmp_path / "s.duckdb", source="directory")
    assert counts(summary) == (300, 300, 0, 0)
    assert query(tmp_path / "s.duckdb", "select count(distinct team), max(length(team)) from people") == [(7, 6)]


def test_a_line_missing_fields_is_read_and_rejected_once(tmp_path):
    rows = many_people()
    rows[10] = "E11,p11@acme.example,Dept2"  # three fields short
    summary = load(write(tmp_path / "hr.csv", [HEADER] + rows), tmp_path / "s.duckdb")
    assert counts(summary) == (300, 299, 1, 0)  # it used to read 303 and reject 4
    assert query(tmp_path / "s.duckdb", "select line, reason from rejects") == [
        (12, "unreadable CSV line: fewer fields than the 6 columns of the header")]


def test_a_line_over_2_mb_is_one_rejected_line(tmp_path):
    rows = many_people()
    rows[5] = 'E6,p6@acme.example,Dept0,"' + "x" * (3 * 1024 * 1024) + '",2020-01-01,'
    summary = load(write(tmp_path / "hr.csv", [HEADER] + rows), tmp_path / "s.duckdb")
    assert counts(summary) == (300, 299, 1, 0)
    assert query(tmp_path / "s.duckdb", "select line, reason from rejects") == [
        (7, "unreadable CSV line: line longer than 2 MB")]


def test_an_unterminated_quote_stops_the_load_at_its_line(tmp_path):
    rows = list(PEOPLE)
    rows[1] = 'E2,bob@acme.example,Sales,"North,2021-03-01,'
    db = tmp_path / "s.duckdb"
    with pytest.raises(RucheError, match=r"hr.csv, line 3: a quoted field opened on this line is never closed"):
        load(write(tmp_path / "hr.csv", [HEADER] + rows), db)
    assert not db.exists()


def test_implausible_hr_dates_are_rejected_rows(tmp_path):
    rows = [
        "E1,a1@acme.example,Sales,,0001-01-01,",
        "E2,a2@acme.example,Sales,,9999-12-31,",
        "E3,a3@acme.example,Sales,,1949-12-31,",
        "E4,a4@acme.example,Sales,,2021-03-01,2020-06-30",
        "E5,a5@acme.example,Sales,,infinity,",
        "E6,a6@acme.example,Sales,,1950-01-01,2026-01-31",
        "E7,a7@acme.example,Sales,,1985-04-02,",
    ]
    summary = load(write(tmp_path / "hr.csv", [HEADER] + rows), tmp_path / "s.duckdb")
    assert counts(summary) == (7, 2, 5, 0)
    latest = f"{__import__('datetime').date.today().year + 1}-12-31"
    assert query(tmp_path / "s.duckdb", "select line, reason from rejects order by line") == [
        (2, f"hired_on is outside 1950-01-01 to {latest} (not a plausible hire date)"),
        (3, f"hired_on is outside 1950-01-01 to {latest} (not a plausible hire date)"),
        (4, f"hired_on is outside 1950-01-01 to {latest} (not a plausible hire date)"),
        (5, "left_on is before hired_on (left before being hired)"),
        (6, "hired_on is not a date (expected YYYY-MM-DD)"),
    ]
    assert people_by_hire(tmp_path / "s.duckdb") == [("1950-01-01", "2026-01-31", True), ("1985-04-02", None, True)]


def test_an_implausible_snapshot_date_is_refused(tmp_path, capsys):
    write(tmp_path / "hr.csv", [HEADER] + PEOPLE)
    assert main(["ingest", str(tmp_path / "hr.csv"), "--db", str(tmp_path / "s.duckdb"), "--as-of", "0001-01-01"]) == 1
    assert "--as-of 0001-01-01: not a plausible snapshot date (expected 1950-01-01 to" in capsys.readouterr().err
    assert not (tmp_path / "s.duckdb").exists()


# --------------------------------------------------------------------------------------------
# Events: each row's time zone is its own; implausible dates are rejected rows


def test_each_rows_time_zone_is_its_own(tmp_path):
    rows = [
        "occurred_at,actor,kind",
        "2026-01-05T10:00:00 America/New_York,a@acme.example,post",  # 15:00 UTC
        "2026-01-05T10:00:00,a@acme.example,post",  # UTC: it used to be stored at 15:00 too
        "2026-07-05 10:00:00 Europe/Paris,a@acme.example,post",  # summer: 08:00 UTC
        "2026-01-05,a@acme.example,post",  # midnight UTC: it used to be 23:00 the day before
        "2026-01-05T10:00:00Z,a@acme.example,post",
        "2026-01-05T10:00:00+05:30,a@acme.example,post",
        "2026-01-05T10:00:00.250-08:00,a@acme.example,post",
        "2026-01-05T10:00:00+0100,a@acme.example,post",
    ]
    summary = load(write(tmp_path / "ev.csv", rows), tmp_path / "s.duckdb")
    assert counts(summary) == (8, 8, 0, 0)
    assert [t for (t,) in query(tmp_path / "s.duckdb", "select strftime(occurred_at, '%Y-%m-%d %H:%M:%S.%g') "
                                                       "from activities order by occurred_at")] == [
        "2026-01-05 00:00:00.000", "2026-01-05 04:30:00.000", "2026-01-05 09:00:00.000", "2026-01-05 10:00:00.000",
        "2026-01-05 10:00:00.000", "2026-01-05 15:00:00.000", "2026-01-05 18:00:00.250", "2026-07-05 08:00:00.000",
    ]


def test_implausible_event_times_are_rejected_rows(tmp_path):
    next_next = __import__("datetime").date.today().year + 2
    rows = [
        "occurred_at,actor,kind",
        "infinity,a@acme.example,post",
        "-infinity,a@acme.example,post",
        "294247-01-10T04:00:54Z,a@acme.example,post",
        "1999-12-31T23:59:59Z,a@acme.example,post",
        f"{next_next}-01-01T00:00:00Z,a@acme.example,post",
        "2026-01-05T10:00:00+25:00,a@acme.example,post",
        "2026-01-05T10:00:00+14:30,a@acme.example,post",
        "2026-01-05T10:00:00+05:75,a@acme.example,post",
        "2026-01-05T10:00:00 Mars/Olympus_Mons,a@acme.example,post",
        "2000-01-01T00:00:00Z,a@acme.example,post",
        "2026-01-05T10:00:00-12:00,a@acme.example,post",
        "2026-01-05T10:00:00+14:00,a@acme.example,post",
    ]
    summary = load(write(tmp_path / "ev.csv", rows), tmp_path / "s.duckdb")
    assert counts(summary) == (12, 3, 9, 0)
    not_a_time = "occurred_at is not a date-time (expected ISO 8601, e.g. 2024-03-05T14:02:11Z)"
    offset = "occurred_at has an impossible UTC offset (expected -12:00 to +14:00)"
    outside = f"date outside 2000-01-01 to {next_next - 1}-12-31 (an event cannot be dated "
    assert query(tmp_path / "s.duckdb", "select line, reason from rejects order by line") == [
        (2, not_a_time), (3, not_a_time), (4, not_a_time), (5, outside + "before 2000)"),
        (6, outside + "after next year)"), (7, offset), (8, offset), (9, offset),
        (10, "occurred_at names a time zone that does not exist (expected Z, an offset such as +05:30, "
             "or a zone such as Europe/Paris)"),
    ]
    assert query(tmp_path / "s.duckdb", "select min(occurred_at)::varchar, max(occurred_at)::varchar from activities") == [
        ("2000-01-01 00:00:00", "2026-01-05 22:00:00")]


def test_a_store_broken_by_impossible_dates_is_repaired_by_purge(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    load(write(tmp_path / "hr.csv", [HEADER] + PEOPLE), db, as_of="2026-01-01")
    load(write(tmp_path / "ev.csv", ["occurred_at,actor,kind"] + [
        f"2026-01-0{d}T10:00:00Z,{p.split(',')[1]},post" for d in range(5, 8) for p in PEOPLE]), db)
    con = duckdb.connect(str(db))  # what a load stored before the checks
    con.execute("insert into activities select activity_uid + 1, source, 'infinity', person_key, kind, space_key, "
                "thread_ref, target_key, body_length, has_file, has_link, run_id from activities limit 1")
    con.execute("insert into activities select activity_uid + 2, source, '294247-01-01', person_key, kind, space_key, "
                "thread_ref, target_key, body_length, has_file, has_link, run_id from activities limit 1")
    con.execute("update people set hired_on = '0001-01-01' where hired_on = '2020-01-06'")
    con.close()
    with pytest.raises(Exception):  # what the store did to every metric
        main(["metrics", "participation", "--db", str(db)])
    capsys.readouterr()
    assert main(["purge", "--db", str(db), "--as-of", "2026-03-01", "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["implausible"] == {"activities": 2, "usage_snapshots": 0, "people": 1, "people_history": 0}
    assert query(db, "select count(*), max(occurred_at)::varchar from activities") == [(15, "2026-01-07 10:00:00")]
    assert query(db, "select count(*) from people where hired_on is null") == [(1,)]
    assert main(["metrics", "participation", "--db", str(db), "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["purge", "--db", str(db), "--as-of", "2026-03-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["implausible"] == {
        "activities": 0, "usage_snapshots": 0, "people": 0, "people_history": 0}


# --------------------------------------------------------------------------------------------
# Files that are not files, ZIPs, messages


def run_ruche(argv: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruche.cli", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("source", ["directory", None])
def test_a_named_pipe_fails_at_once_instead_of_hanging(tmp_path, source):
    os.mkfifo(tmp_path / "people.csv")
    done = run_ruche(["ingest", *([source] if source else []), str(tmp_path / "people.csv"),
                      "--db", str(tmp_path / "s.duckdb")], tmp_path, timeout=60)
    assert done.returncode == 1
    assert done.stderr == (f"ruche ingest: error: {tmp_path}/people.csv: a named pipe, not a regular file "
                           "(expected an export file or folder)\n")


def test_a_device_or_a_pipe_inside_an_export_folder_fails_at_once(tmp_path):
    assert main(["ingest", "/dev/zero", "--db", str(tmp_path / "s.duckdb")]) == 1
    export = tmp_path / "export"
    export.mkdir()
    (export / "Users.csv").write_text("id,email\n1,a@acme.example\n")
    os.mkfifo(export / "Messages.csv")
    with pytest.raises(RucheError, match=r"export/Messages.csv: not a regular file \(a named pipe"):
        load(export, tmp_path / "s.duckdb", source="viva-engage")


def viva_export(path: Path, extra=()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Users.csv", "id,email,name,state\n1,ann@acme.example,Ann,active\n2,bob@acme.example,Bob,active\n")
        zf.writestr("Groups.csv", "id,name,private\n10,All,false\n")
        zf.writestr("Messages.csv", "id,replied_to_id,thread_id,group_id,sender_id,created_at,body\n"
                                    "100,,100,10,1,2026-01-05T10:00:00Z,hello\n"
                                    "101,100,100,10,2,2026-01-06T10:00:00Z,hi\n")
        for name, size in extra:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as dst:
                block = b"\0" * (1 << 24)
                for _ in range(size // len(block)):
                    dst.write(block)
    return path


def test_zip_members_a_source_does_not_read_are_never_unpacked(tmp_path, monkeypatch):
    unpacked = []
    real = ingest.common.unpack_member
    monkeypatch.setattr(ingest.common, "unpack_member",
                        lambda zf, info, target, label: unpacked.append(info.filename) or real(zf, info, target, label))
    path = viva_export(tmp_path / "viva.zip", [("Files/video.mp4", 1 << 24), ("backup.bin", 1 << 24)])
    summary = load(path, tmp_path / "s.duckdb")
    assert summary.source == "viva-engage" and summary.loaded >= 2
    assert sorted(unpacked) == ["Groups.csv", "Messages.csv", "Users.csv"]


def test_a_gigabyte_member_nobody_reads_takes_no_memory(tmp_path):
    path = viva_export(tmp_path / "viva.zip", [("Files/attachment.bin", 2 << 30)])
    assert path.stat().st_size < 8 << 20
    report = tmp_path / "peak.json"
    proc = peak.popen([sys.executable, "-m", "ruche.cli", "ingest", str(path), "--db", str(tmp_path / "s.duckdb")],
                      report, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path)),
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, stderr = proc.communicate()
    measured = peak.read(report)
    assert measured["status"] == 0, stderr
    # it used to take 6.3 GB of memory for a 3 GB member; the load with its refresh takes about
    # 300 MB (tests.peak: the command's own peak), far under the 2 GB member it would hold if it read it
    assert measured["peak_mb"] < 1024


def test_a_member_larger_than_the_limit_stops_the_load_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest.common, "MEMBER_LIMIT", 100)
    with pytest.raises(RucheError, match=r"viva.zip/Messages.csv: larger than 0 GB unpacked|viva.zip/Users.csv: larger"):
        load(viva_export(tmp_path / "viva.zip"), tmp_path / "s.duckdb")


def test_an_error_quoting_data_never_prints_an_email_address(tmp_path, capsys):
    (tmp_path / "people.csv").write_text("ann.smith@acme.example,Sales,North\nbob@acme.example,Legal,South\n")
    assert main(["ingest", str(tmp_path / "people.csv"), "--db", str(tmp_path / "s.duckdb")]) == 1
    err = capsys.readouterr().err
    assert err == (f"ruche ingest: error: {tmp_path}/people.csv, line 1: not a format Ruche knows (columns: "
                   f"<e-mail address>,Sales,North); name the source: ruche ingest SOURCE {tmp_path}/people.csv\n")


# --------------------------------------------------------------------------------------------
# Kills


def kill_itself_in(function: str, db: Path, path: Path) -> subprocess.CompletedProcess:
    """Load ``path`` in a process that kills itself (SIGKILL) when it enters ``function`` of
    ingest.cli: nothing of it runs to the end, as when the machine stops."""
    code = textwrap.dedent(f"""
        import os, signal
        import ingest, ingest.cli, ingest.runner
        real = getattr(ingest.cli, {function!r})
        def killed(*args, **kwargs):
            if {function!r} == "_refresh_metrics":
                args[0].execute("create table m_half_done as select 1 as x")
            else:
                real(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        setattr(ingest.cli, {function!r}, killed)
        ingest.load({str(path)!r}, db={str(db)!r})
    """)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                          timeout=300)


def derived_current(db: Path) -> bool:
    from metrics.refresh import derived_current as current
    from ruche.store import connect

    con = connect(db, read_only=True)
    try:
        return current(con)
    finally:
        con.close()


def leftovers(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if ".loading-" in p.name)


def test_a_kill_during_the_refresh_is_repaired_by_the_next_load(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    path = write(tmp_path / "ev.csv", ["occurred_at,actor,kind"] + [
        f"2026-01-0{d}T10:00:00Z,{p.split(',')[1]},post" for d in range(5, 8) for p in PEOPLE])
    done = kill_itself_in("_refresh_metrics", db, path)
    assert done.returncode == -signal.SIGKILL
    copy = leftovers(db)[0]
    assert leftovers(db) == [copy, f"{copy}.wal"]  # the refresh's copy of the store
    assert query(db, "select count(*) from activities") == [(15,)]  # published before the refresh
    assert not derived_current(db)
    # the same file again: already loaded, and the derived tables brought up to date
    assert main(["ingest", str(path), "--db", str(db)]) == 0
    assert "already loaded (same content): nothing to do" in capsys.readouterr().out
    assert derived_current(db)
    assert leftovers(db) == []
    assert query(db, "select count(*) from information_schema.tables where table_name = 'm_half_done'") == [(0,)]


def test_a_copy_a_killed_load_left_is_removed_by_the_next_command(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    load(write(tmp_path / "hr.csv", [HEADER] + PEOPLE), db)
    published = db.read_bytes()
    done = kill_itself_in("load_one", db, write(tmp_path / "ev.csv", ["occurred_at,actor,kind",
                                                                     "2026-01-05T10:00:00Z,ann@acme.example,post"]))
    assert done.returncode == -signal.SIGKILL
    assert db.read_bytes() == published
    copy = leftovers(db)[0]
    assert leftovers(db) == [copy, f"{copy}.wal"] and (tmp_path / copy).stat().st_size == len(published)
    (tmp_path / f"{copy}.tmp").mkdir()  # a spill folder of the killed load
    assert main(["metrics", "participation", "--db", str(db)]) == 0  # a reader, not a load
    assert leftovers(db) == []


def test_a_store_broken_by_an_older_version_is_repaired_by_the_next_load(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    load(write(tmp_path / "ev.csv", ["occurred_at,actor,kind", "2026-01-05T10:00:00Z,ann@acme.example,post",
                                     "2026-01-06T10:00:00Z,bob@acme.example,post"]), db)
    con = duckdb.connect(str(db))  # what a load of a version without the checks stored
    con.execute("insert into activities select activity_uid + 1, source, '294247-01-10 04:00:54', person_key, kind, "
                "space_key, thread_ref, target_key, body_length, has_file, has_link, run_id from activities limit 1")
    con.execute("insert into usage_snapshots values ('m365', 1, 'infinity', 30, null, 0, 1, 0, 1)")
    con.execute("delete from schema_version where version = 45")
    con.close()
    # every later load used to publish its rows and fail its refresh (exit 4): the store stayed broken
    write(tmp_path / "ev2.csv", ["occurred_at,actor,kind", "2026-02-05T10:00:00Z,cy@acme.example,post"])
    assert main(["ingest", str(tmp_path / "ev2.csv"), "--db", str(db)]) == 0
    assert query(db, "select count(*), max(occurred_at)::varchar from activities") == [(3, "2026-02-05 10:00:00")]
    assert query(db, "select count(*) from usage_snapshots") == [(0,)]
    latest = f"{__import__('datetime').date.today().year + 1}-12-31"
    assert query(db, "select run_id, file, table_name, reason, record from rejects order by table_name") == [
        (1, str(tmp_path / "ev.csv"), "activities",
         f"date outside 2000-01-01 to {latest} (an event cannot be dated after next year; removed from the store "
         "when it was opened by a version checking dates)",
         '{"source":"events","kind":"post","occurred_at":"294247-01-10 04:00:54"}'),
        (1, str(tmp_path / "ev.csv"), "usage_snapshots",
         f"date outside 2000-01-01 to {latest} (a report cannot be dated so; removed from the store when it was "
         "opened by a version checking dates)",
         '{"source":"m365","report_date":"infinity","last_activity":null}'),
    ]
    capsys.readouterr()
    assert main(["metrics", "participation", "--db", str(db), "--format", "csv"]) == 0


def test_a_reject_names_its_own_line_after_unreadable_lines(tmp_path):
    rows = ["occurred_at,actor,kind", "2026-01-05T10:00:00Z,a@acme.example,post", "2026-01-05T10:00:00Z,a@acme.example",
            "bad,row", "2026-01-05T10:00:00Z,b@acme.example,nope", "2026-01-05T11:00:00Z,b@acme.example,post,extra",
            "2026-01-05T10:00:00Z,c@acme.example,nope2"]
    summary = load(write(tmp_path / "ev.csv", rows), tmp_path / "s.duckdb")
    assert counts(summary) == (6, 1, 5, 0)
    # lines 5 and 7 used to be reported as lines 3 and 4: the unreadable lines were not counted
    assert query(tmp_path / "s.duckdb", "select line, reason from rejects order by line") == [
        (3, "unreadable CSV line: fewer fields than the 3 columns of the header"),
        (4, "unreadable CSV line: fewer fields than the 3 columns of the header"),
        (5, "kind is not one of post, reply, reaction, mention, read, join"),
        (6, "unreadable CSV line: more fields than the 3 columns of the header"),
        (7, "kind is not one of post, reply, reaction, mention, read, join"),
    ]


def test_temporary_files_of_a_killed_load_are_removed_by_the_next_load(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    (tmp_path / "tmp" / f"ruche-csv-{pid}-x1.csv").write_text("a copy of a CSV")
    (tmp_path / "tmp" / f"ruche-export-{pid}-x2").mkdir()
    (tmp_path / "tmp" / f"ruche-export-{os.getpid()}-x3").mkdir()  # a live process's: kept
    (tmp_path / "tmp" / "ruche-slack-x4").mkdir()  # not named by a process: kept
    load(write(tmp_path / "hr.csv", [HEADER] + PEOPLE, "\r\n"), tmp_path / "s.duckdb")
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == [f"ruche-export-{os.getpid()}-x3", "ruche-slack-x4"]


def test_a_store_path_naming_an_export_says_so_without_naming_a_private_copy(tmp_path, capsys):
    export = write(tmp_path / "hr.csv", [HEADER] + PEOPLE)
    before = export.read_bytes()
    assert main(["ingest", "directory", str(export), "--db", str(export)]) == 1
    assert main(["metrics", "participation", "--db", str(export)]) == 1
    expected = (f"{export}: not a DuckDB store (expected the file ruche ingest writes; is --db naming an export?)\n")
    assert capsys.readouterr().err == f"ruche ingest: error: {expected}ruche metrics: error: {expected}"
    assert export.read_bytes() == before

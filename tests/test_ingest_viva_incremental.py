"""Viva Engage incremental exports (the Data Export API's ``since=``): a year loaded as a full
export and daily exports gives the store, and every figure, of one full export.

The sample's network (200 people, August to October 2026) is exported as Microsoft does: once in
full, and as a full export up to 1 October followed by one export per day of October whose
``Users.csv`` and ``Groups.csv`` list only the users and groups changed that day (usually nobody).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import ingest
from metrics import registry
from ruche.config import Settings
from ruche.sample import directory_frame, viva

END = dt.date(2026, 10, 31)
CUT = dt.date(2026, 10, 1)


def write_export(folder: Path, tables: dict[str, pl.DataFrame]) -> Path:
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        frame.write_csv(folder / name)
    return folder


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("viva-incremental")
    company, network = viva.sample_network(200, 3, 42, END)
    tables = viva.export_tables(company, network)
    full = write_export(root / "full", tables)
    cut = write_export(root / "until", viva.export_window(tables, f"{CUT} 00:00:00"))
    days = []
    day = CUT
    while day <= END:
        nxt = day + dt.timedelta(days=1)
        days.append(write_export(root / f"day-{day}", viva.export_window(tables, f"{nxt} 00:00:00", f"{day} 00:00:00")))
        day = nxt
    hr = root / "directory.csv"
    directory_frame(company).write_csv(hr)
    return {"root": root, "full": full, "cut": cut, "days": days, "hr": hr, "tables": tables}


def store(path: Path, exports: list[Path]) -> list:
    """Load ``exports`` in order into a new store at ``path``; the loads' summaries."""
    return ingest.load([str(p) for p in exports], db=path, settings=Settings())


def canonical(db: Path) -> dict[str, list]:
    """The canonical tables, by pseudonyms rather than by the store's own sequence numbers."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "activities": con.execute("""
                select a.activity_uid, a.kind, a.occurred_at, p.person_id, t.person_id, s.space_ref,
                       a.thread_ref, a.body_length, a.has_file, a.has_link
                from activities a join people p using (person_key)
                left join people t on t.person_key = a.target_key
                left join spaces s using (space_key)
                order by all""").fetchall(),
            "people": con.execute("""
                select person_id, is_external, in_directory, has_photo, has_title, has_location, has_about
                from people order by all""").fetchall(),
            "accounts": con.execute("""
                select a.account_id, p.person_id, a.is_bot, a.is_guest, a.is_deleted, a.joined_at
                from accounts a left join people p using (person_key) order by all""").fetchall(),
            "spaces": con.execute("""
                select space_ref, name, kind, is_private, is_external, created_at from spaces order by all""").fetchall(),
        }
    finally:
        con.close()


def figures(db: Path) -> dict[str, tuple]:
    """Every metric the command line offers, with its default parameters."""
    con = duckdb.connect(str(db), read_only=True)
    out = {}
    try:
        for name in registry.names():
            result = registry.get(name)(con, registry.MetricParams(by=registry.DEFAULT_BY.get(name, "department")))
            out[name] = (result.rows, result.suppressed_groups, _rounded(result.extra))
    finally:
        con.close()
    return out


def _rounded(value):
    """Organisation-wide figures, floats to 12 significant digits: betweenness and modularity sum
    the same terms in the order of the graph's nodes, which follows the order people were first
    seen, so two stores of the same people may differ in the last bit. Timings, and when the person
graph's results were computed, left out."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, pl.DataFrame):
        return {"columns": value.columns, "rows": _rounded(value.rows())}
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items() if k not in ("seconds", "computed_at")}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def assert_same_figures(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        rows_a, suppressed_a, extra_a = a[name]
        rows_b, suppressed_b, extra_b = b[name]
        # floats to the last bits of a sum taken in another order (see _rounded); everything else exact
        assert_frame_equal(rows_a, rows_b, check_exact=False, rel_tol=1e-12, abs_tol=0.0)
        assert (name, suppressed_a, extra_a) == (name, suppressed_b, extra_b)


def skipped(summaries, reason: str) -> int:
    return sum(i.skipped.get(reason, 0) for s in summaries for i in s.inputs)


@pytest.mark.parametrize("with_hr", [False, True], ids=["without HR", "with HR"])
def test_full_then_daily_exports_equal_one_full_export(exports, tmp_path, with_hr):
    hr = [exports["hr"]] if with_hr else []
    store(tmp_path / "one.duckdb", hr + [exports["full"]])
    summaries = store(tmp_path / "daily.duckdb", hr + [exports["cut"]] + exports["days"])
    # two messages an earlier export loaded are listed as deleted in October: their copies go
    assert skipped(summaries, "deleted message, copy loaded earlier removed") == 2
    a, b = canonical(tmp_path / "one.duckdb"), canonical(tmp_path / "daily.duckdb")
    for table in a:
        assert (table, a[table]) == (table, b[table])
    assert_same_figures(figures(tmp_path / "one.duckdb"), figures(tmp_path / "daily.duckdb"))


def test_the_daily_exports_are_shaped_as_microsoft_s(exports):
    """What makes the property above worth something: most days list nobody in Users.csv, and the
    messages' senders and mentioned users are listed only by earlier exports."""
    days = exports["days"]
    users = [pl.read_csv(d / "Users.csv", infer_schema=False) for d in days]
    messages = [pl.read_csv(d / "Messages.csv", infer_schema=False) for d in days]
    assert len(days) == 31
    assert [d.name for d, u in zip(days, users) if u.height] == ["day-2026-10-19", "day-2026-10-23"]
    assert sum(m.height for m in messages) == 292
    assert sum(m.filter(~pl.col("sender_id").is_in(u["id"].implode())).height for m, u in zip(messages, users)) == 292
    assert sum(int(m["body"].str.count_matches(r"\[\[user:").sum()) for m in messages) == 27
    deleted = [m.filter(pl.col("deleted_at").is_not_null() & (pl.col("created_at") < d.name[4:])).height
               for d, m in zip(days, messages)]
    assert sum(deleted) == 2

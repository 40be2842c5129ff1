"""``ruche sample`` writes its big files in parts (the Viva Engage messages and the Slack day
files a channel and month at a time, the usage reports a month at a time) and still writes the
bytes the generator wrote when it built each file whole."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from ruche.sample import _write_zip, activity, generate, viva
from ruche.sample.activity import DAY, PART_ROWS

# the files of `ruche sample --people 300 --months 4` (seed 42, ending 2026-10-31) as the
# generator wrote them when it held every file whole; a ZIP is digested as its entries (name,
# time, bytes), its raw bytes depending on the zlib build as well
WHOLE_300_4 = {
    "directory.csv": "38adcc56874f87d8741ba26e4f73a1226b39d08c6b664cbe2cadeb25ce7e14c4",
    "m365-engage-activity-2026-07-31.csv": "2eecaf9d186599d2aa17d926ca6b14a98b2854702a9a0eb783dfd68270efd3b0",
    "m365-engage-activity-2026-08-31.csv": "09590c535a9789038f0179f59fab2559382e655a4fae5741fb30ad4144fad763",
    "m365-engage-activity-2026-09-30.csv": "ada0937e6269920afb530b8a1b43afed8fb1f912675cd4d2a3f4b325078257e0",
    "m365-engage-activity-2026-10-31.csv": "5ebcb26715e1e93a2d2cb7b7f097438d774ff9b646a2ce2afcfaac61da46af51",
    "manifest.json": "727125ca41b9c15147b352b94a048592ce897d908f73377000fd7288ec5622df",
    "slack-export.zip": "2391e08e452e17c778ea57631573e0e8fc0007b5dc967505f8686499d482d627",
    "viva-engage-export.zip": "429445e0564e7bfe967a4ec3511b7bcabf615b2f84ff2177089c54eb6432dc2a",
}


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                h.update(f"{info.filename}\0{info.date_time}\0".encode())
                h.update(z.read(info))
    else:
        h.update(path.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("part_rows", [PART_ROWS, 100, 1])
def test_written_in_parts_the_files_are_those_written_whole(tmp_path, monkeypatch, part_rows):
    # the default writes this small sample in one part per file and channel; 100 rows a part
    # cuts the messages and most channels between months, 1 row cuts them at every month
    monkeypatch.setattr(activity, "PART_ROWS", part_rows)
    summary = generate(tmp_path, people=300, months=4, seed=42, end=dt.date(2026, 10, 31))
    assert {p.name: _digest(p) for p in sorted(tmp_path.iterdir())} == WHOLE_300_4
    assert (summary["viva_messages"], summary["slack_messages"], summary["slack_reactions"]) == (680, 1815, 2160)


def test_parts_are_whole_months_of_at_least_the_rows_asked_the_last_what_is_left():
    # five months of 40, 50, 0, 60 and 50 rows
    assert activity.parts([0, 40, 90, 90, 150, 200], size=50) == [(0, 90), (90, 150), (150, 200)]
    assert activity.parts([0, 40, 90, 90, 150, 200], size=1) == [(0, 40), (40, 90), (90, 150), (150, 200)]
    assert activity.parts([0, 40, 90, 90, 150, 200], size=1000) == [(0, 200)]
    assert activity.parts([7, 7, 7], size=1) == []
    assert activity.parts([300, 300, 301], size=1) == [(300, 301)]


def test_the_messages_of_a_month_are_one_part_when_parts_are_one_row(monkeypatch):
    company, network = viva.sample_network(300, 4, 42, dt.date(2026, 10, 31))
    monkeypatch.setattr(activity, "PART_ROWS", 1)
    rows = viva.month_rows(network, company.period)
    months = [company.period.date(d).strftime("%Y-%m") for d in company.period.month_starts[:-1]]
    assert len(rows) == len(months) == 4
    assert rows[0][0] == 0 and rows[-1][1] == len(network.messages) == 680
    for (lo, hi), month in zip(rows, months):
        days = network.messages.time[lo:hi] // DAY
        assert {company.period.date(int(d)).strftime("%Y-%m") for d in (days.min(), days.max())} == {month}


def test_an_entry_written_in_parts_gives_the_bytes_of_the_entry_written_whole():
    stamp = dt.datetime(2026, 11, 1, 6, 0)
    parts = [b"id,name\n", b"", b"1,a\n" * 5000, b"2,b\n" * 70_000]
    whole, streamed = io.BytesIO(), io.BytesIO()
    _write_zip(whole, {"a.csv": b"".join(parts), "b.txt": b"x"}, stamp)
    _write_zip(streamed, [("a.csv", iter(parts)), ("b.txt", b"x")], stamp)
    assert streamed.getvalue() == whole.getvalue()
    with zipfile.ZipFile(streamed) as z:
        assert z.read("a.csv") == b"".join(parts)
        assert [i.file_size for i in z.infolist()] == [8 + 20_000 + 280_000, 1]


def test_an_entry_that_may_pass_4_gib_gets_zip64_headers_from_the_start():
    stamp = dt.datetime(2026, 11, 1, 6, 0)
    small, large = io.BytesIO(), io.BytesIO()
    _write_zip(small, [("a.csv", iter([b"x"]))], stamp)
    _write_zip(large, [("a.csv", iter([b"x"]))], stamp, large={"a.csv": 5 * 2**30})
    # the local header's extra field: none, then the ZIP64 one (tag 0x0001, 16 bytes of sizes)
    assert int.from_bytes(small.getvalue()[28:30], "little") == 0
    assert int.from_bytes(large.getvalue()[28:30], "little") == 20
    assert large.getvalue()[30 + len("a.csv"):32 + len("a.csv")] == b"\x01\x00"
    with zipfile.ZipFile(large) as z:
        assert z.read("a.csv") == b"x"

"""Retention: `ruche purge` folds old months into group_history, then deletes their person-level rows."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics.groups import GROUP_ATTRIBUTES
from metrics.participation import participation_frame
from ruche import retention
from ruche.cli import main
from ruche.store import connect, writing

# The tiny store holds January and February 2026. As of 2027-03-15, 13 months back is 2026-02-15:
# January goes (cut-off 2026-02-01), February stays. As of 2027-04-15, February goes too.
FIRST_PURGE = "2027-03-15"
SECOND_PURGE = "2027-04-15"


def read(db, query):
    con = connect(db, read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def unsuppressed(db, by):
    con = connect(db, read_only=True)
    try:
        return participation_frame(con, [by], "month")
    finally:
        con.close()


def history(db, by):
    con = connect(db, read_only=True)
    try:
        frame, _ = retention.history(con, by, min_group_size=1)
        return frame
    finally:
        con.close()


@pytest.mark.parametrize(
    "as_of, months, expected",
    [(date(2026, 3, 15), 13, date(2025, 2, 1)), (date(2026, 3, 31), 1, date(2026, 2, 1)),
     (date(2026, 1, 1), 12, date(2025, 1, 1))],
)
def test_the_cut_off_keeps_whole_months_none_older_than_the_window_goes_late(as_of, months, expected):
    assert retention.cutoff(as_of, months) == expected


def test_a_window_under_one_month_is_refused(tiny_store, monkeypatch, capsys):
    monkeypatch.setenv("RUCHE_RETENTION_MONTHS", "0")
    assert main(["purge", "--db", str(tiny_store)]) == 1
    assert "retention_months must be at least 1" in capsys.readouterr().err


def test_a_dry_run_shows_the_cut_off_and_rows_per_table_and_changes_nothing(tiny_store, capsys):
    published = tiny_store.read_bytes()
    assert main(["purge", "--db", str(tiny_store), "--dry-run", "--as-of", FIRST_PURGE, "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan == {
        "as_of": FIRST_PURGE, "retention_months": 13, "cutoff": "2026-02-01",
        # January's 4 activities; person 12, who left on 2026-01-20 and did nothing since
        "rows": {"activities": 4, "usage_snapshots": 0, "usage_device_snapshots": 0, "people_history": 0, "rejects": 0,
                 "accounts": 0, "people": 1, "audit_log": 0},
        "folded_months": ["2026-01"], "history_rows": 10, "dry_run": True,
        # no row dated impossibly (before 2000, after next year)
        "implausible": {"activities": 0, "usage_snapshots": 0, "people": 0, "people_history": 0},
    }
    assert tiny_store.read_bytes() == published


def test_purge_removes_exactly_the_old_rows_and_keeps_the_rest(tiny_store, capsys):
    assert main(["purge", "--db", str(tiny_store), "--as-of", FIRST_PURGE]) == 0
    out = capsys.readouterr().out
    assert "person-level data before 2026-02-01 went" in out and "2026-01 (10 rows, no person key)" in out
    assert read(tiny_store, "select activity_uid from activities order by 1") == [(5,), (6,), (7,)]
    assert read(tiny_store, "select person_key from people order by 1") == [(k,) for k in range(1, 14) if k != 12]
    assert read(tiny_store, "select count(*) from usage_snapshots") == [(1,)]
    assert read(tiny_store, "select value from store_meta where key = 'purged_before'") == [("2026-02-01",)]
    # the materialised bases were rebuilt: nothing of January is left in them
    assert read(tiny_store, "select min(day) from m_person_day") == [(date(2026, 2, 2),)]
    assert read(tiny_store, "select count(*) from group_history where period_start < '2026-02-01' "
                            "and headcount is not null") == [(10,)]


@pytest.mark.parametrize("by", list(GROUP_ATTRIBUTES))
def test_folded_months_read_back_as_the_metric_showed_them(tiny_store, by):
    before = unsuppressed(tiny_store, by)
    main(["purge", "--db", str(tiny_store), "--as-of", FIRST_PURGE])
    main(["purge", "--db", str(tiny_store), "--as-of", SECOND_PURGE])
    assert read(tiny_store, "select count(*) from activities") == [(0,)]
    kept = history(tiny_store, by)
    # January and February, retention of February included: carried from the first purge,
    # which still held January
    assert_frame_equal(kept.drop("contributions"), before, check_dtypes=False)
    assert kept.filter(pl.col("period") == "2026-02")["retention"].drop_nulls().len() > 0


def test_contributions_are_kept_per_group(tiny_store):
    main(["purge", "--db", str(tiny_store), "--as-of", SECOND_PURGE])
    kept = history(tiny_store, "department").select("period", "department", "contributions")
    # January: 1 posts, 2 replies (Sales); the guest's reply is not in any headcount.
    # February: 1 and 3 post (Sales)
    assert kept.rows() == [("2026-01", "Legal", 0), ("2026-01", "Sales", 2),
                           ("2026-02", "Legal", 0), ("2026-02", "Sales", 2)]


def test_a_second_purge_changes_nothing(tiny_store, capsys):
    main(["purge", "--db", str(tiny_store), "--as-of", FIRST_PURGE])
    published = tiny_store.read_bytes()
    history_before = read(tiny_store, "select * from group_history order by all")
    capsys.readouterr()
    assert main(["purge", "--db", str(tiny_store), "--as-of", FIRST_PURGE]) == 0
    assert "Nothing to purge." in capsys.readouterr().out
    assert tiny_store.read_bytes() == published
    assert read(tiny_store, "select * from group_history order by all") == history_before


def test_rows_loaded_later_for_a_folded_month_go_without_changing_its_aggregates(tiny_store):
    main(["purge", "--db", str(tiny_store), "--as-of", FIRST_PURGE])
    history_before = read(tiny_store, "select * exclude (folded_at) from group_history order by all")
    with writing(tiny_store) as con:  # an export reaching back to January, loaded again
        con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                    "values (100, 't', '2026-01-09 10:00', 3, 'post', 2)")
    main(["purge", "--db", str(tiny_store), "--as-of", FIRST_PURGE])
    assert read(tiny_store, "select count(*) from activities where occurred_at < '2026-02-01'") == [(0,)]
    assert read(tiny_store, "select * exclude (folded_at) from group_history order by all") == history_before


def test_a_leaver_still_named_as_a_manager_stays_and_accounts_go_with_their_person():
    con = connect(":memory:")
    con.execute(
        """
        insert into people (person_key, person_id, in_directory, department, manager_key, left_on, first_seen)
        values (1, 'boss', true, 'Sales', null, '2025-01-10', null),   -- left, manages 2 who stays
               (2, 'kept', true, 'Sales', 1, null, null),
               (3, 'gone', true, 'Sales', null, '2025-01-10', null),   -- left, nobody points to them
               (4, 'guest', false, null, null, null, '2025-01-03'),    -- external, no activity since
               (5, 'guest2', false, null, null, null, '2025-01-03')    -- external, active since
        """
    )
    con.execute("insert into accounts (source, account_id, person_key) values ('s', 'a3', 3), ('s', 'a4', 4), "
                "('s', 'a5', 5), ('s', 'bot', null)")
    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) values "
                "(1, 's', '2025-01-05', 3, 'post', 1), (2, 's', '2025-01-06', 4, 'post', 1), "
                "(3, 's', '2025-06-01', 5, 'post', 1)")
    done = retention.purge(con, date(2026, 3, 15), 13)
    assert done.cutoff == date(2025, 2, 1)
    assert done.rows["people"] == 2 and done.rows["accounts"] == 2
    assert con.execute("select person_key from people order by 1").fetchall() == [(1,), (2,), (5,)]
    assert con.execute("select account_id from accounts order by 1").fetchall() == [("a5",), ("bot",)]


def test_audit_events_older_than_the_window_go_with_the_data(tiny_store):
    with writing(tiny_store) as con:
        con.execute(
            "insert into audit_log (event_id, occurred_at, user_email, role, action, page) values "
            "('e1', '2026-01-31 23:59', 'a@example.com', 'admin', 'view', 'Overview'), "
            "('e2', '2026-02-01 00:00', 'a@example.com', 'admin', 'view', 'Overview'), "
            "('e3', '2026-03-02 08:00', 'b@example.com', 'sponsor', 'export', 'Teams at risk')"
        )
    assert main(["purge", "--db", str(tiny_store), "--as-of", FIRST_PURGE]) == 0
    # the cut-off is 2026-02-01: the event of January 31 goes, the ones from the cut-off on stay
    assert read(tiny_store, "select event_id from audit_log where event_id like 'e_' order by 1") == [("e2",), ("e3",)]

"""Group attribution over time: a hand-built company of 60 people whose organisation changes
during four months, with the exact figures of both attributions (docs/metrics.md, "Group
attribution over time").

The company, loaded as four directory snapshots (or one effective-dated file, the same history):

- 2026-01-01: Sales (S01-S20), Ops (O01-O20), R&D (R01-R20); everybody hired 2020-01-01.
- 2026-02-15: S01 moves from Sales to Ops (a move in the middle of February).
- 2026-03-01: R&D splits into Research (R01-R10) and Development (R11-R20); S20 is no longer in
  the directory: they left on 2026-03-01 (the snapshot's date), so they count in March.
- 2026-04-01: Ops is renamed Operations; S03's manager becomes S02 (a new manager, the same
  department).

Activity: S01-S10 post on the 10th of each month (S01 also on 20 February, in Ops by then);
O01-O05 reply to S02 on the 5th; R01-R08 post on the 20th; R11-R13 post on the 25th.

Interactions (ties): the replies of O01-O05 to S02 (Ops, then Operations, to Sales: 5 a month);
across the move, S01 mentions S05 on 10 January and 10 February (in Sales then) and O02 on 20
February (in Ops by then); across the split, R01 mentions R15 on 20 February (both in R&D then)
and on 20 March (Research to Development). Each mention is made on a day its author posts: the
participation figures are those of the posts alone.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import ingest
from metrics.figures import Live, Query, figure
from metrics.participation import participation
from ruche.config import Settings
from ruche.privacy import Pseudonymiser

ROOT = Path(__file__).resolve().parent.parent
KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
HEADER = "id,email,department,team,site,country,level,manager_id,frontline,hired_on,left_on"
SNAPSHOTS = [date(2026, 1, 1), date(2026, 2, 15), date(2026, 3, 1), date(2026, 4, 1)]


def person(i: str) -> str:
    return i.lower() + "@acme.com"


def directory_rows(as_of: date) -> list[dict]:
    """Each person's row in the directory of ``as_of`` (None: absent, i.e. left)."""
    rows = []
    for n in range(1, 21):
        for prefix, dept in (("S", "Sales"), ("O", "Ops"), ("R", "R&D")):
            pid = f"{prefix}{n:02d}"
            department, manager = dept, f"{prefix}01" if n > 1 else ""
            if pid == "S01" and as_of >= date(2026, 2, 15):
                department, manager = "Ops", "O01"
            if prefix == "R" and as_of >= date(2026, 3, 1):
                department = "Research" if n <= 10 else "Development"
            if department == "Ops" and as_of >= date(2026, 4, 1):
                department = "Operations"
            if pid == "S03" and as_of >= date(2026, 4, 1):
                manager = "S02"
            if pid == "S20" and as_of >= date(2026, 3, 1):
                continue
            rows.append({"id": pid, "email": person(pid), "department": department, "team": department + " team",
                         "site": "Paris", "country": "FR", "level": "manager" if n == 1 else "staff",
                         "manager_id": manager, "frontline": "false", "hired_on": "2020-01-01", "left_on": ""})
    return rows


def csv_text(rows: list[dict], header: str = HEADER) -> str:
    names = header.split(",")
    return "\n".join([header] + [",".join(r[k] for k in names) for r in rows]) + "\n"


def effective_file() -> str:
    """The same history as one effective-dated file: each person's row at each snapshot date,
    with the leaving date of the one who left."""
    rows = []
    for day in SNAPSHOTS:
        for r in directory_rows(day):
            rows.append({**r, "effective_from": day.isoformat()})
    for r in rows:
        if r["id"] == "S20":
            r["left_on"] = "2026-03-01"
    return csv_text(rows, HEADER + ",effective_from")


ACTIVITIES = """
insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id)
with people_ids as (
    select person_key, employee_id from people
),
plan as (
    select 'S' || lpad(n::varchar, 2, '0') as id, make_date(2026, m, 10) as day, 'post' as kind, null as target
    from range(1, 11) a(n), range(1, 5) b(m)
    union all select 'S01', date '2026-02-20', 'post', null
    union all
    select 'O' || lpad(n::varchar, 2, '0'), make_date(2026, m, 5), 'reply', 'S02'
    from range(1, 6) a(n), range(1, 5) b(m)
    union all
    select 'R' || lpad(n::varchar, 2, '0'), make_date(2026, m, 20), 'post', null
    from range(1, 9) a(n), range(1, 5) b(m)
    union all
    select 'R' || lpad(n::varchar, 2, '0'), make_date(2026, m, 25), 'post', null
    from range(11, 14) a(n), range(1, 5) b(m)
    union all select 'S01', date '2026-01-10', 'mention', 'S05'
    union all select 'S01', date '2026-02-10', 'mention', 'S05'
    union all select 'S01', date '2026-02-20', 'mention', 'O02'
    union all select 'R01', date '2026-02-20', 'mention', 'R15'
    union all select 'R01', date '2026-03-20', 'mention', 'R15'
),
final as (
    select row_number() over () as activity_uid, 'x' as source, day::timestamp + interval 9 hour as occurred_at,
           p.person_key, kind, t.person_key as target_key, 1 as run_id
    from plan
    join ids on ids.id = plan.id
    join people as p on p.person_id = ids.person_id
    left join ids as target_ids on target_ids.id = plan.target
    left join people as t on t.person_id = target_ids.person_id
)
select * from final
"""


def load_snapshots(tmp_path, db):
    for day in SNAPSHOTS:
        path = tmp_path / f"hr-{day}.csv"
        path.write_text(csv_text(directory_rows(day)))
        ingest.load(path, db=db, settings=Settings(values={}), as_of=day, refresh=False)


def pid(value: str) -> str:
    return Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).hash(value)


def add_activities(db):
    from ruche.store import connect

    con = connect(str(db))
    try:
        con.execute("create temp table ids (id varchar, person_id varchar)")
        con.executemany("insert into ids values (?, ?)",
                        [[f"{p}{n:02d}", pid(person(f"{p}{n:02d}"))] for p in "SOR" for n in range(1, 21)])
        con.execute(ACTIVITIES)
    finally:
        con.close()


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("company")
    db = tmp_path / "c.duckdb"
    with pytest.MonkeyPatch.context() as patch:  # the key of every test (conftest.py), for the whole module
        patch.setenv("RUCHE_KEY", KEY)
        load_snapshots(tmp_path, db)
        add_activities(db)
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def by_department(con, attribution: str) -> dict:
    frame, _ = participation(con, by="department", period="month", min_group_size=5, attribution=attribution)
    return {(r["period"], r["department"]): (r["headcount"], r["active"], r["contributors"])
            for r in frame.iter_rows(named=True)}


def test_as_it_was_each_period_counts_the_groups_people_held_then(company):
    assert by_department(company, "as-it-was") == {
        # (headcount, active, contributors)
        ("2026-01", "Sales"): (20, 10, 10), ("2026-01", "Ops"): (20, 5, 5), ("2026-01", "R&D"): (20, 11, 11),
        # S01 held Sales until 14 February and Ops from the 15th: in both headcounts; their post of
        # the 10th counts in Sales, that of the 20th in Ops
        ("2026-02", "Sales"): (20, 10, 10), ("2026-02", "Ops"): (21, 6, 6), ("2026-02", "R&D"): (20, 11, 11),
        # the split: R&D has no row from March; S20 left on 1 March, counted in March
        ("2026-03", "Sales"): (19, 9, 9), ("2026-03", "Ops"): (21, 6, 6),
        ("2026-03", "Research"): (10, 8, 8), ("2026-03", "Development"): (10, 3, 3),
        # the rename
        ("2026-04", "Sales"): (18, 9, 9), ("2026-04", "Operations"): (21, 6, 6),
        ("2026-04", "Research"): (10, 8, 8), ("2026-04", "Development"): (10, 3, 3),
    }


def test_today_restates_the_past_in_today_s_organisation(company):
    assert by_department(company, "today") == {
        **{(m, "Sales"): (19, 9, 9) for m in ("2026-01", "2026-02", "2026-03")},
        **{(m, "Operations"): (21, 6, 6) for m in ("2026-01", "2026-02", "2026-03", "2026-04")},
        **{(m, "Research"): (10, 8, 8) for m in ("2026-01", "2026-02", "2026-03", "2026-04")},
        **{(m, "Development"): (10, 3, 3) for m in ("2026-01", "2026-02", "2026-03", "2026-04")},
        ("2026-04", "Sales"): (18, 9, 9),
    }


def test_retention_follows_the_mover(company):
    frame, _ = participation(company, by="department", period="month", min_group_size=5)
    ops = {r["period"]: r["retention"] for r in frame.filter(frame["department"].is_in(["Ops", "Operations"]))
           .iter_rows(named=True)}
    # of the people of Ops in February active in January (O01-O05, and S01, active in Sales), all
    # are active again in Ops
    assert ops == {"2026-01": None, "2026-02": 1.0, "2026-03": 1.0, "2026-04": 1.0}


def test_a_new_manager_is_a_version_but_moves_no_group(company):
    versions = company.execute(
        "select h.valid_from, h.valid_to, h.department, m.employee_id from people_history h "
        "join people p using (person_key) left join people m on m.person_key = h.manager_key "
        "where p.person_id = ? order by h.valid_from", [pid(person("S03"))]).fetchall()
    assert versions == [(date(2020, 1, 1), date(2026, 4, 1), "Sales", pid("S01")),
                        (date(2026, 4, 1), None, "Sales", pid("S02"))]
    # two versions in Sales are one stay in it: S03 counts once in April's 18 (and once by team)
    frame, _ = participation(company, by="team", period="month", min_group_size=5)
    april = {r["team"]: r["headcount"] for r in frame.filter(frame["period"] == "2026-04").iter_rows(named=True)}
    assert april == {"Sales team": 18, "Operations team": 21, "Research team": 10, "Development team": 10}


def test_the_covers_line_says_which_organisation(company):
    asked = Query("participation", by="department", group="Sales", min_group_size=5)
    assert "organisation as it was on each day" in figure(Live(company), asked).covers.split(" · ")
    assert "today's organisation" in figure(Live(company), asked.but(attribution="today")).covers.split(" · ")
    # a measure that has not learned the history says it counts today's organisation
    assert "today's organisation" in figure(Live(company), asked.but(measure="inactive-teams", by="team",
                                                                     group=None)).covers.split(" · ")


def test_snapshots_and_effective_dates_give_the_same_history(tmp_path, company):
    db = tmp_path / "e.duckdb"
    (tmp_path / "hr.csv").write_text(effective_file())
    summary = ingest.load(tmp_path / "hr.csv", db=db, settings=Settings(values={}), as_of=date(2026, 4, 1),
                          refresh=False)
    assert [i.to_dict() for i in summary.inputs] == [
        {"input": "directory rows", "read": 238, "loaded": 238, "rejected": 0, "skipped": {}}]
    query = """
        select p.employee_id, h.valid_from, h.valid_to, h.department, h.team, m.employee_id
        from people_history h join people p using (person_key) left join people m on m.person_key = h.manager_key
        order by all"""
    people = ("select employee_id, department, team, hired_on, left_on, in_directory from people order by all")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute(query).fetchall() == company.execute(query).fetchall()
        assert con.execute(people).fetchall() == company.execute(people).fetchall()
    finally:
        con.close()
    add_activities(db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert by_department(con, "as-it-was") == by_department(company, "as-it-was")
    finally:
        con.close()


def test_the_command_line_says_which_organisation_it_shows(company, capsys):
    from ruche.cli import main

    db = company.execute("select file from pragma_database_list where name = current_database()").fetchone()[0]
    base = ["metrics", "participation", "--db", db, "--by", "department", "--format", "json"]
    for attribution, departments in (("as-it-was", ["Ops", "R&D", "Sales"]), ("today", ["Development", "Operations",
                                                                                      "Research", "Sales"])):
        assert main(base + ["--attribution", attribution, "--to", "2026-01-31"]) == 0
        document = json.loads(capsys.readouterr().out)
        assert document["attribution"] == attribution
        assert sorted(r["department"] for r in document["rows"]) == departments
    assert main(base[:-2] + ["--group", "R&D"]) == 0  # a department that no longer exists, as it was
    assert "organisation as it was on each day" in capsys.readouterr().out.splitlines()[1]


def test_the_sample_s_split_leaves_last_year_s_figures_as_they_were(sample_store, tmp_path, monkeypatch):
    """The sample's Operations becomes Production and Maintenance & Quality on 1 May 2026 (its
    directory's effective-dated rows). Loaded before the split (the directory without them, as HR
    exported it in April: each person's history rebuilt from it), then after: the months before the split keep Operations, with the
    same figures; the months after count the two new departments; today's organisation puts the
    people of Operations in the two new departments for every month."""
    import csv
    import io
    import shutil

    from ruche.sample import SPLIT_INTO

    monkeypatch.setenv("RUCHE_KEY", "ab" * 32)  # the sample store's key
    db = tmp_path / "split.duckdb"
    shutil.copy(sample_store, db)
    rows = list(csv.DictReader(io.StringIO((ROOT / "sample_data" / "directory.csv").read_text(encoding="utf-8"))))
    assert sum(1 for r in rows if r["effective_from"] == "2026-05-01") == 146
    before = io.StringIO()
    writer = csv.DictWriter(before, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(r for r in rows if not r["effective_from"] and r["department"] not in SPLIT_INTO)
    (tmp_path / "april.csv").write_text(before.getvalue(), encoding="utf-8")

    def months(con, attribution="as-it-was"):
        frame, _ = participation(con, by="department", period="month", min_group_size=5, attribution=attribution)
        return frame.filter(frame["department"].is_in(["Operations", *SPLIT_INTO]))

    ingest.load(tmp_path / "april.csv", db=db, settings=Settings(values={}), as_of=date(2026, 4, 30), refresh=False)
    con = duckdb.connect(str(db), read_only=True)
    published = months(con).filter(pl.col("period") <= "2026-04")
    con.close()
    assert published["period"].to_list() == [f"2025-{m}" for m in ("11", "12")] + [f"2026-0{m}" for m in range(1, 5)]
    assert set(published["department"]) == {"Operations"}

    # the directory with the split (its rows in another order: the sample store loaded this very file)
    after = io.StringIO()
    writer = csv.DictWriter(after, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(reversed(rows))
    (tmp_path / "may.csv").write_text(after.getvalue(), encoding="utf-8")
    ingest.load(tmp_path / "may.csv", db=db, settings=Settings(values={}), refresh=False)
    con = duckdb.connect(str(db), read_only=True)
    try:
        after = months(con)
        assert after.filter(pl.col("period") <= "2026-04").equals(published)
        assert set(after.filter(pl.col("period") >= "2026-05")["department"]) == set(SPLIT_INTO)
        # restated in today's organisation, Operations keeps only the people who left before the split
        today = months(con, "today").filter(pl.col("department") == "Operations")
        assert today["period"].max() <= "2026-04"
        compared = published.join(today, on="period", how="left", suffix="_today")
        # (period, headcount, active as it was, and today: April's few leavers are under the minimum size)
        assert compared.select("period", "headcount", "active", "headcount_today", "active_today").rows() == [
            ("2025-11", 150, 0, 13, 0), ("2025-12", 150, 1, 13, 0), ("2026-01", 149, 2, 10, 0),
            ("2026-02", 149, 3, 7, 0), ("2026-03", 151, 3, 6, 0), ("2026-04", 149, 8, None, None)]
    finally:
        con.close()


MOVED_ON = date(2026, 4, 15)

MORE_ACTIVITIES = """
insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, thread_ref, run_id)
with plan (uid, id, happened, kind, target, thread) as (
    values (1001, 'O06', timestamp '2026-03-12 09:00', 'post', null, null),
           (1002, 'O06', timestamp '2026-04-10 09:00', 'post', null, 't1'),
           (1003, 'O02', timestamp '2026-04-16 09:00', 'reply', 'O06', 't1'),
           (1004, 'O06', timestamp '2026-04-20 09:00', 'post', null, 't2')
),
final as (
    select uid, 'x', happened, p.person_key, kind, t.person_key, thread, 2
    from plan
    join ids on ids.id = plan.id
    join people as p on p.person_id = ids.person_id
    left join ids as target_ids on target_ids.id = plan.target
    left join people as t on t.person_id = target_ids.person_id
)
select * from final
"""


@pytest.fixture(scope="module")
def mover(tmp_path_factory):
    """The company, and a newcomer who moves: O06 (never active) posts for the first time on 12
    March, in Ops; starts a thread on 10 April, in Operations, answered by O02 on 16 April, after
    O06 moved to Sales on 15 April (a snapshot of that day); and starts another, in Sales, on 20
    April, never answered. The store's results refreshed, as a load leaves them."""
    from metrics.refresh import refresh_metrics
    from ruche.store import connect

    tmp_path = tmp_path_factory.mktemp("mover")
    db = tmp_path / "m.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUCHE_KEY", KEY)
        load_snapshots(tmp_path, db)
        rows = directory_rows(date(2026, 4, 1))
        for r in rows:
            if r["id"] == "O06":
                r.update(department="Sales", team="Sales team", manager_id="S01")
        (tmp_path / "hr-moved.csv").write_text(csv_text(rows))
        ingest.load(tmp_path / "hr-moved.csv", db=db, settings=Settings(values={}), as_of=MOVED_ON, refresh=False)
        add_activities(db)
        con = connect(str(db))
        try:
            con.execute("create temp table ids (id varchar, person_id varchar)")
            con.executemany("insert into ids values (?, ?)",
                            [[f"{p}{n:02d}", pid(person(f"{p}{n:02d}"))] for p in "SOR" for n in range(1, 21)])
            con.execute(MORE_ACTIVITIES)
            refresh_metrics(con, Settings(values={}))
        finally:
            con.close()
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def lifecycle_by_department(con, attribution: str) -> dict:
    from metrics.lifecycle import lifecycle

    rows, _, funnel, cohorts = lifecycle(con, "department", "month", min_group_size=5, attribution=attribution)
    return {
        "rows": {(r["period"], r["department"]): (r["headcount"], r["contributors"], r["new"], r["continuing"],
                                                  r["returning"], r["lapsed"], r["lapsed_newcomers"])
                 for r in rows.iter_rows(named=True)},
        "funnel": {r["department"]: tuple(r[c] for c in ("in_directory", "seen", "reacted", "posted", "regular"))
                   for r in funnel.iter_rows(named=True)},
        "cohorts": {(r["department"], r["cohort"], r["months_after"]): (r["cohort_size"], r["active"])
                    for r in cohorts.iter_rows(named=True)},
    }


def test_the_lifecycle_counts_a_newcomer_in_the_group_of_each_contribution(mover):
    found = lifecycle_by_department(mover, "as-it-was")
    # (headcount, contributors, new, continuing, returning, lapsed, lapsed_newcomers)
    assert found["rows"] == {
        ("2026-01", "Sales"): (20, 10, 10, 0, 0, 0, 0), ("2026-01", "Ops"): (20, 5, 5, 0, 0, 0, 0),
        ("2026-01", "R&D"): (20, 11, 11, 0, 0, 0, 0),
        # S01 moved on 15 February: continuing in both (their posts of the 10th and the 20th)
        ("2026-02", "Sales"): (20, 10, 0, 10, 0, 0, 0), ("2026-02", "Ops"): (21, 6, 0, 6, 0, 0, 0),
        ("2026-02", "R&D"): (20, 11, 0, 11, 0, 0, 0),
        # O06's first contribution, in Ops; the split: R&D's contributors go on in the two new departments
        ("2026-03", "Sales"): (19, 9, 0, 9, 0, 0, 0), ("2026-03", "Ops"): (21, 7, 1, 6, 0, 0, 0),
        ("2026-03", "Research"): (10, 8, 0, 8, 0, 0, 0), ("2026-03", "Development"): (10, 3, 0, 3, 0, 0, 0),
        # O06 moved on 15 April: their thread of the 10th in Operations, that of the 20th in Sales
        ("2026-04", "Sales"): (19, 10, 0, 10, 0, 0, 0), ("2026-04", "Operations"): (21, 7, 0, 7, 0, 0, 0),
        ("2026-04", "Research"): (10, 8, 0, 8, 0, 0, 0), ("2026-04", "Development"): (10, 3, 0, 3, 0, 0, 0),
    }
    # over the range: everyone employed who held the group on a day of it, from the activity of
    # those days; regular: contributions in 3 months of the range in the group (a rename and a
    # split cut the months: Ops's O01-O05 are regular there, not in Operations)
    assert found["funnel"] == {
        "Sales": (21, 11, 11, 11, 9), "Ops": (21, 7, 7, 7, 5), "Operations": (21, 7, 7, 7, 0),
        "R&D": (20, 11, 11, 11, 0), "Research": (10, 8, 8, 8, 0), "Development": (10, 3, 3, 3, 0)}
    # a cohort in the group its people held on the day of their first activity, followed wherever they go
    assert found["cohorts"] == {
        **{("Sales", "2026-01", m): (10, 10) for m in range(4)},
        **{("Ops", "2026-01", m): (5, 5) for m in range(4)},
        **{("R&D", "2026-01", m): (11, 11) for m in range(4)},
    }


def test_the_lifecycle_restated_puts_the_newcomer_in_today_s_group(mover):
    found = lifecycle_by_department(mover, "today")
    assert found["rows"] == {
        # S02-S10 (S01 is in Operations now), then O06 too, new in March
        **{(m, "Sales"): (20, 9, 9 if m == "2026-01" else 0, 0 if m == "2026-01" else 9, 0, 0, 0)
           for m in ("2026-01", "2026-02")},
        ("2026-03", "Sales"): (20, 10, 1, 9, 0, 0, 0), ("2026-04", "Sales"): (19, 10, 0, 10, 0, 0, 0),
        **{(m, "Operations"): (20, 6, 6 if m == "2026-01" else 0, 0 if m == "2026-01" else 6, 0, 0, 0)
           for m in ("2026-01", "2026-02", "2026-03", "2026-04")},
        **{(m, "Research"): (10, 8, 8 if m == "2026-01" else 0, 0 if m == "2026-01" else 8, 0, 0, 0)
           for m in ("2026-01", "2026-02", "2026-03", "2026-04")},
        **{(m, "Development"): (10, 3, 3 if m == "2026-01" else 0, 0 if m == "2026-01" else 3, 0, 0, 0)
           for m in ("2026-01", "2026-02", "2026-03", "2026-04")},
    }
    assert found["funnel"] == {"Sales": (20, 10, 10, 10, 9), "Operations": (20, 6, 6, 6, 6),
                               "Research": (10, 8, 8, 8, 8), "Development": (10, 3, 3, 3, 3)}


@pytest.mark.parametrize("attribution", ["as-it-was", "today"])
def test_the_versions_of_some_people_are_theirs_among_everyone_s(mover, attribution):
    """metrics.bases.people_versions of some people alone (``people``: what responsiveness's threads
    counted read, the threads' authors) gives their rows of everyone's versions, their first
    version extended back and their last forward: three of the mover O06 and of S01, two of R03
    (R&D split); one open version each in today's organisation."""
    from metrics.bases import people_versions

    ids = [pid(person(i)) for i in ("O06", "S01", "R03")]
    keys = "(select person_key from people where person_id in (select unnest($ids::varchar[])))"
    some = mover.execute(f"select * from {people_versions(attribution, people=keys)} order by all", {"ids": ids}).fetchall()
    everyone = mover.execute(f"select * from {people_versions(attribution)} where person_key in {keys} order by all",
                             {"ids": ids}).fetchall()
    assert some == everyone
    assert [len([r for r in some if r[1] == i]) for i in ids] == ([3, 3, 2] if attribution == "as-it-was" else [1, 1, 1])


def responsiveness_by_department(con, attribution: str) -> dict:
    from metrics.responsiveness import responsiveness

    rows, _ = responsiveness(con, "department", "month", min_group_size=5, attribution=attribution)
    return {(r["period"], r["department"]): (r["threads"], r["threads_answered"], r["unanswered_share"],
                                             r["first_reply_median_hours"])
            for r in rows.filter(pl.col("threads") > 0).iter_rows(named=True)}


def test_a_thread_counts_in_the_group_its_author_held_the_day_it_started(mover):
    # the thread of 10 April, in Operations, answered 144 hours later (by then its author was in
    # Sales); that of 20 April, in Sales, unanswered
    assert responsiveness_by_department(mover, "as-it-was") == {
        ("2026-04", "Operations"): (1, 1, 0.0, 144.0), ("2026-04", "Sales"): (1, 0, 1.0, None)}
    assert responsiveness_by_department(mover, "today") == {("2026-04", "Sales"): (2, 1, 0.5, 144.0)}


def test_inequality_ranks_a_mover_in_each_group_by_their_part_of_the_activity(company):
    from metrics.inequality import inequality

    def split(attribution):
        rows, figures, left_out = inequality(company, "department", min_group_size=5, attribution=attribution)
        return ({(r["department"], r["class"]): (r["people"], r["contributions"]) for r in rows.iter_rows(named=True)
                 if r["people"]},
                {r["department"]: (r["headcount"], r["contributor_absence_factor"]) for r in figures.iter_rows(named=True)},
                {r["department"]: r["gini"] for r in figures.iter_rows(named=True)})

    classes, heads, gini = split("as-it-was")
    # S01: 2 posts in Sales (10 January, 10 February), 2 in Ops (20 February, 10 March), 1 in
    # Operations (10 April, after the rename); the superusers: everyone tied at the top count
    assert classes == {
        ("Sales", "superuser"): (9, 36), ("Sales", "contributor"): (1, 2), ("Sales", "non-contributor"): (10, 0),
        ("Ops", "superuser"): (5, 15), ("Ops", "contributor"): (1, 2), ("Ops", "non-contributor"): (15, 0),
        ("Operations", "superuser"): (6, 6), ("Operations", "non-contributor"): (15, 0),
        ("R&D", "superuser"): (11, 22), ("R&D", "non-contributor"): (9, 0),
        ("Research", "superuser"): (8, 16), ("Research", "non-contributor"): (2, 0),
        ("Development", "superuser"): (3, 6), ("Development", "non-contributor"): (7, 0),
    }
    assert heads == {"Sales": (20, 5), "Ops": (21, 3), "Operations": (21, 3), "R&D": (20, 6), "Research": (10, 4),
                     "Development": (10, 2)}
    assert gini == pytest.approx({"Sales": gini_of([4] * 9 + [2] + [0] * 10), "Ops": gini_of([3] * 5 + [2] + [0] * 15),
                                  "Operations": gini_of([1] * 6 + [0] * 15), "R&D": gini_of([2] * 11 + [0] * 9),
                                  "Research": gini_of([2] * 8 + [0] * 2), "Development": gini_of([2] * 3 + [0] * 7)},
                                 abs=1e-12)
    classes, heads, gini = split("today")
    assert classes == {
        ("Sales", "superuser"): (9, 36), ("Sales", "non-contributor"): (10, 0),
        ("Operations", "superuser"): (1, 5), ("Operations", "contributor"): (5, 20),
        ("Operations", "non-contributor"): (15, 0),
        ("Research", "superuser"): (8, 32), ("Research", "non-contributor"): (2, 0),
        ("Development", "superuser"): (3, 12), ("Development", "non-contributor"): (7, 0),
    }
    assert heads == {"Sales": (19, 5), "Operations": (21, 3), "Research": (10, 4), "Development": (10, 2)}
    assert gini["Operations"] == pytest.approx(gini_of([5] + [4] * 5 + [0] * 15), abs=1e-12)


def gini_of(counts: list[int]) -> float:
    """The Gini coefficient of ``counts`` by its definition: the mean absolute difference over
    twice the mean."""
    n, total = len(counts), sum(counts)
    return sum(abs(a - b) for a in counts for b in counts) / (2 * n * total)


def test_the_organisation_s_figures_count_a_mover_once(company):
    from metrics.measure import MetricParams
    from metrics.registry import get

    for extra in ({}, {"attribution": "today"}):
        found = get("inequality")(company, MetricParams(by="department", min_group_size=5, extra=extra))
        assert found.extra["headcount"] == 60
        assert found.extra["organisation"].select("class", "people", "contributions").rows() == [
            ("superuser", 1, 5), ("contributor", 25, 100), ("non-contributor", 34, 0)]
        assert found.extra["gini"] == pytest.approx(
            gini_of([5] + [4] * 9 + [4] * 5 + [4] * 11 + [0] * 34), abs=1e-12)
        personas = get("personas")(company, MetricParams(by="department", min_group_size=5, extra=extra))
        assert [(p["persona"], p["people"]) for p in personas.extra["organisation"]] == [
            ("engager", 0), ("catalyst", 1), ("responder", 5), ("broadcaster", 20), ("observer", 0)]
        assert found.extra["attribution"] == personas.extra["attribution"] == (extra.get("attribution") or "as-it-was")


def test_personas_give_a_mover_a_persona_in_each_group(company):
    from metrics.personas import personas

    def shown(attribution):
        rows, _ = personas(company, "department", min_group_size=5, attribution=attribution)
        return {(r["department"], r["persona"]): (r["people"], r["headcount"])
                for r in rows.filter(pl.col("people") > 0).iter_rows(named=True)}

    # S02 receives the replies of O01-O05 (a catalyst); S01 posts in Sales, Ops and Operations (a
    # broadcaster in each); O01-O05 reply (responders) in Ops and again in Operations
    assert shown("as-it-was") == {
        ("Sales", "catalyst"): (1, 20), ("Sales", "broadcaster"): (9, 20),
        ("Ops", "responder"): (5, 21), ("Ops", "broadcaster"): (1, 21),
        ("Operations", "responder"): (5, 21), ("Operations", "broadcaster"): (1, 21),
        ("R&D", "broadcaster"): (11, 20), ("Research", "broadcaster"): (8, 10), ("Development", "broadcaster"): (3, 10),
    }
    assert shown("today") == {
        ("Sales", "catalyst"): (1, 19), ("Sales", "broadcaster"): (8, 19),
        ("Operations", "responder"): (5, 21), ("Operations", "broadcaster"): (1, 21),
        ("Research", "broadcaster"): (8, 10), ("Development", "broadcaster"): (3, 10),
    }


def test_external_collaboration_counts_each_end_in_its_group_of_the_day(company):
    from metrics.external import external_collaboration

    def shown(attribution):
        rows, _ = external_collaboration(company, "department", min_group_size=5, attribution=attribution)
        return {r["department"]: (r["headcount"], r["interactions"], r["external_interactions"])
                for r in rows.iter_rows(named=True)}

    # O01-O05 reply to S02 on the 5th of each month: 15 interactions of Ops with Sales, 5 of
    # Operations (April); S01's mentions of S05 in January and February (inside Sales then) and
    # of O02 on 20 February (inside Ops); R01's of R15 inside R&D in February, then from Research
    # to Development in March; nobody external
    assert shown("as-it-was") == {"Sales": (20, 22, 0), "Ops": (21, 16, 0), "Operations": (21, 5, 0),
                                  "R&D": (20, 1, 0), "Research": (10, 1, 0), "Development": (10, 1, 0)}
    # today S01 is in Operations: their mentions of S05 leave it for Sales, that of O02 stays in it;
    # R01 (Research) and R15 (Development) tie the two new departments twice
    assert shown("today") == {"Sales": (19, 22, 0), "Operations": (21, 23, 0), "Research": (10, 2, 0),
                              "Development": (10, 2, 0)}


ATTRIBUTED_NOW = ("lifecycle", "responsiveness", "personas", "inequality", "external")


def test_the_stored_results_are_as_it_was_and_equal_the_live_ones(mover):
    from polars.testing import assert_frame_equal

    from metrics import results
    from metrics.measure import MetricParams
    from metrics.registry import get

    keys = results.current_keys(mover)
    for name, by, period, extra in results.default_calls(Settings(values={})):
        if name not in ATTRIBUTED_NOW:
            continue
        assert extra == {}  # stored as it was, the default (and today's organisation: below)
        params = MetricParams(by=by, period=period, min_group_size=5, extra=extra)
        stored, live = results.lookup(mover, name, params, keys), get(name)(mover, params)
        assert stored is not None, (name, by, period)
        assert_frame_equal(stored.rows, live.rows)
        assert stored.suppressed_groups == live.suppressed_groups
        assert stored.extra["attribution"] == live.extra["attribution"] == "as-it-was"
        for part in ("funnel", "cohorts", "organisation", "groups"):
            if isinstance(live.extra.get(part), pl.DataFrame):
                assert_frame_equal(stored.extra[part], live.extra[part])
    # the restated view by department (someone moved) stored too, equal to the live one; by site
    # (nobody's changed) not: the one as it was is shown for it (metrics.bases.restated_as)
    today = MetricParams(by="department", period="month", min_group_size=5, extra={"attribution": "today"})
    stored, live = results.lookup(mover, "lifecycle", today, keys), get("lifecycle")(mover, today)
    assert_frame_equal(stored.rows, live.rows)
    assert stored.extra["attribution"] == live.extra["attribution"] == "today"
    for part in ("funnel", "cohorts"):
        assert_frame_equal(stored.extra[part], live.extra[part])
    assert results.lookup(mover, "lifecycle", MetricParams(
        by="site", period="month", min_group_size=5, extra={"attribution": "today"}), keys) is None


def test_every_measure_that_follows_the_history_says_which_organisation(mover, capsys):
    from metrics.bases import ATTRIBUTED
    from ruche.cli import main

    assert set(ATTRIBUTED_NOW) <= ATTRIBUTED
    for name in ATTRIBUTED_NOW:
        asked = Query(name, by="department", min_group_size=5)
        assert "organisation as it was on each day" in figure(Live(mover), asked).covers.split(" · "), name
        assert "today's organisation" in figure(Live(mover), asked.but(attribution="today")).covers.split(" · ")
    db = mover.execute("select file from pragma_database_list where name = current_database()").fetchone()[0]
    for attribution, groups in (("as-it-was", ["Operations", "Sales"]), ("today", ["Sales"])):
        assert main(["metrics", "responsiveness", "--db", db, "--by", "department", "--from", "2026-04-01",
                     "--format", "json", "--attribution", attribution]) == 0
        document = json.loads(capsys.readouterr().out)
        assert document["attribution"] == attribution
        assert sorted(r["department"] for r in document["rows"] if r["threads"]) == groups


def test_a_snapshot_older_than_one_loaded_is_refused(tmp_path):
    """Loaded after the one of 1 April, the snapshot of 15 February would rewrite the versions
    opened on 1 April: an error naming both dates, and the store as it was."""
    from ingest.common import IngestError

    db = tmp_path / "o.duckdb"
    load_snapshots(tmp_path, db)
    con = duckdb.connect(str(db), read_only=True)
    history = con.execute("select * from people_history order by all").fetchall()
    con.close()
    late = tmp_path / "late.csv"
    rows = directory_rows(date(2026, 2, 15))
    rows[4]["department"] = "Legal"  # not the file already loaded (that one would be skipped as such)
    late.write_text(csv_text(rows))
    with pytest.raises(IngestError, match=r"late\.csv: a snapshot of 2026-02-15 is older than one already loaded "
                                          r"\(of 2026-04-01\): load directory snapshots in date order"):
        ingest.load(late, db=db, settings=Settings(values={}), as_of=date(2026, 2, 15), refresh=False)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select * from people_history order by all").fetchall() == history
    con.close()


def test_the_dashboard_s_sidebar_chooses_the_organisation_and_the_page_says_which(sample_store, monkeypatch):
    """The Participation page of the sample by department: as it was (the default), its covers
    line says so and Operations is among the groups; today's organisation, likewise."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(sample_store))
    monkeypatch.setenv("RUCHE_CONFIG", str(ROOT / "dashboard" / "demo.toml"))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("screens/participation.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.radio(key="attribution").value == "as-it-was"
    covers = [c.value.replace("\\", "") for c in at.caption if "Covers" in c.value]
    assert covers and "organisation as it was on each day" in covers[0]
    assert "Operations" in at.sidebar.selectbox(key="group").options
    at.sidebar.radio(key="attribution").set_value("today").run()
    assert not at.exception, [e.value for e in at.exception]
    covers = [c.value.replace("\\", "") for c in at.caption if "Covers" in c.value]
    assert covers and "today's organisation" in covers[0]


def test_the_communities_and_contributors_pages_follow_the_sidebar_s_organisation(sample_store, monkeypatch):
    """Responsiveness and the lifecycle (Communities), the 90/9/1 split (Contributors) by
    department: as it was (the stored results), then today's organisation (computed live), each
    covers line saying which."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(sample_store))
    monkeypatch.setenv("RUCHE_CONFIG", str(ROOT / "dashboard" / "demo.toml"))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=180)
    at.run()
    # the communities (spaces) group no people: their covers line names no organisation
    for page, figures in (("screens/communities.py", 2), ("screens/contributors.py", 1)):
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        for attribution, words in (("as-it-was", "organisation as it was on each day"),
                                   ("today", "today's organisation")):
            at.sidebar.radio(key="attribution").set_value(attribution).run()
            assert not at.exception, [e.value for e in at.exception]
            covers = [c.value.replace("\\", "") for c in at.caption if "Covers" in c.value]
            assert sum(words in c for c in covers) == figures, (page, attribution, covers)
            assert not any(other in c for c in covers for other in ("organisation as it was on each day",
                                                                     "today's organisation") if other != words)


def test_the_report_says_which_organisation_it_shows(sample_store, tmp_path, monkeypatch):
    import html

    from ruche.cli import main

    monkeypatch.setenv("RUCHE_KEY", "ab" * 32)
    for attribution, words in (("as-it-was", "organisation as it was on each day"), ("today", "today's organisation")):
        out = tmp_path / f"{attribution}.html"
        assert main(["report", "--db", str(sample_store), "--out", str(out), "--attribution", attribution]) == 0
        page = out.read_text(encoding="utf-8")
        assert f"people employed in the period · {html.escape(words)} · 2025-11-01 to 2026-10-31" in page


# --------------------------------------------------------------------------------------------
# The network measures: each tie in the groups both its ends held on its day

def silo_rows(con, attribution: str, period: str | None = None) -> tuple[dict, list]:
    from metrics.silos import silos

    groups, _, org = silos(con, by="department", period=period, min_group_size=5, min_ties=1,
                           min_ties_per_person=0, attribution=attribution)
    key = (lambda r: (r["period"], r["department"])) if period else (lambda r: r["department"])
    rows = {key(r): (r["headcount"], r["internal_ties"], r["external_ties"], r["ei_index"])
            for r in groups.iter_rows(named=True)}
    return rows, org.rows()


def test_silos_as_it_was_count_each_tie_in_the_groups_of_its_day(company):
    rows, org = silo_rows(company, "as-it-was")
    assert rows == {
        # (headcount over the window, internal ties, outward ties, E-I)
        # S01's mentions of S05 in January and February: inside Sales, S01 held it then
        "Sales": (20, 2, 20, 18 / 22),
        # O01-O05's replies to S02 from January to March, and S01's mention of O02 on 20 February
        "Ops": (21, 1, 15, 14 / 16),
        "Operations": (21, 0, 5, 1.0),       # April's replies
        "R&D": (20, 1, 0, -1.0),             # R01 to R15 before the split: inside R&D
        "Research": (10, 0, 1, 1.0),         # and after it: between the two new departments
        "Development": (10, 0, 1, 1.0),
    }
    # (ties, E-I, cross-silo share, modularity, internal, between, E-I as the groups count it)
    assert org[0][:3] == (25, (21 - 4) / 25, 21 / 25)
    assert org[0][4:6] == (4, 21)


def test_silos_today_restate_every_tie_in_today_s_groups(company):
    rows, org = silo_rows(company, "today")
    assert rows == {
        "Sales": (19, 0, 22, 1.0),                # S02-S20: S01 is in Operations now
        "Operations": (21, 1, 22, 21 / 23),       # S01 to O02 inside; S01 to S05 outward
        "Research": (10, 0, 2, 1.0),
        "Development": (10, 0, 2, 1.0),
    }
    assert org[0][:3] == (25, (24 - 1) / 25, 24 / 25)
    assert org[0][4:6] == (1, 24)


def test_per_period_a_tie_before_the_move_counts_in_the_old_group(company):
    rows, org = silo_rows(company, "as-it-was", "month")
    assert {k: v for k, v in rows.items() if k[0] == "2026-02"} == {
        # S01 in both headcounts; their mention of the 10th inside Sales, that of the 20th inside Ops
        ("2026-02", "Sales"): (20, 1, 5, 4 / 6),
        ("2026-02", "Ops"): (21, 1, 5, 4 / 6),
        ("2026-02", "R&D"): (20, 1, 0, -1.0),
    }
    assert {r[0]: r[3] for r in org} == {"2026-01": 5 / 6, "2026-02": 5 / 8, "2026-03": 1.0, "2026-04": 1.0}
    _, today = silo_rows(company, "today", "month")
    assert {r[0]: r[3] for r in today} == {"2026-01": 1.0, "2026-02": 7 / 8, "2026-03": 1.0, "2026-04": 1.0}


def test_the_group_graph_follows_the_attribution(company):
    from metrics.graph import group_graph_frames

    nodes, edges, _, count = group_graph_frames(company, "department", min_group_size=5)
    assert edges.rows() == [("Development", "Research", 1), ("Operations", "Sales", 5), ("Ops", "Sales", 15)]
    assert nodes.rows() == [("Development", 10, 0), ("Operations", 21, 0), ("Ops", 21, 1), ("R&D", 20, 1),
                            ("Research", 10, 0), ("Sales", 20, 2)]
    nodes, edges, _, count = group_graph_frames(company, "department", min_group_size=5, attribution="today")
    assert edges.rows() == [("Development", "Research", 2), ("Operations", "Sales", 22)]
    assert nodes.rows() == [("Development", 10, 0), ("Operations", 21, 1), ("Research", 10, 0), ("Sales", 19, 0)]


def test_bridges_and_communities_put_each_person_in_the_group_of_the_graph_s_day(company):
    """The person graph up to 28 February: S01 is in Ops, R01 and R15 in R&D, as they were that day; today's organisation has R01 in Research and R15 in
    Development, both spanning."""
    from metrics.centrality import bridges
    from metrics.communities import communities

    end = date(2026, 2, 28)
    for attribution, spanners in (
            ("as-it-was", {"Sales": (19, 2), "Ops": (21, 6), "R&D": (20, 0)}),
            ("today", {"Sales": (19, 2), "Operations": (21, 6), "Research": (10, 1), "Development": (10, 1)})):
        per_group, _, _, _ = bridges(company, end=end, min_group_size=5, attribution=attribution)
        assert {r["department"]: (r["headcount"], r["spanners"]) for r in per_group.iter_rows(named=True)} == spanners
    # the community of R01 and R15 (the smallest: two people, one tie)
    for attribution, mix in (("as-it-was", [("R&D", 2)]), ("today", [("Development", 1), ("Research", 1)])):
        rows, _, figures = communities(company, end=end, min_group_size=1, attribution=attribution)
        smallest = rows.filter(pl.col("community") == rows["community"].max())
        assert sorted(smallest.select("department", "people").rows()) == mix
        assert figures.get("groups_as_of") == (end if attribution == "as-it-was" else None)


def test_the_network_figures_say_which_organisation(company):
    asked = Query("silos", by="department", min_group_size=5)
    for measure in ("silos", "group-graph"):
        assert "organisation as it was on each day" in figure(Live(company), asked.but(measure=measure)).covers
        assert "today's organisation" in figure(Live(company), asked.but(measure=measure, attribution="today")).covers
    for measure in ("bridges", "network-communities"):
        fig = figure(Live(company), asked.but(measure=measure, end=date(2026, 2, 28)))
        assert "organisation as it was on 2026-02-28" in fig.covers.split(" · ")
        fig = figure(Live(company), asked.but(measure=measure, end=date(2026, 2, 28), attribution="today"))
        assert "today's organisation" in fig.covers.split(" · ")


@pytest.fixture(scope="module")
def refreshed(company, tmp_path_factory):
    """A copy of the company's store with its derived tables built, as a load builds them."""
    import shutil

    from metrics.refresh import refresh_metrics
    from ruche.store import writing

    db = tmp_path_factory.mktemp("refreshed") / "r.duckdb"
    source = company.execute("select file from pragma_database_list where name = current_database()").fetchone()[0]
    shutil.copy(source, db)
    with writing(str(db)) as con:
        refresh_metrics(con, Settings(values={}))
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def test_the_stored_group_ties_hold_each_tie_in_the_groups_of_its_day(refreshed):
    ties = refreshed.execute("select day, grp_a, grp_b, weight from m_group_ties where attribute = 'department' "
                             "and not (grp_a = 'Ops' and grp_b = 'Sales') order by all").fetchall()
    assert ties == [
        (date(2026, 1, 10), "Sales", "Sales", 1),
        (date(2026, 2, 10), "Sales", "Sales", 1),
        (date(2026, 2, 20), "Ops", "Ops", 1),
        (date(2026, 2, 20), "R&D", "R&D", 1),
        (date(2026, 3, 20), "Development", "Research", 1),
        (date(2026, 4, 5), "Operations", "Sales", 5),
    ]


def test_the_stored_group_ties_of_today_hold_each_tie_in_the_groups_held_now(refreshed):
    """Today's organisation's ties are kept for the attributes someone held otherwise on some day
    (the department, the team; a new manager moves nobody's group), each tie in the groups both its
    ends hold now: S01's mentions of S05 before the move tie Operations to Sales, R01's of R15
    before the split tie Development to Research."""
    from metrics.ties import tied_today

    assert tied_today(refreshed) == {"department", "team"}
    ties = refreshed.execute("select day, grp_a, grp_b, weight from m_group_ties_today "
                             "where attribute = 'department' order by all").fetchall()
    assert ties == [
        (date(2026, 1, 5), "Operations", "Sales", 5),
        (date(2026, 1, 10), "Operations", "Sales", 1),
        (date(2026, 2, 5), "Operations", "Sales", 5),
        (date(2026, 2, 10), "Operations", "Sales", 1),
        (date(2026, 2, 20), "Development", "Research", 1),
        (date(2026, 2, 20), "Operations", "Operations", 1),
        (date(2026, 3, 5), "Operations", "Sales", 5),
        (date(2026, 3, 20), "Development", "Research", 1),
        (date(2026, 4, 5), "Operations", "Sales", 5),
    ]
    ends = refreshed.execute("select month, grp, internal_ties, external_ties from m_group_ends_today "
                             "where attribute = 'department' and grp = 'Operations' order by all").fetchall()
    assert ends == [(date(2026, 1, 1), "Operations", 0, 6), (date(2026, 2, 1), "Operations", 1, 6),
                    (date(2026, 3, 1), "Operations", 0, 5), (date(2026, 4, 1), "Operations", 0, 5)]


def rounded(value):
    if isinstance(value, float):
        return round(value, 12)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    if isinstance(value, pl.DataFrame):
        return rounded(value.to_dicts())
    return value


@pytest.mark.parametrize("by", ["department", "team"])
def test_stored_and_live_network_figures_are_equal(refreshed, monkeypatch, by):
    """What the stored group ties give, as it was and as today's organisation, is what the
    activities give."""
    import metrics.graph
    from metrics import registry
    from metrics.graph import stored_ties
    from metrics.measure import MetricParams
    from metrics.ties import group_ties_current

    assert group_ties_current(refreshed)
    assert stored_ties(refreshed, "as-it-was", by) and stored_ties(refreshed, "today", by)
    calls = [("silos", None, None, {"silo_min_ties": 1, "silo_min_ties_per_person": 0}),
             ("silos", date(2026, 2, 1), date(2026, 3, 31), {"silo_min_ties": 1, "silo_min_ties_per_person": 0}),
             ("silos", date(2026, 2, 12), date(2026, 3, 24), {"silo_min_ties": 1, "silo_min_ties_per_person": 0}),
             ("silos", None, None, {"per_period": True, "silo_min_ties": 1, "silo_min_ties_per_person": 0}),
             ("group-graph", None, None, {}), ("group-graph", date(2026, 2, 12), date(2026, 3, 24), {})]
    calls += [(name, start, end, {**extra, "attribution": "today"}) for name, start, end, extra in calls]

    def run(name, start, end, extra):
        return registry.get(name)(refreshed, MetricParams(by=by, start=start, end=end, min_group_size=5, extra=extra))

    stored = [run(*call) for call in calls]
    monkeypatch.setattr(metrics.graph, "group_ties_current", lambda con: False)
    live = [run(*call) for call in calls]
    for call, s, l in zip(calls, stored, live):
        assert_frame_equal(s.rows, l.rows, check_exact=False, rel_tol=1e-12), call
        # modularity sums floats over groups in no set order: equal up to the last bits
        assert (s.suppressed_groups, rounded(s.extra)) == (l.suppressed_groups, rounded(l.extra)), call
    as_it_was, today = stored[0], stored[len(calls) // 2]
    assert as_it_was.extra["attribution"] == "as-it-was" and today.extra["attribution"] == "today"
    assert as_it_was.extra["cross_silo_share"] == 21 / 25 and today.extra["cross_silo_share"] == 24 / 25


def test_a_purge_folds_each_month_in_the_groups_of_its_days(company, tmp_path):
    """January to March folded into group_history: February's Sales and Ops both count S01 (their
    post of the 10th in Sales, of the 20th in Ops), R&D is one department until March: the
    participation the months had before the purge, as it was."""
    import shutil

    from ruche import retention
    from ruche.store import writing

    before = by_department(company, "as-it-was")
    db = tmp_path / "p.duckdb"
    source = company.execute("select file from pragma_database_list where name = current_database()").fetchone()[0]
    shutil.copy(source, db)
    with writing(str(db)) as con:
        done = retention.purge(con, date(2026, 5, 15), 1)
    assert done.folded_months == ["2026-01", "2026-02", "2026-03"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        folded = {(str(p)[:7], v): (h, a, c) for p, v, h, a, c in con.execute(
            "select period_start, value, headcount, active, contributors from group_history "
            "where attribute = 'department' and headcount is not null").fetchall()}
    finally:
        con.close()
    assert folded == {k: v for k, v in before.items() if k[0] <= "2026-03"}
    assert folded[("2026-02", "Ops")] == (21, 6, 6) and ("2026-02", "Research") not in folded


def assert_silos_by_each_attribute_alone(con, start):
    """The cross-silo share per period of every attribute in one query (what a load stores) is,
    row for row, what a query by each attribute alone gives: groups, the groups left out, the
    organisation's figures per period."""
    from metrics.graph import stored_ties
    from metrics.results import BY_CHOICES
    from metrics.silos import silos_and_hidden, silos_by

    assert stored_ties(con, "as-it-was")
    for period in ("week", "month", "quarter"):
        every = silos_by(con, BY_CHOICES, period, start, 5, -0.5, 1, 0.0)
        assert sorted(every) == sorted(BY_CHOICES)
        for by in BY_CHOICES:
            alone = silos_and_hidden(con, by, period, start, None, 5, -0.5, 1, 0.0)
            assert every[by][1] == alone[1], (period, by)
            for mine, theirs in zip((every[by][0], every[by][2], every[by][3]), (alone[0], alone[2], alone[3])):
                assert_frame_equal(mine, theirs, check_exact=True)
    return every


def test_the_cross_silo_share_of_every_attribute_at_once_is_each_attributes_alone(refreshed):
    assert_silos_by_each_attribute_alone(refreshed, None)
    assert_silos_by_each_attribute_alone(refreshed, date(2026, 2, 15))
    from metrics.results import BY_CHOICES
    from metrics.silos import silos_by

    # S01's move counted in the groups of each tie's day (test_per_period_a_tie_before_the_move_...)
    org = silos_by(refreshed, BY_CHOICES, "month", None, 1, -0.5, 1, 0.0)["department"][2]
    assert dict(org.select("period", "cross_silo_share").rows()) == {
        "2026-01": 5 / 6, "2026-02": 5 / 8, "2026-03": 1.0, "2026-04": 1.0}


def test_the_e_i_index_of_the_whole_history_of_every_attribute_at_once_is_each_attributes_alone(refreshed):
    """The E-I index and the group graph over the whole history a load stores, every attribute's
    groups' totals read in one query (metrics.silos.totals_by with no grain), are what the metric
    computes by each attribute alone: groups, the groups left out, the organisation's figures, the
    graph's nodes and edges."""
    from metrics import registry, results, silos
    from metrics.registry import MetricParams

    calls = []
    real = silos.totals_by

    def counted(con, bys, period, start):
        calls.append((period, start))
        return real(con, bys, period, start)

    common: dict = {}
    for k in (1, 5):
        for by in results.BY_CHOICES:
            params = MetricParams(by=by, period="month", min_group_size=k, extra={
                "silo_threshold": -0.5, "silo_min_ties": 1, "silo_min_ties_per_person": 0.0, "graph_top": 40})
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(silos, "totals_by", counted)
                mine, hidden = results._with_hidden(refreshed, "silos", params, common)
            theirs = registry.get("silos")(refreshed, params)
            assert hidden is None and (by, mine.suppressed_groups) == (by, theirs.suppressed_groups)
            assert_frame_equal(mine.rows, theirs.rows, check_exact=True)
            graph, their_graph = mine.extra.pop("graph"), theirs.extra.pop("graph")
            assert (by, mine.extra) == (by, theirs.extra)
            assert graph["groups"] == their_graph["groups"]
            assert_frame_equal(graph["nodes"], their_graph["nodes"], check_exact=True)
            assert_frame_equal(graph["edges"], their_graph["edges"], check_exact=True)
    # one query for every attribute and both minimum group sizes
    assert calls == [(None, None)]
    whole = results._with_hidden(refreshed, "silos", MetricParams(
        by="department", period="month", min_group_size=1,
        extra={"silo_threshold": -0.5, "silo_min_ties": 1, "silo_min_ties_per_person": 0.0}), common)[0]
    # the whole history's ties, each in the groups of its day (S01's move): 4 inside a group, 21 between two
    assert (whole.extra["ties"], whole.extra["internal_ties"], whole.extra["between_ties"]) == (25, 4, 21)
    assert (whole.extra["cross_silo_share"], whole.extra["ei_index"]) == (21 / 25, (21 - 4) / 25)
    assert whole.rows.select("department", "headcount", "internal_ties", "external_ties").rows() == [
        ("Development", 10, 0, 1), ("Operations", 21, 0, 5), ("Ops", 21, 1, 15), ("R&D", 20, 1, 0),
        ("Research", 10, 0, 1), ("Sales", 20, 2, 20)]


@pytest.mark.parametrize("store", ["company", "refreshed"])
def test_the_range_s_people_read_once_give_the_split_and_personas_the_measures_compute(store, request):
    """The Contributors page reads the range's people once for the 90/9/1 split and the personas
    (metrics.results.range_contributors): both results are those the measures compute, on a store whose
    bases are stale (computed from the activities) and on one whose bases are fresh."""
    from metrics.measure import MetricParams
    from metrics.registry import get
    from metrics.results import from_range_contributors, range_contributors

    con = request.getfixturevalue(store)
    for start, end, extra in ((date(2026, 2, 1), date(2026, 2, 28), {}), (date(2026, 2, 1), date(2026, 3, 31), {}),
                              (date(2026, 2, 20), date(2026, 4, 10), {"attribution": "today"}), (None, None, {})):
        for by in ("department", "organisation"):
            params = MetricParams(by=by, start=start, end=end, min_group_size=5, extra=extra)
            found_once = range_contributors(con, by, start, end, extra.get("attribution", "as-it-was"))
            for name in ("inequality", "personas"):
                expected, found = get(name)(con, params), from_range_contributors(con, name, params, found_once)
                assert_frame_equal(found.rows, expected.rows)
                assert found.suppressed_groups == expected.suppressed_groups
                assert found.extra.keys() == expected.extra.keys()
                for key, value in expected.extra.items():
                    if isinstance(value, pl.DataFrame):
                        assert_frame_equal(found.extra[key], value)
                    else:
                        assert found.extra[key] == value, key
    # February as it was: S01 in Sales until the 14th (one post, the 10th), in Ops from the 15th
    # (one post, the 20th): in both groups, once in the organisation, its superuser (2 posts);
    # S02-S10, O01-O05, R01-R08 and R11-R13 contribute once
    params = MetricParams(by="department", start=date(2026, 2, 1), end=date(2026, 2, 28), min_group_size=5)
    split = from_range_contributors(con, "inequality", params, range_contributors(
        con, "department", params.start, params.end, "as-it-was"))
    assert {r["department"]: r["headcount"] for r in split.extra["groups"].iter_rows(named=True)} == {
        "Ops": 21, "R&D": 20, "Sales": 20}
    assert split.extra["headcount"] == 60
    assert split.extra["organisation"].select("class", "people", "contributions").rows() == [
        ("superuser", 1, 2), ("contributor", 25, 25), ("non-contributor", 34, 0)]

"""The HR directory: people, managers, history across snapshots, mapped columns, rejects."""

from __future__ import annotations

import os
from datetime import date

import duckdb
import pytest

import ingest
from ingest.common import IngestError
from ruche.config import Settings
from ruche.privacy import Pseudonymiser

FIRST = """\
id,email,department,team,site,country,level,manager_id,frontline,hired_on,left_on,salary,full_name
E1,alice@acme.com,Sales,S1,Paris,FR,executive,,false,2020-01-01,,100,Alice Martin
E2,bob@acme.com,Sales,S1,Paris,FR,manager,E1,no,2021-02-01,,90,Bob Stone
E3,carol@acme.com,IT,I1,Lyon,FR,staff,E2,yes,2022-03-01,,80,Carol King
E4,dan@acme.com,IT,I1,Lyon,FR,Staff,E2,1,,,80,Dan Brown
"""

# A month later: Carol moved to Sales under Alice, Dan left (absent), Erin joined.
SECOND = """\
id,email,department,team,site,country,level,manager_id,frontline,hired_on,left_on,salary,full_name
E1,alice@acme.com,Sales,S1,Paris,FR,executive,,false,2020-01-01,,100,Alice Martin
E2,bob@acme.com,Sales,S1,Paris,FR,manager,E1,no,2021-02-01,,90,Bob Stone
E3,carol@acme.com,Sales,S2,Paris,FR,staff,E1,yes,2022-03-01,,80,Carol King
E5,erin@acme.com,IT,I1,Lyon,FR,staff,E2,no,2024-02-15,,70,Erin Wolf
"""


def settings(**values) -> Settings:
    return Settings(values=values)


def pid(value: str) -> str:
    return Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).hash(value)


def rows(db, sql, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_people_managers_and_first_history(tmp_path):
    (tmp_path / "hr.csv").write_text(FIRST)
    db = tmp_path / "s.duckdb"
    summary = ingest.load(tmp_path / "hr.csv", db=db, settings=settings(), as_of=date(2024, 1, 1))
    assert summary.source == "directory"
    assert [i.to_dict() for i in summary.inputs] == [
        {"input": "directory rows", "read": 4, "loaded": 4, "rejected": 0, "skipped": {}}
    ]
    people = rows(db, """
        select p.employee_id, p.department, p.level, p.frontline, m.employee_id, p.in_directory, p.is_external
        from people p left join people m on m.person_key = p.manager_key order by p.employee_id""")
    assert sorted(people) == sorted([
        (pid("E1"), "Sales", "executive", False, None, True, False),
        (pid("E2"), "Sales", "manager", False, pid("E1"), True, False),
        (pid("E3"), "IT", "staff", True, pid("E2"), True, False),
        (pid("E4"), "IT", "staff", True, pid("E2"), True, False),
    ])
    history = rows(db, "select p.employee_id, h.valid_from, h.valid_to from people_history h join people p using (person_key)")
    assert sorted(history) == sorted([
        (pid("E1"), date(2020, 1, 1), None),
        (pid("E2"), date(2021, 2, 1), None),
        (pid("E3"), date(2022, 3, 1), None),
        (pid("E4"), date(1900, 1, 1), None),  # hire date unknown: the version holds since always
    ])


def test_a_newer_directory_keeps_history(tmp_path):
    (tmp_path / "hr-1.csv").write_text(FIRST)
    (tmp_path / "hr-2.csv").write_text(SECOND)
    db = tmp_path / "s.duckdb"
    ingest.load(tmp_path / "hr-1.csv", db=db, settings=settings(), as_of=date(2024, 1, 1))
    ingest.load(tmp_path / "hr-2.csv", db=db, settings=settings(), as_of=date(2024, 3, 1))
    carol = rows(db, """
        select h.valid_from, h.valid_to, h.department, h.team from people_history h join people p using (person_key)
        where p.employee_id = ? order by valid_from""", [pid("E3")])
    assert carol == [(date(2022, 3, 1), date(2024, 3, 1), "IT", "I1"), (date(2024, 3, 1), None, "Sales", "S2")]
    dan = rows(db, "select left_on, in_directory, is_external from people where employee_id = ?", [pid("E4")])
    assert dan == [(date(2024, 3, 1), True, False)]  # a leaver, still counted in the past
    assert rows(db, "select count(*) from people_history")[0][0] == 6
    assert rows(db, "select count(*) from people where in_directory and left_on is null")[0][0] == 4


def test_unknown_columns_are_never_stored(tmp_path):
    (tmp_path / "hr.csv").write_text(FIRST)
    db = tmp_path / "s.duckdb"
    ingest.load(tmp_path / "hr.csv", db=db, settings=settings())
    con = duckdb.connect(str(db), read_only=True)
    text = " ".join(str(v) for t in ("people", "people_history", "rejects", "ingest_runs")
                    for row in con.execute(f"select * from {t}").fetchall() for v in row)
    for secret in ("Alice", "Martin", "alice@acme.com", "E1,", "100,"):
        assert secret not in text


def test_columns_mapped_in_configuration(tmp_path):
    (tmp_path / "hris.csv").write_text(
        "Matricule,Courriel,Direction,Niveau,Responsable,Extra\n"
        "10,ann@acme.com,Finance,manager,,x\n"
        "11,ben@acme.com,Finance,staff,10,y\n"
    )
    mapping = {"id": "Matricule", "email": "Courriel", "department": "Direction", "level": "Niveau",
               "manager_id": "Responsable"}
    db = tmp_path / "s.duckdb"
    summary = ingest.load(tmp_path / "hris.csv", source="directory", db=db, settings=settings(directory_columns=mapping))
    assert summary.loaded == 2
    assert sorted(rows(db, "select department, level, manager_key is not null from people")) == [
        ("Finance", "manager", False), ("Finance", "staff", True)]


def test_bad_rows_are_rejected_with_their_reason(tmp_path):
    (tmp_path / "hr.csv").write_text(
        "id,email,department,level,hired_on,frontline\n"
        "E1,a@acme.com,Sales,staff,2020-01-01,no\n"
        ",b@acme.com,Sales,staff,2020-01-01,no\n"
        "E3,c@acme.com,Sales,intern,2020-01-01,no\n"
        "E4,d@acme.com,Sales,staff,01/02/2020x,no\n"
        "E5,e@acme.com,Sales,staff,2020-01-01,maybe\n"
        "E1,f@acme.com,Sales,staff,2020-01-01,no\n"
        "E7,g@acme.com,Sales,staff,2020-01-01,no,extra\n"
    )
    db = tmp_path / "s.duckdb"
    summary = ingest.load(tmp_path / "hr.csv", db=db, settings=settings())
    assert [i.to_dict() for i in summary.inputs] == [
        {"input": "directory rows", "read": 7, "loaded": 1, "rejected": 6, "skipped": {}}]
    assert sorted(rows(db, "select line, reason from rejects")) == [
        (3, "id is empty (expected the employee id)"),
        (4, "level is not one of executive, manager, staff"),
        (5, "hired_on is not a date (expected YYYY-MM-DD)"),
        (6, "frontline is not a boolean (expected true/false, yes/no or 1/0)"),
        (7, "id listed twice (the first row is kept)"),
        (8, "unreadable CSV line: more fields than the 6 columns of the header"),
    ]


def test_missing_column_is_an_error_naming_it(tmp_path):
    (tmp_path / "hr.csv").write_text("id,mail,department\nE1,a@acme.com,Sales\n")
    with pytest.raises(IngestError, match=r"hr.csv, line 1: missing column email .*found: id, mail, department"):
        ingest.load(tmp_path / "hr.csv", source="directory", db=tmp_path / "s.duckdb", settings=settings())
    assert not (tmp_path / "s.duckdb").exists()


def test_a_manager_id_naming_the_person_or_nobody_is_refused_and_the_person_loaded(tmp_path):
    (tmp_path / "hr.csv").write_text(
        "id,email,department,manager_id\n"
        "E1,alice@acme.com,Sales,E1\n"     # her own manager
        "E2,bob@acme.com,Sales,E99\n"      # nobody of this directory or an earlier one
        "E3,carol@acme.com,Sales,E1\n"
    )
    db = tmp_path / "s.duckdb"
    summary = ingest.load(tmp_path / "hr.csv", db=db, settings=settings(), as_of=date(2024, 1, 1))
    assert [i.to_dict() for i in summary.inputs] == [
        {"input": "directory rows", "read": 3, "loaded": 3, "rejected": 0, "skipped": {}}]
    assert rows(db, "select p.employee_id, m.employee_id from people p left join people m "
                    "on m.person_key = p.manager_key order by p.employee_id") == [
        (pid("E1"), None), (pid("E2"), None), (pid("E3"), pid("E1"))]
    assert rows(db, "select h.manager_key is null from people_history h join people p using (person_key) "
                    "order by p.employee_id") == [(True,), (True,), (False,)]
    assert rows(db, "select line, table_name, reason, record->>'employee_id', record->>'manager_id' "
                    "from rejects order by line") == [
        (2, "people.manager_key", "manager_id is the person's own id (loaded without a manager)", pid("E1"), pid("E1")),
        (3, "people.manager_key", "manager_id names nobody in the directory (loaded without a manager)",
         pid("E2"), pid("E99")),
    ]

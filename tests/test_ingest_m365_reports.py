"""The other Microsoft 365 sources: the groups activity report, the device usage report and the
admin centre's Users export (real files of /work/shared/real/m365 where there are some)."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

import ingest
from ingest.common import IngestError
from ruche.config import Settings
from ruche.privacy import Pseudonymiser

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real" / "m365"

GROUPS = ("Report Refresh Date,Group Display Name,Is Deleted,Owner Principal Name,Last Activity Date,Group Type,"
          "Office 365 Connected,Member Count,Posted Count,Read Count,Liked Count,Report Period\n")
DEVICES = ("Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,Last Activity Date,"
           "Used Web,Used Windows Phone,Used Android Phone,Used iPhone,Used iPad,Used Others,Report Period\n")
# The admin centre's "Export users" (Microsoft 365 admin center > Users > Active users), as documented.
USERS = ("Block credential,City,Country/Region,Department,DirSyncEnabled,Display name,Fax,First name,"
         "Last dirsync time,Last name,Last password change time stamp,License assignment details,Licenses,"
         "Mobile Phone,Oath token meta data,Object Id,Office,Password never expires,Phone number,Postal code,"
         "Preferred data location,Preferred language,Proxy addresses,Release track,Soft deletion time stamp,State,"
         "Street address,Strong password required,Title,Usage location,User principal name,When created\n")


def pid(email: str) -> str:
    return Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).hash(email)


def rows(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def user(upn, licenses="Microsoft 365 E3", blocked="False", deleted="", title="", created="2024-03-01 09:00:00Z"):
    return (f"{blocked},Lisbon,Portugal,Sales,,Some Name,,Some,,Name,2024-01-02 10:00:00Z,,{licenses},,,"
            f"96ca293c-29dd-4668-a763-ee407bd935d7,,False,,,,,SMTP:{upn},,{deleted},,,True,{title},PT,{upn},{created}\n")


# --------------------------------------------------------------------------------------------
# Groups activity report


def test_real_concealed_groups_report_gives_organisation_totals_only(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    path = REAL / "YammerGroupsActivityDetail-D7.csv"
    assert ingest.detect(path) == "m365-engage-groups"
    summary = ingest.load(path, db=db, settings=Settings())
    assert [i.to_dict() for i in summary.inputs] == [
        {"input": "group rows (concealed names)", "read": 1, "loaded": 1, "rejected": 0, "skipped": {}}]
    assert rows(db, "select count(*) from usage_group_snapshots") == [(0,)]
    assert dict(rows(db, "select measure, value from usage_org_snapshots where report_date = '2022-11-10' "
                         "and period_days = 7 and source = 'm365-engage-groups'")) == {
        "groups": 1, "active_groups": 0, "memberships": 3, "posted": 0, "read": 0, "liked": 0}
    assert "no per-group figure" in capsys.readouterr().err


def test_groups_report_keeps_each_community_per_window(tmp_path):
    db = tmp_path / "s.duckdb"
    path = tmp_path / "groups.csv"
    path.write_text("\ufeff" + GROUPS +
                    "2026-11-10,Sales Europe,False,ana@contoso.com,2026-11-09,public,Yes,120,14,310,22,30\n"
                    "2026-11-10,Quiet Corner,False,,,private,No,8,,,,30\n"
                    "2026-11-10,Old Club,True,,2026-08-01,public,No,3,0,1,0,30\n"
                    "2026-11-10,Broken,False,,,public,No,-2,0,0,0,30\n", encoding="utf-8")
    assert ingest.detect(path) == "m365-engage-groups"
    summary = ingest.load(path, db=db, settings=Settings())
    assert (summary.read, summary.loaded, summary.rejected) == (4, 3, 1)
    assert rows(db, "select group_name, report_date, period_days, is_deleted, group_type, office365_connected, "
                    "last_activity, member_count, posted_count, read_count, liked_count "
                    "from usage_group_snapshots order by member_count") == [
        ("Old Club", date(2026, 11, 10), 30, True, "public", False, date(2026, 8, 1), 3, 0, 1, 0),
        ("Quiet Corner", date(2026, 11, 10), 30, False, "private", False, None, 8, 0, 0, 0),
        ("Sales Europe", date(2026, 11, 10), 30, False, "public", True, date(2026, 11, 9), 120, 14, 310, 22),
    ]
    assert rows(db, "select line, table_name, reason from rejects") == [
        (5, "usage_group_snapshots", "Member Count is not a whole number of zero or more")]
    # the owner's address is kept nowhere, and no person is created
    assert rows(db, "select count(*) from people") == [(0,)]
    assert b"ana@contoso.com" not in db.read_bytes()
    again = tmp_path / "groups-again.csv"
    again.write_text(GROUPS + "2026-11-10,Sales Europe,False,,2026-11-09,public,Yes,120,14,310,22,30\n")
    summary = ingest.load(again, db=db, settings=Settings())
    assert summary.inputs[0].skipped == {"already loaded": 1}


def test_groups_report_as_graph_json(tmp_path):
    db = tmp_path / "s.duckdb"
    path = tmp_path / "groups.json"
    path.write_text(json.dumps({"value": [
        {"reportRefreshDate": "2026-11-10", "groupDisplayName": "Sales Europe", "isDeleted": False,
         "ownerPrincipalName": "ana@contoso.com", "lastActivityDate": "2026-11-09", "groupType": "public",
         "office365Connected": True, "memberCount": 120, "postedCount": 14, "readCount": 310, "likedCount": 22,
         "reportPeriod": "30"}]}))
    assert ingest.detect(path) == "m365-engage-groups"
    ingest.load(path, db=db, settings=Settings())
    assert rows(db, "select group_name, is_deleted, office365_connected, member_count, read_count "
                    "from usage_group_snapshots") == [("Sales Europe", False, True, 120, 310)]


# --------------------------------------------------------------------------------------------
# Device usage report


def test_real_device_report_gives_mobile_and_desktop_per_person(tmp_path):
    db = tmp_path / "s.duckdb"
    path = REAL / "YammerDeviceUsageUserDetail-D30.csv"
    assert ingest.detect(path) == "m365-engage-devices"
    summary = ingest.load(path, db=db, settings=Settings())
    assert (summary.read, summary.loaded, summary.rejected) == (1, 1, 0)
    assert rows(db, "select p.person_id, report_date, period_days, last_activity, used_web, used_windows_phone, "
                    "used_android_phone, used_iphone, used_ipad, used_others "
                    "from usage_device_snapshots join people p using (person_key)") == [
        (pid("ana@contoso.com"), date(2026, 11, 9), 30, date(2026, 11, 8), True, False, False, True, False, False)]
    # the same person as the activity report's
    ingest.load(REAL / "YammerActivityUserDetail-D30.csv", db=db, settings=Settings())
    assert rows(db, "select count(*) from people") == [(3,)]
    assert rows(db, "select count(distinct person_key) from usage_device_snapshots "
                    "join usage_snapshots using (person_key)") == [(1,)]


def test_concealed_device_report_counts_mobile_users_for_the_organisation(tmp_path):
    db = tmp_path / "s.duckdb"
    path = tmp_path / "devices.csv"
    path.write_text(DEVICES +
                    "2026-11-09,77E5979DD60BA6EAA53E814DBEEEFA5F,4291DA7C39EE3263E97336B42734A667,,,,Yes,No,No,Yes,No,No,30\n"
                    "2026-11-09,0123456789ABCDEF0123456789ABCDEF,0123456789ABCDEF0123456789ABCDEF,,,,No,No,Yes,No,No,No,30\n"
                    "2026-11-09,FEDCBA9876543210FEDCBA9876543210,FEDCBA9876543210FEDCBA9876543210,,,,Yes,No,No,No,No,Yes,30\n"
                    "2026-11-09,AAAABBBBCCCCDDDDEEEEFFFF00001111,AAAABBBBCCCCDDDDEEEEFFFF00001111,,,,Maybe,No,No,No,No,No,30\n")
    summary = ingest.load(path, db=db, settings=Settings())
    assert (summary.read, summary.loaded, summary.rejected) == (4, 3, 1)
    assert rows(db, "select count(*) from people") == [(0,)]
    assert rows(db, "select count(*) from usage_device_snapshots") == [(0,)]
    assert dict(rows(db, "select measure, value from usage_org_snapshots")) == {
        "users": 3, "mobile_users": 2, "desktop_users": 2, "web_users": 2, "windows_phone_users": 0,
        "android_phone_users": 1, "iphone_users": 1, "ipad_users": 0, "other_device_users": 1}
    assert rows(db, "select line, reason from rejects") == [(5, "a Used column is not Yes or No")]


# --------------------------------------------------------------------------------------------
# The admin centre's Users export


def test_users_export_gives_the_population_the_never_active_included(tmp_path):
    from metrics.participation import participation
    from ruche.store import connect

    db = tmp_path / "s.duckdb"
    path = tmp_path / "users.csv"
    path.write_text("\ufeff" + USERS + user("ana@contoso.com", title="Engineer") + user("ben@contoso.com")
                    + user("cid@contoso.com") + user("dan@contoso.com", created="3/5/2024 2:02:11 PM")
                    + user("room.lisbon@contoso.com", licenses="Unlicensed")
                    + user("gone@contoso.com", deleted="2026-10-01 10:00:00Z")
                    + user("blocked@contoso.com", blocked="True")
                    + user("eve_fabrikam.com#EXT#@contoso.onmicrosoft.com")
                    + user("ana@contoso.com")
                    + user("no-address", title="x"), encoding="utf-8")
    assert ingest.detect(path) == "m365-users"
    summary = ingest.load(path, db=db, settings=Settings())
    assert [i.to_dict() for i in summary.inputs] == [{
        "input": "users", "read": 10, "loaded": 5, "rejected": 1,
        "skipped": {"deleted": 1, "listed twice": 1, "sign-in blocked": 1,
                    "unlicensed (a shared mailbox, room or service account)": 1}}]
    assert rows(db, "select p.person_id, p.is_external, p.has_title, a.joined_at from people p "
                    "join accounts a using (person_key) order by a.joined_at, p.person_id") == sorted([
        (pid("ana@contoso.com"), False, True, datetime(2024, 3, 1, 9)),
        (pid("ben@contoso.com"), False, False, datetime(2024, 3, 1, 9)),
        (pid("cid@contoso.com"), False, False, datetime(2024, 3, 1, 9)),
        (pid("eve_fabrikam.com#ext#@contoso.onmicrosoft.com"), True, False, datetime(2024, 3, 1, 9)),
        (pid("dan@contoso.com"), False, False, datetime(2024, 3, 5, 14, 2, 11)),
    ], key=lambda r: (r[3], r[0]))
    assert rows(db, "select line, table_name, reason from rejects") == [
        (11, "accounts", "User principal name is not an address (expected name@domain)")]
    # with the activity report: 1 reader of 4 internal people, the 3 never-active ones included
    report = tmp_path / "activity.csv"
    report.write_text("Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,"
                      "Last Activity Date,Posted Count,Read Count,Liked Count,Assigned Products,Report Period\n"
                      "2026-11-09,Ana@contoso.com,Ana,Active,,2026-11-08,0,4,0,E3,30\n")
    ingest.load(report, db=db, settings=Settings())
    con = connect(str(db), read_only=True)
    frame, _ = participation(con, by="organisation", period="month", min_group_size=1)
    con.close()
    assert frame.select("period", "headcount", "active", "participation_rate").rows() == [("2026-11", 4, 1, 0.25)]


def test_users_export_with_semicolons_is_read(tmp_path):
    db = tmp_path / "s.duckdb"
    path = tmp_path / "users-fr.csv"
    path.write_text(USERS.replace(",", ";") + user("ana@contoso.com", created="05/03/2024 14:02").replace(",", ";"))
    assert ingest.detect(path) == "m365-users"
    ingest.load(path, db=db, settings=Settings())
    assert rows(db, "select joined_at from accounts") == [(datetime(2024, 3, 5, 14, 2),)]


def test_users_export_without_user_principal_names_is_refused(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("Display name,Object Id,Licenses\nAna,1,E3\n")
    with pytest.raises(IngestError, match=r"users.csv, line 1: missing column user principal name"):
        ingest.load(path, source="m365-users", db=tmp_path / "s.duckdb", settings=Settings())


def test_device_snapshots_go_with_the_retention_window(tmp_path):
    from ruche.cli import main

    db = tmp_path / "s.duckdb"
    path = tmp_path / "devices.csv"
    path.write_text(DEVICES + "2024-01-31,ana@contoso.com,Ana,Active,,2024-01-30,Yes,No,No,Yes,No,No,30\n"
                    "2026-02-28,ana@contoso.com,Ana,Active,,2026-02-27,Yes,No,No,No,No,No,30\n")
    ingest.load(path, db=db, settings=Settings())
    assert main(["purge", "--db", str(db), "--as-of", "2026-03-15"]) == 0
    assert rows(db, "select report_date from usage_device_snapshots") == [(date(2026, 2, 28),)]

"""``ruche sample``: the files are real-looking exports, deterministic, and tell the stories the
docs promise.  Every property is checked on the files themselves, read as a stranger would read
them (csv, zip, json), never through the ingest code."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ruche.cli import main
from ruche.errors import RucheError
from ruche.sample import DIRECTORY_COLUMNS, VIVA_FILES, generate
from ruche.sample.m365 import COLUMNS as M365_COLUMNS

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "sample_data"
HOME = "example-corp.com"
MESSAGE_COLUMNS = [
    "id", "replied_to_id", "parent_id", "thread_id", "conversation_id", "group_id", "group_name", "participants",
    "in_private_group", "in_private_conversation", "sender_id", "sender_type", "sender_name", "sender_email", "body",
    "delegate_id", "api_url", "attachments", "deleted_by_id", "deleted_by_type", "created_at", "deleted_at", "title",
    "html_body", "message_type", "gdpr_delete_url",
]
USER_COLUMNS = ["id", "email", "name", "job_title", "location", "department", "api_url", "joined_at", "deleted_at",
                "suspended_at", "guid", "state"]


# --- reading the files as a stranger would ------------------------------------------------------

class Sample:
    """The files of one generated sample, parsed."""

    def __init__(self, root: Path):
        self.root = root
        self.manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        # every row of the effective-dated directory, and each person's first one (the organisation
        # before the split the sample makes halfway through its period)
        self.directory_rows = pl.read_csv(root / "directory.csv", infer_schema_length=0)
        self.directory = self.directory_rows.filter(pl.col("effective_from").is_null())
        with zipfile.ZipFile(root / "viva-engage-export.zip") as z:
            self.viva_names = z.namelist()
            self.viva = {n: z.read(n) for n in self.viva_names}
        self.messages = self._viva_csv("Messages.csv").with_columns(
            pl.col("created_at").str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S UTC").alias("at"))
        self.users = self._viva_csv("Users.csv")
        self.groups = self._viva_csv("Groups.csv")
        self.reports = {}
        for path in sorted(root.glob("m365-engage-activity-*.csv")):
            self.reports[path.name[len("m365-engage-activity-"):-4]] = pl.read_csv(path, infer_schema_length=0)
        with zipfile.ZipFile(root / "slack-export.zip") as z:
            self.slack_names = z.namelist()
            self.slack_users = json.loads(z.read("users.json"))
            self.channels = json.loads(z.read("channels.json"))
            self.integration_logs = json.loads(z.read("integration_logs.json"))
            rows = []
            for name in self.slack_names:
                if "/" in name:
                    channel, day = name.split("/")
                    for m in json.loads(z.read(name)):
                        rows.append((channel, day[:-5], m))
        self.slack_raw = rows
        self.dept = dict(zip(self.directory["email"], self.directory["department"]))
        self.slack_email = {u["id"]: u["profile"].get("email") for u in self.slack_users}

    def _viva_csv(self, name: str) -> pl.DataFrame:
        return pl.read_csv(self.viva[name], infer_schema_length=0)

    def months(self) -> list[str]:
        return sorted(self.reports)

    def contributions(self) -> dict[str, int]:
        """Posts and replies per e-mail, both networks, system and bot messages excluded."""
        counts: dict[str, int] = {}
        human = self.messages.filter(pl.col("message_type") != "system")
        for email, n in human.group_by("sender_email").len().iter_rows():
            counts[email] = counts.get(email, 0) + n
        for _, _, m in self.slack_raw:
            if m.get("subtype") in (None, "file_share", "file_comment") and m.get("user"):
                email = self.slack_email.get(m["user"])
                counts[email] = counts.get(email, 0) + 1
        return counts

    def active_by_month(self) -> dict[str, set[str]]:
        """E-mails active each month (YYYY-MM): messages, reads or likes, reactions, joins."""
        active: dict[str, set[str]] = {}
        for refresh, frame in self.reports.items():
            busy = frame.filter((pl.col("Posted Count").cast(int) + pl.col("Read Count").cast(int)
                                 + pl.col("Liked Count").cast(int)) > 0)
            active.setdefault(refresh[:7], set()).update(busy["User Principal Name"])
        for email, at in self.messages.select("sender_email", "at").iter_rows():
            active.setdefault(at.strftime("%Y-%m"), set()).add(email)
        for _, day, m in self.slack_raw:
            who = [m.get("user")] + [u for r in m.get("reactions", []) for u in r["users"]]
            active.setdefault(day[:7], set()).update(self.slack_email.get(u) for u in who if u)
        return active


@pytest.fixture(scope="module")
def default_sample(tmp_path_factory) -> Sample:
    out = tmp_path_factory.mktemp("default")
    assert main(["sample", "--out", str(out)]) == 0
    return Sample(out)


def _files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir()) if p.is_file()}


# --- determinism ----------------------------------------------------------------------------------

def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, people=300, months=6, seed=7)
    generate(b, people=300, months=6, seed=7)
    generate(c, people=300, months=6, seed=8)
    assert _files(a) == _files(b)
    assert sorted(_files(a)) == sorted(_files(c))
    for name in ("directory.csv", "viva-engage-export.zip", "slack-export.zip"):
        assert _files(a)[name] != _files(c)[name], name


def test_committed_sample_is_what_the_default_command_writes(default_sample):
    """sample_data/ must be regenerated (`ruche sample --out sample_data`) when the generator changes."""
    fresh = _files(default_sample.root)
    committed = {name: data for name, data in _files(SAMPLE_DATA).items() if name != "README.md"}
    assert sorted(committed) == sorted(fresh)
    for name, data in fresh.items():
        if name.endswith(".zip"):
            # compare entries rather than raw bytes, which also depend on the zlib build
            with zipfile.ZipFile(io.BytesIO(data)) as new, zipfile.ZipFile(SAMPLE_DATA / name) as old:
                assert [(i.filename, i.date_time) for i in new.infolist()] == \
                       [(i.filename, i.date_time) for i in old.infolist()], name
                for entry in new.namelist():
                    assert new.read(entry) == old.read(entry), f"{name}:{entry}"
        else:
            assert committed[name] == data, name


def test_bad_arguments_are_user_errors(tmp_path, capsys):
    with pytest.raises(RucheError):
        generate(tmp_path, people=10)
    with pytest.raises(RucheError):
        generate(tmp_path, months=1)
    assert main(["sample", "--out", str(tmp_path), "--end", "31/10/2026"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err


# --- formats ----------------------------------------------------------------------------------------

def test_operations_splits_in_two_on_the_first_of_may(default_sample):
    """The reorganisation: the 146 people of Operations employed on 1 May 2026 have a second row,
    effective from that day, in Production or Maintenance & Quality (by their team); the people who
    joined Operations' teams after it are in the new departments from their first row."""
    rows = default_sample.directory_rows
    later = rows.filter(pl.col("effective_from").is_not_null())
    assert rows.height == 1646 and later.height == 146
    assert set(later["effective_from"]) == {"2026-05-01"}
    before = default_sample.directory.filter(pl.col("id").is_in(later["id"].implode()))
    assert set(before["department"]) == {"Operations"}
    assert later.group_by("department").len().sort("department").rows() == [
        ("Maintenance & Quality", 94), ("Production", 52)]
    assert default_sample.manifest["split"] == {"department": "Operations",
                                                "into": ["Production", "Maintenance & Quality"], "on": "2026-05-01"}
    assert all(t.startswith(("Maintenance", "Quality Control", "Health & Safety"))
               for t in later.filter(pl.col("department") == "Maintenance & Quality")["team"])

def test_directory_has_the_documented_columns_and_values(default_sample):
    d = default_sample.directory
    assert tuple(default_sample.directory_rows.columns) == DIRECTORY_COLUMNS
    assert d.height == 1500
    assert d["id"].n_unique() == d.height and d["email"].n_unique() == d.height
    assert set(d["level"]) == {"executive", "manager", "staff"}
    assert set(d["frontline"]) == {"true", "false"}
    assert all(e.endswith("@" + HOME) for e in d["email"])
    ids = set(d["id"])
    managers = d["manager_id"].drop_nulls()
    assert set(managers) <= ids and d["manager_id"].null_count() == 1  # only the CEO has no manager
    for column in ("hired_on", "left_on"):
        for value in d[column].drop_nulls():
            dt.date.fromisoformat(value)
    assert d["department"].n_unique() >= 10
    assert d["site"].n_unique() >= 5 and d["country"].n_unique() >= 3


def test_viva_engage_export_has_every_file_and_column(default_sample):
    s = default_sample
    assert sorted(s.viva_names) == sorted(VIVA_FILES)
    assert s.messages.columns[:-1] == MESSAGE_COLUMNS
    assert s.users.columns == USER_COLUMNS
    assert s.groups.columns[:8] == ["id", "name", "description", "created_at", "updated_at", "deleted", "external",
                                    "private"]
    assert {"creator_id", "creator_type", "api_url"} <= set(s.groups.columns)
    m = s.messages
    for column in ("in_private_group", "in_private_conversation"):
        assert set(m[column]) == {"true", "false"}
    starters = m.filter(pl.col("replied_to_id").is_null())
    assert (starters["thread_id"] == starters["id"]).all()
    replies = m.filter(pl.col("replied_to_id").is_not_null())
    assert replies.height > 0 and (replies["thread_id"] != replies["id"]).all()
    assert set(replies["replied_to_id"]) <= set(m["id"])
    assert m.filter(pl.col("deleted_at").is_not_null()).height > 0
    assert m.filter(pl.col("body").str.contains("\n")).height > 0
    assert m.filter(pl.col("attachments").str.contains(r"^uploadedfile:\d+$|, uploadedfile:\d+$")).height > 0
    assert m.filter(pl.col("attachments").str.contains(r"opengraphobject:\[\d+ : https://")).height > 0
    pm = m.filter(pl.col("in_private_conversation") == "true")
    assert pm.height > 0 and pm["participants"].str.contains(r"^user:\d+,user:\d+$").all()
    assert m["body"].str.contains(r"\[\[user:\d+\]\]").any()
    assert set(m["sender_id"]) <= set(s.users["id"])
    # created_at parses, and a reply comes after what it answers
    at = dict(zip(m["id"], m["at"]))
    assert all(at[r] < a for r, a in zip(replies["replied_to_id"], replies["at"]))
    for name in VIVA_FILES:
        if name.endswith(".csv"):
            assert s.viva[name].split(b"\n", 1)[0], name  # a header row at least


def test_m365_reports_are_monthly_and_consistent_with_the_messages(default_sample):
    s = default_sample
    assert len(s.reports) == 12
    for path in s.root.glob("m365-engage-activity-*.csv"):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # as Microsoft delivers them
        assert next(csv.reader(io.StringIO(raw.decode("utf-8-sig")))) == list(M365_COLUMNS)
    last = s.months()[-1]
    frame = s.reports[last]
    assert set(frame["Report Refresh Date"]) == {last} and set(frame["Report Period"]) == {"30"}
    # Posted Count = the user's posts and replies of the export in the 30 days ending on the refresh date
    end = dt.datetime.fromisoformat(last) + dt.timedelta(days=1)
    window = s.messages.filter((pl.col("at") >= end - dt.timedelta(days=30)) & (pl.col("at") < end)
                               & (pl.col("message_type") != "system"))
    expected = dict(window.group_by("sender_email").len().iter_rows())
    posted = {e: int(n) for e, n in zip(frame["User Principal Name"], frame["Posted Count"]) if int(n) > 0}
    assert posted == {e: n for e, n in expected.items() if e.endswith("@" + HOME)}


def test_slack_export_looks_like_slack(default_sample):
    s = default_sample
    assert {"users.json", "channels.json", "integration_logs.json"} <= set(s.slack_names)
    subtypes = {m.get("subtype") for _, _, m in s.slack_raw}
    assert {None, "channel_join", "bot_message", "bot_add", "file_share", "file_comment"} <= subtypes
    by_channel: dict[str, list[str]] = {}
    for channel, day, m in s.slack_raw:
        by_channel.setdefault(channel, []).append(m["ts"])
        at = dt.datetime.fromtimestamp(float(m["ts"]), dt.timezone.utc)
        assert at.date().isoformat() == day
    assert all(len(ts) == len(set(ts)) for ts in by_channel.values())
    roots = [m for _, _, m in s.slack_raw if m.get("reply_count")]
    replies = [m for _, _, m in s.slack_raw if m.get("parent_user_id")]
    assert roots and replies
    assert all(m["thread_ts"] == m["ts"] and len(m["replies"]) == m["reply_count"] for m in roots)
    assert any(m.get("reactions") for _, _, m in s.slack_raw)
    assert any("<@U" in m.get("text", "") and m.get("subtype") is None for _, _, m in s.slack_raw)
    assert any("bot_id" in m and m["bot_id"] is None and m.get("subtype") != "bot_message" for _, _, m in s.slack_raw)
    bots = [u for u in s.slack_users if u["is_bot"]]
    assert len(bots) >= 2
    bot_messages = [m for _, _, m in s.slack_raw if m.get("subtype") == "bot_message"]
    assert bot_messages and all(m["bot_id"] for m in bot_messages)
    people = [u for u in s.slack_users if not u["is_bot"]]
    assert all(u["profile"]["email"] for u in people)
    assert any(u["deleted"] for u in people)
    members = {u for ch in s.channels for u in ch["members"]}
    assert members <= {u["id"] for u in s.slack_users}


# --- the stories --------------------------------------------------------------------------------------

def test_participation_is_close_to_90_9_1(default_sample):
    s = default_sample
    c = s.contributions()
    emails = s.directory["email"].to_list()
    n = len(emails)
    counts = np.array(sorted((c.get(e, 0) for e in emails), reverse=True))
    threshold = counts[math.ceil(0.01 * n) - 1]
    superusers = counts >= threshold
    contributors = (counts >= 1) & ~superusers
    assert 0.008 <= superusers.mean() <= 0.02
    assert 0.06 <= contributors.mean() <= 0.15
    assert counts[superusers].sum() / counts.sum() >= 0.4  # the 1% write a large share
    readers = set()
    for frame in s.reports.values():
        readers.update(frame.filter((pl.col("Read Count").cast(int) + pl.col("Liked Count").cast(int)) > 0)
                       ["User Principal Name"])
    lurkers = [e for e in emails if c.get(e, 0) == 0 and e in readers]
    never = [e for e in emails if c.get(e, 0) == 0 and e not in readers]
    assert 0.45 <= len(lurkers) / n <= 0.8
    assert 0.1 <= len(never) / n <= 0.45


def test_frontline_people_contribute_far_less(default_sample):
    s = default_sample
    c = s.contributions()
    d = s.directory
    rate = {}
    for flag in ("true", "false"):
        group = d.filter(pl.col("frontline") == flag)["email"]
        rate[flag] = sum(c.get(e, 0) > 0 for e in group) / len(group)
    assert rate["true"] < 0.4 * rate["false"]


def test_departments_talk_mostly_to_themselves_but_bridges_span_them(default_sample):
    s = default_sample
    m = s.messages
    author = dict(zip(m["id"], m["sender_email"]))
    ties = [(a, author[r]) for a, r in zip(m["sender_email"], m["replied_to_id"]) if r is not None]
    internal = [(a, b) for a, b in ties if a in s.dept and b in s.dept and a != b]
    same = sum(s.dept[a] == s.dept[b] for a, b in internal)
    assert same / len(internal) >= 0.7
    reached: dict[str, set[str]] = {}
    for a, b in internal:
        reached.setdefault(a, set()).add(s.dept[b])
        reached.setdefault(b, set()).add(s.dept[a])
    bridges = s.manifest["bridges"]
    departments = s.directory["department"].n_unique()
    assert all(len(reached.get(b, ())) >= departments // 2 for b in bridges)
    others = sorted(len(v) for e, v in reached.items() if e not in bridges)
    typical = others[len(others) // 2]  # the typical contributor ties with a few departments
    assert typical <= departments // 3
    assert all(len(reached[b]) >= 2 * typical for b in bridges)


def test_pilot_department_adopted_first_and_the_network_grew(default_sample):
    s = default_sample
    active = s.active_by_month()
    months = sorted(active)
    viva_first = set(s.reports[s.months()[0]].filter(
        (pl.col("Posted Count").cast(int) + pl.col("Read Count").cast(int)) > 0)["User Principal Name"])
    d = s.directory
    share = {}
    for dept in d["department"].unique():
        people = set(d.filter(pl.col("department") == dept)["email"])
        share[dept] = len(people & viva_first) / len(people)
    pilot = s.manifest["pilot"]["department"]
    assert share[pilot] >= 0.4
    assert max(v for k, v in share.items() if k != pilot) <= share[pilot] / 3
    mau = [len(active[m] & set(d["email"])) for m in months]
    assert mau[-1] >= 2 * mau[0]
    assert mau[0] < mau[len(mau) // 2] < max(mau[-3:]) + 1


def test_silent_teams_were_active_then_stopped(default_sample):
    s = default_sample
    d = s.directory
    team_of = dict(zip(d["email"], d["team"]))
    silent = s.manifest["silent_teams"]
    assert len(silent) == 2
    start = dt.datetime.fromisoformat(silent[0]["silent_from"])
    before, after = {}, {}
    for email, at in s.messages.select("sender_email", "at").iter_rows():
        if email in team_of:
            bucket = before if at < start else after
            bucket[team_of[email]] = bucket.get(team_of[email], 0) + 1
    later = [f for r, f in s.reports.items() if dt.datetime.fromisoformat(r) - dt.timedelta(days=29) >= start]
    touched = set()
    for frame in later:
        busy = frame.filter((pl.col("Posted Count").cast(int) + pl.col("Read Count").cast(int)
                             + pl.col("Liked Count").cast(int)) > 0)
        touched.update(team_of.get(e) for e in busy["User Principal Name"])
    went_quiet = {t for t, n in before.items() if n >= 20 and t not in after and t not in touched}
    assert went_quiet == {x["team"] for x in silent}


def test_leaders_some_exemplary_some_absent(default_sample):
    s = default_sample
    c = s.contributions()
    execs = s.directory.filter(pl.col("level") == "executive")["email"].to_list()
    exemplary = [e for e in execs if e in s.manifest["leaders"]["exemplary"]]
    absent = [e for e in execs if e in s.manifest["leaders"]["absent"]]
    assert exemplary and absent
    months_of = {}
    for email, at in s.messages.filter(pl.col("message_type") != "system").select("sender_email", "at").iter_rows():
        months_of.setdefault(email, set()).add(at.strftime("%Y-%m"))
    last = s.months()[-1][:7]
    for e in exemplary:  # once they start, they post every month
        first = min(months_of[e])
        expected = {m for m in s.active_by_month() if first <= m <= last}
        assert months_of[e] == expected, e
    seen = set().union(*s.active_by_month().values())
    for e in absent:
        assert c.get(e, 0) == 0 and e not in seen


def test_hires_and_leavers_act_only_while_employed(default_sample):
    s = default_sample
    d = s.directory
    hired = dict(zip(d["email"], d["hired_on"]))
    left = {e: x for e, x in zip(d["email"], d["left_on"]) if x is not None}
    start = s.manifest["period"]["start"]
    assert sum(h >= start for h in hired.values()) > 0 and len(left) > 0
    events = [(e, at.date().isoformat()) for e, at in s.messages.select("sender_email", "at").iter_rows()]
    for _, day, m in s.slack_raw:
        for u in [m.get("user")] + [u for r in m.get("reactions", []) for u in r["users"]]:
            if u in s.slack_email:
                events.append((s.slack_email[u], day))
    checked = 0
    for email, day in events:
        if email in hired:
            assert hired[email] <= day, (email, day)
            assert email not in left or day < left[email], (email, day)
            checked += 1
    assert checked > 0
    for refresh, frame in s.reports.items():
        for email, state in zip(frame["User Principal Name"], frame["User State"]):
            assert hired[email] <= refresh
            assert state == ("Deleted" if email in left and left[email] <= refresh else "Active")


def test_guests_come_from_other_domains_in_both_networks(default_sample):
    s = default_sample
    directory = set(s.directory["email"])
    viva_guests = [e for e in s.users["email"] if not e.endswith("@" + HOME)]
    assert viva_guests and not set(viva_guests) & directory
    assert set(viva_guests) & set(s.messages["sender_email"])
    assert s.groups.filter(pl.col("external") == "true").height > 0
    slack_guests = [u for u in s.slack_users if u["is_restricted"] or u["is_ultra_restricted"]]
    assert slack_guests and all(not u["profile"]["email"].endswith("@" + HOME) for u in slack_guests)
    assert any(u["is_ultra_restricted"] for u in slack_guests)
    assert {u["profile"]["email"] for u in slack_guests} & set(viva_guests)  # the same person, joined by e-mail
    assert all(u["profile"]["email"] in directory for u in s.slack_users
               if not u["is_bot"] and not u["is_restricted"])


def test_slack_is_used_by_a_subset_of_departments(default_sample):
    s = default_sample
    in_slack = {s.dept[u["profile"]["email"]] for u in s.slack_users
                if not u["is_bot"] and u["profile"]["email"] in s.dept}
    assert in_slack == {d["name"] for d in s.manifest["departments"] if d["slack"]}
    assert len(in_slack) < s.directory["department"].n_unique()

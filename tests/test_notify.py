"""`ruche notify`: the digests sent to an SMTP server (STARTTLS, AUTH) and webhook receivers on
the loopback, started by the tests; their recipients, subjects and figures, k, retries, and
nothing sent twice for the same period.

The store: 18 people in four teams (Big 6, Quiet 7, Tiny 3, Wee 2; departments Sales: Big, Tiny
and Wee, Ops: Quiet), everybody posting every Monday from 5 January to 16 March 2026 (but person 18,
of Quiet, who only reacts until posting for the first time on 16 March, 2026-W12: a newcomer); in
the week of 23 March (2026-W13) only Big and one person of Tiny post, so the newcomer lapses. The
data ends on 29 March, a Sunday.
Communities: Cafe (6 members, busy), Jazz (5, idle from 29 March), Chess (3, the same), Old (5,
idle since February), a private channel of 2; threads in Cafe: 3 started in 2026-W12 (1 without a
reply), 3 in 2026-W13 (2 without).
"""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import json
import socket
import ssl
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import polars as pl
import pytest

from dashboard import digest
from dashboard.format import pct
from metrics import measure
from metrics.figures import Live, Query, Reading, figure, risk_changes, scope_trend, teams_at_risk
from metrics.headlines import overview
from ruche import store
from ruche.cli import main
from ruche.config import ConfigError, Settings
from ruche.privacy import Pseudonymiser
from tests.drawn import charts as drawn_charts

KEY = "ab" * 32
PASSWORD = "s3cret-Pa55"


def build_store(db) -> None:
    with store.writing(db) as con:
        con.execute("""
            insert into people (person_key, person_id, in_directory, department, team)
            select i, 'p' || i, true, case when i <= 11 then 'Sales' else 'Ops' end,
                   case when i <= 6 then 'Big' when i <= 9 then 'Tiny' when i <= 11 then 'Wee' else 'Quiet' end
            from range(1, 19) t(i)""")
        con.execute("""
            insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id)
            select row_number() over (), 'x', d, i,
                   case when i = 18 and d < date '2026-03-16' then 'reaction' else 'post' end, 1
            from range(1, 19) t(i),
                 (select unnest(generate_series(date '2026-01-05', date '2026-03-23', interval 7 day)) as d) w
            where d < date '2026-03-23' or i <= 7""")
        con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                    "values (100000, 'x', timestamp '2026-03-29 10:00', 1, 'read', 1)")
        # Communities and threads, on days their people contribute anyway (no figure above moves):
        # Cafe (6 members) busy to the end; Jazz (5) last posted in on 23 February, idle from 29
        # March on; Chess (3, never named) the same; Old (5) idle since February; a private
        # channel of 2, pooled. Threads in Cafe: 3 started in W12 (1 unanswered), 3 in W13 (2).
        con.execute("""
            insert into spaces (space_key, source, space_ref, name, kind, is_private) values
            (1, 'x', 'c', 'Cafe', 'group', false), (2, 'x', 'j', 'Jazz', 'group', false),
            (3, 'x', 'h', 'Chess', 'group', false), (4, 'x', 'o', 'Old', 'group', false),
            (5, 'x', 'p', 'Secret', 'private-channel', true)""")
        con.execute("""
            insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, thread_ref, run_id)
            select 200000 + row_number() over (), 'x', ts::timestamp, person, kind, space, thread, 1 from (values
                ('2026-03-16 09:00', 12, 'post', 1, 't1'), ('2026-03-17 09:00', 1, 'reply', 1, 't1'),
                ('2026-03-17 10:00', 1, 'post', 1, 't2'), ('2026-03-18 10:00', 2, 'reply', 1, 't2'),
                ('2026-03-18 11:00', 3, 'post', 1, 't3'), ('2026-03-18 12:00', 3, 'reply', 1, 't3'),
                ('2026-03-16 12:00', 4, 'post', 1, null), ('2026-03-16 12:00', 5, 'post', 1, null),
                ('2026-03-16 12:00', 6, 'post', 1, null),
                ('2026-03-23 09:00', 1, 'post', 1, 't4'), ('2026-03-24 09:00', 2, 'reply', 1, 't4'),
                ('2026-03-24 10:00', 2, 'post', 1, 't5'), ('2026-03-25 10:00', 3, 'post', 1, 't6'),
                ('2026-02-23 12:00', 1, 'post', 5, null), ('2026-02-23 12:00', 2, 'post', 5, null),
                ('2026-02-02 12:00', 13, 'post', 4, null), ('2026-02-02 12:00', 14, 'post', 4, null),
                ('2026-02-02 12:00', 15, 'post', 4, null), ('2026-02-02 12:00', 16, 'post', 4, null),
                ('2026-02-02 12:00', 17, 'post', 4, null),
                ('2026-02-23 12:00', 13, 'post', 3, null), ('2026-02-23 12:00', 14, 'post', 3, null),
                ('2026-02-23 12:00', 15, 'post', 3, null)
            ) t(ts, person, kind, space, thread)
            union all
            select 300000 + i, 'x', timestamp '2026-02-23 12:00', i, 'post', 2, null, 1 from range(8, 13) t(i)""")


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("RUCHE_KEY", KEY)
    monkeypatch.setenv("RUCHE_SMTP_PASSWORD", PASSWORD)
    for var in ("RUCHE_DB", "RUCHE_CONFIG", "RUCHE_MIN_GROUP_SIZE"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "s.duckdb"
    build_store(path)
    return path


# -- the servers --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class Mailbox:
    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content,
                                                                                 policy=policy.default)))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture
def smtp(tmp_path):
    """An SMTP server on the loopback that requires STARTTLS, then AUTH with the test's password."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    box = Mailbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"ruche" and auth_data.password == PASSWORD.encode()
        if ok:
            box.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # a refusal answers 535

    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_required=True, auth_require_tls=True,
                            auth_exclude_mechanism=["LOGIN"])
    controller.start()
    box.port, box.ca_file = port, cert
    yield box
    controller.stop()


class Receiver:
    def __init__(self):
        self.posts: dict[str, list[dict]] = {}
        self.failing: set[str] = set()


@pytest.fixture
def hooks():
    """Incoming webhooks on the loopback: every POST kept by path; a path in ``failing`` answers 500."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            receiver.posts.setdefault(self.path, []).append(body)
            code = 500 if self.path in receiver.failing else 200
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"ok" if code == 200 else b"down")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield receiver
    server.shutdown()
    server.server_close()


def write_config(tmp_path, smtp, hooks=None, extra: str = "") -> str:
    webhooks = ""
    if hooks is not None:
        for kind in ("slack", "mattermost", "teams"):
            webhooks += (f'[[notify.webhooks]]\nkind = "{kind}"\nurl = "{hooks.url}/{kind}"\n'
                         'digests = ["community", "sponsor"]\n')
    config = tmp_path / "ruche.toml"
    config.write_text(f"""
phases = {{Sales = "pilot", Ops = "rollout"}}
sponsor_min_group_size = 5
{extra}
[[targets]]
metric = "participation"
group = "*"
value = 0.8
start = 2026-01-01
due = 2026-12-31

[notify]
from = "ruche@example.com"
attempts = 3
backoff_seconds = 0.01
team_leads = {{Big = "big.lead@example.com", Tiny = "tiny.lead@example.com", Quiet = "quiet.lead@example.com"}}

[notify.smtp]
host = "127.0.0.1"
port = {smtp.port}
user = "ruche"
timeout = 10
ca_file = "{smtp.ca_file}"

[notify.recipients]
community-manager = ["cm@example.com", "cm2@example.com"]
sponsor = ["sponsor@example.com"]

{webhooks}""", encoding="utf-8")
    return str(config)


def notify(config, db, *argv) -> int:
    return main(["--config", config, "notify", "--db", str(db), *argv])


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def everything(smtp, hooks=None) -> str:
    """Every subject, body and payload that left Ruche."""
    parts = [str(m["Subject"]) + str(m["To"]) + body(m) + m.get_body(("html",)).get_content()
             for _, m in smtp.messages]
    if hooks is not None:
        parts += [json.dumps(p) for posts in hooks.posts.values() for p in posts]
    return "\n".join(parts)


# -- the tests ----------------------------------------------------------------------------------------------


def test_the_weekly_digests_reach_their_recipients_with_the_figures(db, tmp_path, smtp, hooks, capsys):
    config = write_config(tmp_path, smtp, hooks)
    assert notify(config, db) == 0
    assert sorted(r for rcpt, _ in smtp.messages for r in rcpt) == [
        "big.lead@example.com", "cm2@example.com", "cm@example.com", "quiet.lead@example.com"]
    assert smtp.logins == ["ruche"] * 4  # every message went through STARTTLS then AUTH
    (cm,) = smtp.to("cm@example.com")
    assert cm["Subject"] == "Ruche weekly digest 2026-W13: community"
    text = body(cm)
    assert ("2 new flag(s) on 1 team(s) in 2026-W13 against 2026-W12; 0 flag(s) cleared; 1 team(s) flagged in all."
            in text)
    assert "- Quiet: participation under 20%, participation down 15 points or more" in text
    assert ("Participation 38.9% in 2026-W13 (-61.1 pts against the week before): 7 of 18 people took part."
            in text)
    flat = text.replace("\r\n", "\n")
    assert ("Communities gone idle\n- 1 community of 5 members or more went idle in the week to 2026-03-29 (no post "
            "or reply in the 30 days to 2026-03-29, some in the 30 days to 2026-03-22):\n- Jazz\n- 3 of 4 communities "
            "idle as of 2026-03-29, 1 as of 2026-03-22: communities under 5 members are counted, never named; "
            "private conversations are never named.") in flat
    assert ("Unanswered threads\n- 2 of the 3 threads started in 2026-W13 got no reply (+1 against the week before)."
            "\n- Where (communities of 5 members or more, replies up to 2026-03-29): Cafe: 2 of 3.\n" in flat)
    assert ("Newcomers who lapsed\n- 1 of the 1 people who posted or replied for the first time in 2026-W12 did "
            "not in 2026-W13 (+1 against the week before).\n- 11 people in all, newcomers or not, posted or replied "
            "in the week before 2026-W13 and not in 2026-W13 (+11 against the week before).") in flat
    assert "Chess" not in text and "Secret" not in text  # 3 members; a private channel
    (big,) = smtp.to("big.lead@example.com")
    assert big["Subject"] == "Ruche weekly digest 2026-W13: team Big"
    assert "Participation 100.0% in 2026-W13 (+0.0 pts against the week before): 6 of 6 people took part." in body(big)
    assert "No rule flags the team in 2026-W13." in body(big)
    (quiet,) = smtp.to("quiet.lead@example.com")
    assert "Participation 0.0% in 2026-W13 (-100.0 pts against the week before): 0 of 7 people took part." in body(quiet)
    assert "participation under 20%, participation down 15 points or more." in body(quiet)
    # k: Tiny (3 people) gets no digest, and neither it nor Wee (2) is named anywhere
    assert smtp.to("tiny.lead@example.com") == []
    sent = everything(smtp, hooks)
    assert "Tiny" not in sent and "Wee" not in sent
    assert "2 team(s) under 5 people are never shown." in text
    # the webhooks: Slack and Mattermost markdown, a Teams card
    (slack,), (mm,), (teams,) = hooks.posts["/slack"], hooks.posts["/mattermost"], hooks.posts["/teams"]
    assert slack["text"].startswith("*Ruche weekly digest 2026-W13: community*\n\n*Teams newly at risk*\n• 2 new flag")
    assert mm["text"].startswith("**Ruche weekly digest 2026-W13: community**\n\n**Teams newly at risk**")
    # Teams: an Adaptive Card in the message envelope of its Workflows webhooks
    assert (teams["type"], len(teams["attachments"])) == ("message", 1)
    (attachment,) = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"], card["$schema"]) == (
        "AdaptiveCard", "1.4", "http://adaptivecards.io/schemas/adaptive-card.json")
    assert {block["type"] for block in card["body"]} == {"RichTextBlock"}
    runs = [block["inlines"][0] for block in card["body"]]
    assert {len(block["inlines"]) for block in card["body"]} == {1} and {r["type"] for r in runs} == {"TextRun"}
    assert runs[0] == {"type": "TextRun", "text": "Ruche weekly digest 2026-W13: community", "weight": "Bolder",
                       "size": "Medium", "color": "Accent"}
    assert [r["text"] for r in runs if r.get("weight") == "Bolder"][1:] == [
        "Teams newly at risk", "Participation this week", "Communities gone idle", "Unanswered threads",
        "Newcomers who lapsed"]
    # each line of the e-mail is a line of the card
    assert [r["text"] for r in runs if r.get("weight") != "Bolder"] == [
        "• " + line[2:] for line in flat.splitlines() if line.startswith("- ")]
    err = capsys.readouterr().err
    assert "ruche notify: 2026-W13: 7 sent, 0 failed, 0 already sent, 1 team digest(s) not made (team under 5 people, or not in the store)" in err
    assert PASSWORD not in err and "@" not in err


def test_each_digest_figure_is_the_layers_figure_for_the_same_query(db):
    con = store.connect(db, read_only=True)
    settings = Settings.load(path=None, env={})
    source = Live(con)
    d = digest.community(source, settings, None)
    now, before = teams_at_risk(source, Query("inactive-teams", by="team", period="week"))
    new, gone = risk_changes(now, before)
    risk = d.section("Teams newly at risk").figures
    assert risk == {"flagged_teams": now.rows["team"].n_unique(), "newly_flagged": new.height,
                    "newly_flagged_teams": ["Quiet"], "cleared": gone.height}
    assert (risk["newly_flagged"], risk["cleared"]) == (2, 0)
    trend = scope_trend(source, Query("participation", period="week"))
    part = d.section("Participation this week").figures
    reading = trend.reading("participation_rate")
    assert (part["period"], part["participation_rate"], part["participation_delta"]) == (
        reading.period, reading.value, reading.delta)
    assert (part["active"], part["headcount"], round(part["participation_rate"], 4)) == (7, 18, 0.3889)
    assert pct(part["participation_rate"]) == "38.9%"
    # the communities idle now and a week before: the same query, ending on the data's last day
    communities = Query("communities", by="organisation", min_group_size=5)
    idle_now = figure(source, communities)
    idle_before = figure(source, communities.but(end=dt.date(2026, 3, 22)))
    assert idle_now.window[1] == dt.date(2026, 3, 29)
    listed = lambda fig: sorted(fig.rows.filter(pl.col("idle").fill_null(False))["community"])  # noqa: E731
    assert (listed(idle_now), listed(idle_before)) == (["Jazz", "Old"], ["Old"])
    assert sorted(idle_now.rows["community"]) == ["Cafe", "Jazz", "Old"]  # Chess (3) and the pool (2) not listed
    assert idle_now.suppressed_groups == 2
    assert d.section("Communities gone idle").figures == {
        "idle": 1, "gone_idle": ["Jazz"], "idle_now": idle_now.extra["idle"], "idle_before": idle_before.extra["idle"],
        "communities": idle_now.extra["communities"]}
    assert (idle_now.extra["idle"], idle_before.extra["idle"], idle_now.extra["communities"]) == (3, 1, 4)
    # the threads of the last complete week with no reply, and the week before
    resp = figure(source, Query("responsiveness", by="organisation", period="week", min_group_size=5))
    weeks = resp.rows.filter(pl.col("period").is_in(["2026-W12", "2026-W13"])).sort("period")
    assert weeks.select("period", "threads", "threads_answered").rows() == [("2026-W12", 3, 2), ("2026-W13", 3, 1)]
    # where: the Communities page's rows over that week (threads started in it, answered by its end)
    week = figure(source, communities.but(start=dt.date(2026, 3, 23), end=dt.date(2026, 3, 29)))
    assert week.rows.filter(pl.col("threads") > 0).select("community", "threads", "threads_answered").rows() == [
        ("Cafe", 3, 1)]
    assert d.section("Unanswered threads").figures == {"period": "2026-W13", "unanswered": 2, "unanswered_delta": 1,
                                                       "threads": resp.reading("threads").value,
                                                       "by_community": [("Cafe", 2, 3)]}
    assert resp.reading("unanswered_share") == Reading(2 / 3, 2 / 3 - 1 / 3, "2026-W13")
    # the newcomers who lapsed: person 18, new in 2026-W12, gone in W13; and every contributor who
    # lapsed (the 11 outside Big and Tiny's one)
    life = figure(source, Query("lifecycle", by="organisation", period="week", min_group_size=5))
    assert life.reading("lapsed") == Reading(11, 11, "2026-W13")
    assert life.reading("lapsed_newcomers") == Reading(1, 1, "2026-W13")
    assert life.rows.filter(pl.col("period").is_in(["2026-W11", "2026-W12"])).select("period", "new").rows() == [
        ("2026-W11", 0), ("2026-W12", 1)]
    assert d.section("Newcomers who lapsed").figures == {
        "period": "2026-W13", "lapsed_newcomers": 1, "lapsed_newcomers_delta": 1, "newcomers_before": 1,
        "lapsed": 11, "lapsed_delta": 11}
    team = digest.team(source, settings, None, "Big")
    fig = figure(source, Query("participation", by="team", group="Big", period="week"))
    assert team.section("Participation this week").figures["participation_rate"] == fig.reading(
        "participation_rate").value == 1.0
    assert digest.team(source, settings, None, "Tiny") is None  # 3 people
    # the sponsor's headlines are the Overview's, under the sponsors' k
    settings = Settings.load(path=None, env={}, sponsor_min_group_size=5, targets=[{"metric": "participation", "group": "*", "value": 0.8,
                                                          "start": "2026-01-01", "due": "2026-12-31"}])
    s = digest.sponsor(source, settings, None)
    o = overview(source, Query("participation", period="month", min_group_size=5), settings.targets, {},
                 digest_silo(settings))
    assert s.period == o.last()["period"] == "2026-02"
    assert s.section("Headlines").figures == {h.label: h.value for h in o.headlines}
    assert ("Participation rate: 100.0% in 2026-02. Meaning: Active people / headcount. "
            "Target 80.0% by 2026-12-31: expected 96.8% in 2026-02, on track.") in s.section("Headlines").lines
    con.close()


def digest_silo(settings):
    from dashboard.report import silo_settings

    return silo_settings(settings)


def test_a_failing_webhook_is_retried_then_reported_and_the_other_sends_go_through(db, tmp_path, smtp, hooks, capsys):
    config = write_config(tmp_path, smtp, hooks)
    hooks.failing.add("/teams")
    assert notify(config, db) == 1
    err = capsys.readouterr().err
    assert len(hooks.posts["/teams"]) == 3  # three attempts
    assert len(smtp.messages) == 4 and len(hooks.posts["/slack"]) == 1 and len(hooks.posts["/mattermost"]) == 1
    assert "ruche notify: 2026-W13: 6 sent, 1 failed, 0 already sent" in err
    assert ("ruche notify: error: 1 send(s) failed, to be tried again on the next run: webhook 3 (teams) for the "
            "community digest: HTTP 500 after 3 attempt(s)") in err
    assert hooks.url not in err
    con = store.connect(db, read_only=True)
    rows = con.execute("select channel, status, attempts, error from notifications where status <> 'sent'").fetchall()
    assert rows == [("teams", "failed", 3, "HTTP 500")]
    assert con.execute("select count(*) from notifications where status = 'sent'").fetchone() == (6,)
    # the failed send is in the audit trail too, with its attempts
    events = con.execute("select detail->>'channel', detail->>'status', (detail->>'attempts')::int from audit_log "
                         "where action = 'notify' order by all").fetchall()
    assert events == [("mattermost", "sent", 1), ("slack", "sent", 1), ("smtp", "sent", 1), ("smtp", "sent", 1),
                      ("smtp", "sent", 1), ("smtp", "sent", 1), ("teams", "failed", 3)]
    con.close()
    # the receiver is back: only the failed send is made again
    hooks.failing.clear()
    assert notify(config, db) == 0
    assert "ruche notify: 2026-W13: 1 sent, 0 failed, 6 already sent" in capsys.readouterr().err
    assert len(hooks.posts["/teams"]) == 4 and len(smtp.messages) == 4 and len(hooks.posts["/slack"]) == 1
    # a third run sends nothing
    assert notify(config, db) == 0
    assert "ruche notify: 2026-W13: 0 sent, 0 failed, 7 already sent" in capsys.readouterr().err
    assert len(smtp.messages) == 4 and len(hooks.posts["/teams"]) == 4
    con = store.connect(db, read_only=True)
    assert con.execute("select detail->>'status', (detail->>'attempts')::int from audit_log where action = 'notify' "
                       "and (detail->>'channel') = 'teams' order by all").fetchall() == [("failed", 3), ("sent", 1)]
    assert con.execute("select count(*) from audit_log where action = 'notify'").fetchone() == (8,)
    con.close()


def test_a_run_killed_half_way_sends_nothing_twice(db, tmp_path, smtp, hooks, monkeypatch, capsys):
    """Killed at its fourth send, before the ledger was folded into the store: the next run reads
    the journal and makes only the sends not made."""
    from dashboard import notify as module

    config = write_config(tmp_path, smtp, hooks)
    deliver, made = module.deliver, []

    def killed(send, *args):
        if len(made) == 3:
            raise KeyboardInterrupt
        deliver(send, *args)
        made.append(send.label)

    monkeypatch.setattr(module, "deliver", killed)
    assert notify(config, db) == 130
    assert len(made) == 3 and module.journal_path(db).exists()
    monkeypatch.setattr(module, "deliver", deliver)
    assert notify(config, db) == 0
    assert "ruche notify: 2026-W13: 4 sent, 0 failed, 3 already sent" in capsys.readouterr().err
    sent = [r for rcpt, _ in smtp.messages for r in rcpt]
    assert sorted(sent) == ["big.lead@example.com", "cm2@example.com", "cm@example.com", "quiet.lead@example.com"]
    assert [len(hooks.posts[f"/{k}"]) for k in ("slack", "mattermost", "teams")] == [1, 1, 1]
    con = store.connect(db, read_only=True)
    assert con.execute("select count(*), count(distinct (digest, period, recipient_hash, channel)) from notifications "
                       "where status = 'sent'").fetchone() == (7, 7)
    con.close()
    assert not module.journal_path(db).exists()


def test_recipients_from_the_roles_when_none_are_listed():
    """Without ``[notify.recipients]``, a digest goes to the plain addresses the ``roles`` setting
    gives its audience (never to a ``*@domain`` pattern)."""
    from dashboard.notify import NotifyConfig, recipients

    settings = Settings.load(path=None, env={}, roles={"community-manager": ["cm@example.com", "*@example.com"],
                                                        "sponsor": ["boss@example.com"]})
    assert recipients(NotifyConfig(), settings, "community-manager") == ["cm@example.com"]
    assert recipients(NotifyConfig(), settings, "sponsor") == ["boss@example.com"]
    listed = NotifyConfig(recipients={"sponsor": ["other@example.com"]})
    assert recipients(listed, settings, "sponsor") == ["other@example.com"]


def test_sends_are_recorded_and_audited_without_an_address(db, tmp_path, smtp, hooks):
    config = write_config(tmp_path, smtp, hooks)
    assert notify(config, db) == 0
    con = store.connect(db, read_only=True)
    hashed = Pseudonymiser(bytes.fromhex(KEY)).hash("cm@example.com")
    assert con.execute("select digest, period, channel, status, attempts from notifications "
                       "where recipient_hash = ?", [hashed]).fetchall() == [("community", "2026-W13", "smtp", "sent", 1)]
    audit = con.execute("select user_email, action, page, detail->>'status', detail->>'period' from audit_log "
                        "order by page").fetchall()
    assert audit == [("ruche notify", "notify", "community", "sent", "2026-W13")] * 5 + [
        ("ruche notify", "notify", "team", "sent", "2026-W13")] * 2
    stored = " ".join(str(r) for t in ("notifications", "audit_log") for r in con.execute(f"select * from {t}").fetchall())
    assert "@example.com" not in stored and "127.0.0.1" not in stored
    con.close()


def test_the_sponsor_digest_carries_the_overview_and_its_chart(db, tmp_path, smtp, capsys):
    config = write_config(tmp_path, smtp)
    assert notify(config, db, "--period", "month") == 0
    assert [rcpt for rcpt, _ in smtp.messages] == [["sponsor@example.com"]]
    (m,) = smtp.to("sponsor@example.com")
    assert m["Subject"] == "Ruche monthly digest 2026-02: adoption against the roadmap"
    text = body(m)
    assert ("Participation rate: 100.0% in 2026-02. Meaning: Active people / headcount. "
            "Target 80.0% by 2026-12-31: expected 96.8% in 2026-02, on track.") in text
    assert "Phase pilot: Sales." in text and "Phase rollout: Ops." in text
    # the report's plain words: every jargon term with its meaning beside it
    from tests.test_report import unexplained

    assert unexplained(text) == [] and "Cross-silo share" in text
    assert "link two different groups (each department a group)" in text
    images = [p for p in m.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    cid = images[0]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in m.get_body(("html",)).get_content()
    assert "ruche notify: 2026-02: 1 sent, 0 failed, 0 already sent" in capsys.readouterr().err


def test_roles_are_respected(db, tmp_path, smtp, capsys):
    # cm2 holds only the sponsor role: the community digest is not for them
    extra = 'roles = {community-manager = ["cm@example.com"], sponsor = ["*@example.com"]}'
    config = write_config(tmp_path, smtp, extra=extra)
    assert notify(config, db) == 0
    assert smtp.to("cm2@example.com") == [] and len(smtp.to("cm@example.com")) == 1
    assert "1 recipient(s) refused (their role may not see the digest)" in capsys.readouterr().err


def test_a_dry_run_sends_and_records_nothing(db, tmp_path, smtp, hooks, capsys):
    config = write_config(tmp_path, smtp, hooks)
    assert notify(config, db, "--dry-run") == 0
    out, err = capsys.readouterr()
    assert out.startswith("Ruche weekly digest 2026-W13: community\n")
    assert "7 send(s) planned" in err
    assert smtp.messages == [] and hooks.posts == {}
    con = store.connect(db, read_only=True)
    assert con.execute("select count(*) from notifications").fetchone() == (0,)
    con.close()


def test_a_wrong_password_is_reported_and_never_printed(db, tmp_path, smtp, monkeypatch, capsys):
    monkeypatch.setenv("RUCHE_SMTP_PASSWORD", "wrong-Secret")
    config = write_config(tmp_path, smtp)
    assert notify(config, db) == 1
    err = capsys.readouterr().err
    assert "e-mail 1 of the community digest: SMTP authentication refused (535) after 3 attempt(s)" in err
    assert "wrong-Secret" not in err and smtp.messages == []


def test_as_of_picks_the_week(db, tmp_path, smtp, capsys):
    config = write_config(tmp_path, smtp)
    assert notify(config, db, "--as-of", "2026-03-22") == 0
    (cm,) = smtp.to("cm@example.com")
    assert cm["Subject"] == "Ruche weekly digest 2026-W12: community"
    assert "Participation 100.0% in 2026-W12 (+0.0 pts against the week before): 18 of 18 people took part." in body(cm)


def test_a_measure_missing_from_the_build_says_so(db, monkeypatch):
    """A build without ``communities``, ``responsiveness`` or ``lifecycle`` says so in the section,
    never a figure."""
    con = store.connect(db, read_only=True)
    for name in ("communities", "responsiveness", "lifecycle"):
        monkeypatch.delitem(measure.METRICS, name)
    d = digest.community(Live(con), Settings.load(path=None, env={}), None)
    con.close()
    assert [(s.lines, s.figures, s.available) for s in d.sections[2:]] == [
        (["Communities gone idle: not available in this version."], {"idle": None}, False),
        (["Unanswered threads: not available in this version."], {"unanswered": None}, False),
        (["Newcomers who lapsed: not available in this version."], {"lapsed_newcomers": None}, False),
    ]
    assert d.section("Participation this week").figures["active"] == 7


@pytest.mark.parametrize("notify_toml, message", [
    ('[notify]\nsend_to = "x"', "notify: unknown key(s) send_to"),
    ('[notify.recipients]\nadmin = ["a@example.com"]', "'admin' is no digest's audience"),
    ('[notify.recipients]\nsponsor = ["*@example.com"]', "is not an e-mail address"),
    ('[[notify.webhooks]]\nkind = "irc"\nurl = "http://x"', "kind must be one of slack, mattermost, teams"),
    ('[[notify.webhooks]]\nkind = "slack"\nurl_env = "NOT_SET_HERE"', "needs url, or url_env"),
    ('[[notify.webhooks]]\nkind = "slack"\nurl = "file:///etc/passwd"', "the URL must start with https://"),
])
def test_bad_notify_settings_are_refused(db, tmp_path, capsys, notify_toml, message):
    config = tmp_path / "bad.toml"
    config.write_text(notify_toml, encoding="utf-8")
    assert notify(str(config), db) == 1
    assert message in capsys.readouterr().err
    with pytest.raises(ConfigError):
        from dashboard.notify import NotifyConfig  # noqa: F401

        NotifyConfig.parse(Settings.load(config, env={}).notify, {})


def test_the_digest_figures_are_the_dashboards(db, monkeypatch):
    """The Teams at risk page's new flags, the Overview's participation rate by week and the
    Communities page's idle communities are the community digest's."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from pathlib import Path

    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(db))
    con = store.connect(db, read_only=True)
    d = digest.community(Live(con), Settings.load(path=None, env={}), None)
    con.close()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py"), default_timeout=180)
    at.run()
    at.sidebar.selectbox(key="period").set_value("week").run()
    at.switch_page("screens/teams.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    risk = d.section("Teams newly at risk").figures
    assert shown["New flags"] == str(risk["newly_flagged"]) == "2"
    assert shown["Teams with a new flag"] == str(len(risk["newly_flagged_teams"])) == "1"
    assert shown["Flags cleared"] == str(risk["cleared"]) == "0"
    at.switch_page("screens/communities.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    idle = d.section("Communities gone idle").figures
    assert shown["Idle"] == str(idle["idle_now"]) == "3"
    listed = at.dataframe[1].value  # the idle communities listed
    assert sorted(listed["community"]) == ["Jazz", "Old"] and set(idle["gone_idle"]) <= set(listed["community"])
    # the unanswered threads and the newcomers who lapsed: the Communities page's charts, by week
    drawn = {key: json.loads(spec) for key, spec in drawn_charts(at).items()}
    unanswered = d.section("Unanswered threads").figures
    assert (unanswered["unanswered"], unanswered["threads"]) == (2, 3)
    assert drawn["unanswered"]["layout"]["title"]["text"].startswith(
        f"{pct(unanswered['unanswered'] / unanswered['threads'])} of the threads started by ")
    assert "in 2026-W13 got no reply" in drawn["unanswered"]["layout"]["title"]["text"]
    (share,) = [y for x, y in zip(drawn["unanswered"]["data"][0]["x"], drawn["unanswered"]["data"][0]["y"])
                if x == "2026-W13"]
    assert share == unanswered["unanswered"] / unanswered["threads"]
    lapsed = d.section("Newcomers who lapsed").figures
    life = drawn["lifecycle"]
    assert life["layout"]["title"]["text"].startswith(
        f"0 new and {lapsed['lapsed']} lapsed contributors in 2026-W13 ({lapsed['lapsed_newcomers']} of them "
        "newcomers the period before)")
    bars = {trace["name"]: dict(zip(trace["x"], trace.get("customdata") or trace["y"])) for trace in life["data"]}
    assert (bars["Lapsed"]["2026-W13"], bars["New"]["2026-W12"]) == (lapsed["lapsed"], lapsed["newcomers_before"])
    assert (lapsed["lapsed"], lapsed["lapsed_newcomers"], lapsed["newcomers_before"]) == (11, 1, 1)
    at.switch_page("screens/overview.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    part = d.section("Participation this week").figures
    assert shown["Participation rate"] == pct(part["participation_rate"]) == "38.9%"
    assert shown["Contribution rate"] == pct(part["contribution_rate"])


def test_configured_rules_flag_the_same_teams_on_the_page_in_the_digest_and_the_command(db, tmp_path, monkeypatch,
                                                                                         capsys):
    """With ``inactive_days = 3`` (not the default 30), Big's last contribution on 25 March flags it
    too: the Teams at risk page, the stored results, the digest and ``ruche metrics inactive-teams``
    all ask with the configured rules, and count 2 teams flagged (1 with the defaults)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from pathlib import Path

    from metrics import results
    from metrics.registry import MetricParams

    config = tmp_path / "ruche.toml"
    config.write_text("inactive_days = 3\n", encoding="utf-8")
    settings = Settings.load(config, env={})
    with store.writing(db) as con:
        results.precompute(con, settings)
    con = store.connect(db, read_only=True)
    d = digest.community(Live(con), settings, None)
    default = digest.community(Live(con), Settings.load(path=None, env={}), None)
    params = MetricParams(by="team", period="week", min_group_size=5, extra={"inactive_days": 3})
    kept = results.lookup(con, "inactive-teams", params)
    assert kept is not None and sorted(set(kept.rows["team"])) == ["Big", "Quiet"]
    con.close()
    assert d.section("Teams newly at risk").figures["flagged_teams"] == 2
    assert default.section("Teams newly at risk").figures["flagged_teams"] == 1
    assert main(["--config", str(config), "metrics", "inactive-teams", "--db", str(db), "--period", "week",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert sorted({r["team"] for r in rows}) == ["Big", "Quiet"]
    assert sorted(r["rule"] for r in rows if r["team"] == "Big") == ["no_contribution"]
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(db))
    monkeypatch.setenv("RUCHE_CONFIG", str(config))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py"), default_timeout=180)
    at.run()
    at.sidebar.selectbox(key="period").set_value("week").run()
    at.switch_page("screens/teams.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value == "2 teams flagged"
    assert "for 3 days or more" in " ".join(at.dataframe[0].value["why"])


def test_group_names_cannot_ping_a_channel_or_inject_markup():
    from dashboard.notify import webhook_payload

    d = digest.Digest("community", "2026-W13", "Ruche weekly digest 2026-W13: community",
                      [digest.Section("Teams newly at risk", ["<!channel> @all <b>R&D</b>: no post or reply for 30 days"])])
    assert webhook_payload(d, "slack")["text"] == (
        "*Ruche weekly digest 2026-W13: community*\n\n*Teams newly at risk*\n"
        "• &lt;!channel&gt; @all &lt;b&gt;R&amp;D&lt;/b&gt;: no post or reply for 30 days")
    assert "@\u200ball" in webhook_payload(d, "mattermost")["text"]
    assert "@all" not in webhook_payload(d, "mattermost")["text"]
    legacy = webhook_payload(d, "teams-messagecard")
    assert legacy["sections"][0]["text"] == (
        "&lt;!channel&gt; @all &lt;b&gt;R&amp;D&lt;/b&gt;: no post or reply for 30 days")
    # an Adaptive Card's TextRun is shown as written: no markdown, HTML or mention is read from it
    card = webhook_payload(d, "teams")["attachments"][0]["content"]
    assert card["body"][2]["inlines"] == [
        {"type": "TextRun", "text": "• <!channel> @all <b>R&D</b>: no post or reply for 30 days"}]
    assert "<b>" not in d.html()


def test_team_leads_from_the_hr_export_in_memory(db, tmp_path, smtp, capsys):
    """Big's members report to 20, Quiet's mostly to 30 (one to 31), Tiny's to 40: Big's and
    Quiet's leads get their digest, Tiny's (3 people) none; no address is stored."""
    hr = tmp_path / "hr.csv"
    rows = ["id,email,team,manager_id,left_on"]
    rows += [f"{i},p{i}@example.com,Big,20," for i in range(1, 7)]
    rows += [f"{i},p{i}@example.com,Tiny,40," for i in range(7, 10)]
    rows += [f"{i},p{i}@example.com,Quiet,{31 if i == 12 else 30}," for i in range(12, 19)]
    rows += ["20,lead.big@example.com,Board,,", "30,lead.quiet@example.com,Board,,",
             "31,other@example.com,Board,,", "40,lead.tiny@example.com,Board,,",
             "41,gone@example.com,Big,20,2026-01-31"]
    hr.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = write_config(tmp_path, smtp).replace("\\", "/")
    text = open(config, encoding="utf-8").read()
    text = text.replace('team_leads = {Big = "big.lead@example.com", Tiny = "tiny.lead@example.com", '
                        'Quiet = "quiet.lead@example.com"}', 'team_leads_from = "directory"')
    open(config, "w", encoding="utf-8").write(text)
    assert notify(config, db, "--directory", str(hr)) == 0
    assert smtp.to("lead.big@example.com")[0]["Subject"] == "Ruche weekly digest 2026-W13: team Big"
    assert smtp.to("lead.quiet@example.com")[0]["Subject"] == "Ruche weekly digest 2026-W13: team Quiet"
    assert smtp.to("lead.tiny@example.com") == [] and smtp.to("other@example.com") == []
    assert "1 team digest(s) not made (team under 5 people, or not in the store)" in capsys.readouterr().err
    con = store.connect(db, read_only=True)
    stored = " ".join(str(r) for t in ("notifications", "audit_log") for r in con.execute(f"select * from {t}").fetchall())
    con.close()
    assert "example.com" not in stored


def test_recipients_without_a_server_are_refused_before_anything_is_sent(db, tmp_path, capsys):
    config = tmp_path / "nosmtp.toml"
    config.write_text('[notify.recipients]\ncommunity-manager = ["cm@example.com"]\n', encoding="utf-8")
    assert notify(str(config), db) == 1
    assert capsys.readouterr().err == ("ruche notify: error: notify: e-mail recipients are configured but no "
                                       "[notify.smtp] server\n")


def test_an_smtp_server_that_is_down_loses_no_webhook_send(db, tmp_path, smtp, hooks, capsys):
    config = write_config(tmp_path, smtp, hooks).replace("\\", "/")
    text = open(config, encoding="utf-8").read().replace(f"port = {smtp.port}", f"port = {free_port()}")
    open(config, "w", encoding="utf-8").write(text)
    assert notify(config, db) == 1
    err = capsys.readouterr().err
    assert "ruche notify: 2026-W13: 3 sent, 4 failed, 0 already sent" in err
    assert "e-mail 1 of the community digest: SMTP: ConnectionRefusedError: Connection refused after 3 attempt(s)" in err
    assert [len(hooks.posts[f"/{k}"]) for k in ("slack", "mattermost", "teams")] == [1, 1, 1]


def test_the_legacy_teams_card_stays_selectable(db, tmp_path, smtp, hooks):
    """``kind = "teams-messagecard"``: the Office 365 connector card, for a connector that takes
    only that; recorded under its own channel."""
    config = write_config(tmp_path, smtp).replace("\\", "/")
    with open(config, "a", encoding="utf-8") as f:
        f.write(f'[[notify.webhooks]]\nkind = "teams-messagecard"\nurl = "{hooks.url}/legacy"\n')
    assert notify(config, db) == 0
    (card,) = hooks.posts["/legacy"]
    assert (card["@type"], card["@context"], card["title"], card["themeColor"]) == (
        "MessageCard", "https://schema.org/extensions", "Ruche weekly digest 2026-W13: community", "2e86de")
    assert [s["activityTitle"] for s in card["sections"]] == [
        "Teams newly at risk", "Participation this week", "Communities gone idle", "Unanswered threads",
        "Newcomers who lapsed"]
    assert card["sections"][4]["text"].startswith("1 of the 1 people who posted or replied for the first time in "
                                                  "2026-W12 did not in 2026-W13 (+1 against the week before).<br>")
    con = store.connect(db, read_only=True)
    assert con.execute("select channel, status from notifications where channel like 'teams%'").fetchall() == [
        ("teams-messagecard", "sent")]
    con.close()

"""``ruche notify``: send the digests (:mod:`dashboard.digest`) by e-mail and incoming webhooks.

Run by cron after the nightly load. ``--period week`` sends the community managers' digest and
the team leads'; ``--period month`` the sponsors'. Each send (digest, period, recipient, channel)
is recorded: one already sent is never sent again, one that failed is tried again on the next
run. A send is tried ``attempts`` times with a growing pause; one that still fails is reported
(exit code 1) after every other send was made.

Where sends are recorded: each send is appended at once to a journal beside the store
(``<db>.notify.jsonl``, as the audit trail's spool), so that a run killed half-way sends nothing
twice; the run then folds the journal into the store's ``notifications`` table in one write
(:func:`ruche.store.writing`), with the audit trail's events (action ``notify``). A recipient is
kept as a keyed digest of its address or webhook URL, never the address.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import smtplib
import ssl
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from dashboard import digest as digests
from dashboard.auth import PAGE_ROLES, role_for
from metrics.figures import Live
from ruche import audit, store
from ruche.cli import add_db_option
from ruche.config import ConfigError, Settings
from ruche.errors import RucheError
from ruche.i18n import N_, _, count, period_label
from ruche.privacy import Pseudonymiser, load_key

#: teams: an Adaptive Card in a message envelope (Teams' Workflows webhooks, and the connectors');
#: teams-messagecard: the legacy Office 365 connector card, for a connector that takes only that.
WEBHOOK_KINDS = ("slack", "mattermost", "teams", "teams-messagecard")
ADAPTIVE = "application/vnd.microsoft.card.adaptive"
ACTOR = "ruche notify"


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 587
    starttls: bool = True
    user: str = ""
    password_env: str = "RUCHE_SMTP_PASSWORD"
    password_file: str = ""
    ca_file: str = ""
    timeout: float = 30.0

    def password(self, env: dict) -> str | None:
        if self.password_file:
            try:
                return Path(self.password_file).expanduser().read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"notify.smtp.password_file: cannot read it ({exc.strerror})") from None
        return env.get(self.password_env)


@dataclass(frozen=True)
class Webhook:
    number: int
    kind: str
    url: str
    digests: tuple[str, ...]

    @property
    def name(self) -> str:
        return _("webhook {number} ({kind})").format(number=self.number, kind=self.kind)


@dataclass(frozen=True)
class NotifyConfig:
    sender: str = ""
    attempts: int = 3
    backoff_seconds: float = 2.0
    smtp: Smtp | None = None
    recipients: dict[str, list[str]] = field(default_factory=dict)
    team_leads: dict[str, list[str]] = field(default_factory=dict)
    webhooks: tuple[Webhook, ...] = ()
    team_leads_from: str = ""  # "directory": every team's lead from the HR export at send time

    @classmethod
    def parse(cls, raw: dict, env: dict) -> NotifyConfig:
        raw = dict(raw or {})
        known = {"from", "attempts", "backoff_seconds", "smtp", "recipients", "team_leads", "team_leads_from",
                 "webhooks"}
        unknown = set(raw) - known
        if unknown:
            raise ConfigError(f"notify: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
        smtp = None
        if raw.get("smtp"):
            s = dict(raw["smtp"])
            if not s.get("host"):
                raise ConfigError("notify.smtp: host is required")
            fields = set(Smtp.__dataclass_fields__)
            if set(s) - fields:
                raise ConfigError(f"notify.smtp: unknown key(s) {', '.join(sorted(set(s) - fields))}")
            try:
                smtp = Smtp(**{**s, "port": int(s.get("port", 587)), "timeout": float(s.get("timeout", 30))})
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"notify.smtp: {exc}") from None
        recipients = {str(role): _addresses(v, f"notify.recipients.{role}") for role, v in
                      dict(raw.get("recipients") or {}).items()}
        for role in recipients:
            if role not in ("community-manager", "sponsor"):
                raise ConfigError(f"notify.recipients: {role!r} is no digest's audience (community-manager, sponsor)")
        leads = {str(t): _addresses(v, f"notify.team_leads.{t}") for t, v in dict(raw.get("team_leads") or {}).items()}
        hooks = []
        for i, h in enumerate(raw.get("webhooks") or [], start=1):
            if not isinstance(h, dict) or h.get("kind") not in WEBHOOK_KINDS:
                raise ConfigError(f"notify.webhooks[{i}]: kind must be one of {', '.join(WEBHOOK_KINDS)}")
            url = h.get("url") or (env.get(h["url_env"]) if h.get("url_env") else None)
            if not url:
                raise ConfigError(f"notify.webhooks[{i}]: needs url, or url_env naming a variable that is set")
            if not str(url).lower().startswith(("https://", "http://")):
                raise ConfigError(f"notify.webhooks[{i}]: the URL must start with https:// (or http://)")
            kinds = tuple(h.get("digests") or ["community"])
            if set(kinds) - {"community", "sponsor"}:
                raise ConfigError(f"notify.webhooks[{i}]: digests are community and sponsor (a team's goes by e-mail)")
            hooks.append(Webhook(i, h["kind"], str(url), kinds))
        try:
            attempts, backoff = int(raw.get("attempts", 3)), float(raw.get("backoff_seconds", 2.0))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"notify: {exc}") from None
        if attempts < 1:
            raise ConfigError("notify.attempts must be at least 1")
        source = raw.get("team_leads_from", "")
        if source not in ("", "directory"):
            raise ConfigError(f"notify.team_leads_from: \"directory\" or nothing, got {source!r}")
        return cls(str(raw.get("from", "")), attempts, backoff, smtp, recipients, leads, tuple(hooks), source)


def _addresses(value: Any, where: str) -> list[str]:
    values = [value] if isinstance(value, str) else list(value or [])
    for v in values:
        if not isinstance(v, str) or "@" not in v or "*" in v:
            raise ConfigError(f"{where}: {v!r} is not an e-mail address")
    return [v.strip() for v in values]


def recipients(config: NotifyConfig, settings: Settings, role: str) -> list[str]:
    """The addresses of a digest's audience: ``[notify.recipients]``, else the addresses (not the
    ``*@domain`` patterns) the ``roles`` setting gives that role."""
    if role in config.recipients:
        return config.recipients[role]
    return [p for p in (settings.roles or {}).get(role, []) if "@" in str(p) and "*" not in str(p)]


def directory_leads(path: str | os.PathLike, settings: Settings) -> dict[str, list[str]]:
    """Each team's lead from the HR export at ``path``, read in memory and never stored: the
    manager (``manager_id``) of most of the team's current members (ties: the smallest id), at the
    e-mail the export gives that manager. Columns are named as for ``ruche ingest directory``
    (``directory_columns``)."""
    import polars as pl

    from ingest.directory import column_mapping

    m = column_mapping(settings)
    try:
        hr = pl.read_csv(Path(path), infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise RucheError(f"{path}: cannot read the directory ({type(exc).__name__})") from None
    missing = [m[f] for f in ("id", "email", "team", "manager_id") if m[f] not in hr.columns]
    if missing:
        raise RucheError(f"{path}: no column {', '.join(missing)} (a team's lead is read from id, email, team "
                         "and manager_id)")
    if m["left_on"] in hr.columns:  # a leaver leads nobody
        hr = hr.filter(pl.col(m["left_on"]).fill_null("").str.strip_chars() == "")
    people = hr.select(pl.col(m["id"]).str.strip_chars().alias("id"), pl.col(m["email"]).str.strip_chars().alias("email"),
                       pl.col(m["team"]).str.strip_chars().alias("team"),
                       pl.col(m["manager_id"]).str.strip_chars().alias("manager_id"))
    leads = (
        people.filter(pl.col("team").is_not_null() & pl.col("manager_id").is_not_null())
        .group_by("team", "manager_id").len()
        .sort(["team", "len", "manager_id"], descending=[False, True, False])
        .unique("team", keep="first", maintain_order=True)
        .join(people.select(pl.col("id").alias("manager_id"), "email").filter(pl.col("email").is_not_null()),
              on="manager_id", how="inner")
    )
    return {team: [address] for team, address in leads.select("team", "email").iter_rows()}


def allowed(address: str, kind: str, settings: Settings) -> bool:
    """Whether ``address`` may read a digest of ``kind``: with roles configured, its role must open
    the page the digest summarises (a sponsor gets no community digest)."""
    if not settings.roles or kind not in digests.PAGE:
        return True
    return role_for(address, {}, settings.roles) in PAGE_ROLES[digests.PAGE[kind]]


# -- channels ----------------------------------------------------------------------------------------------


class SendError(Exception):
    """A send that failed; the message names no address and no URL."""


def chart_png(d: digests.Digest) -> tuple[bytes | None, str | None]:
    """The sponsor digest's chart as PNG (plotly through kaleido and Chromium), or why not."""
    if d.chart is None:
        return None, None
    try:
        return d.chart.to_image(format="png", width=800, height=420), None
    except Exception as exc:  # kaleido missing, or no browser to draw with
        return None, f"Chart not drawn ({type(exc).__name__}): see the dashboard's Overview, or docs/notify.md."


def email(d: digests.Digest, sender: str, to: str, png: bytes | None, note: str | None) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = d.subject, sender, to
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1] if "@" in sender else None)
    msg.set_content(d.text() + (f"\n{note}\n" if note else ""))
    cid = make_msgid()[1:-1] if png else None
    msg.add_alternative(d.html(cid, note), subtype="html")
    if png:
        msg.get_payload()[1].add_related(png, maintype="image", subtype="png", cid=f"<{cid}>",
                                         filename="participation.png")
    return msg


def send_email(smtp: Smtp, msg: EmailMessage, password: str | None) -> None:
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as s:
            s.ehlo()
            if smtp.starttls:
                s.starttls(context=ssl.create_default_context(cafile=smtp.ca_file or None))
                s.ehlo()
            if smtp.user:
                s.login(smtp.user, password or "")
            s.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(_("SMTP authentication refused ({code})").format(code=exc.smtp_code)) from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(_("SMTP server answered {code}").format(code=exc.smtp_code)) from None
    except smtplib.SMTPRecipientsRefused:
        raise SendError(_("SMTP server refused the recipient")) from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise SendError(f"SMTP: {type(exc).__name__}: {getattr(exc, 'strerror', None) or exc}") from None


def slack_text(text: str) -> str:
    """Slack's escaping: ``&``, ``<`` and ``>`` are control characters (``<!channel>`` notifies
    everybody in the channel).

    >>> slack_text("<!channel> R&D")
    '&lt;!channel&gt; R&amp;D'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mattermost_text(text: str) -> str:
    """Mattermost notifies on ``@all``, ``@channel``, ``@here`` and ``@name``: a zero-width space
    after each ``@`` keeps the text and drops the mention.

    >>> mattermost_text("@all of R&D") == "@\u200ball of R&D"
    True
    """
    return text.replace("@", "@\u200b")


def adaptive_card(d: digests.Digest, note: str | None) -> dict:
    """The digest as an Adaptive Card (1.4, what Teams renders) in the message envelope Teams'
    Workflows webhooks expect. Every text is a ``TextRun`` of a ``RichTextBlock``, which Teams
    shows as written: no markdown, no HTML and no mention is read from a group's name."""

    def text(value: str, **style) -> dict:
        return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": value, **style}]}

    body = [text(d.subject, weight="Bolder", size="Medium", color="Accent")]
    for s in d.sections:
        body.append({**text(s.title, weight="Bolder"), "spacing": "Medium", "separator": True})
        body += [text(f"• {line}") for line in s.lines]
    if note:
        body.append({**text(note, isSubtle=True, italic=True), "spacing": "Medium"})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "msteams": {"width": "Full"}, "body": body}
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE, "contentUrl": None, "content": card}]}


def webhook_payload(d: digests.Digest, kind: str) -> dict:
    note = "The chart is in the e-mail version and on the dashboard's Overview." if d.chart is not None else None
    if kind == "teams":
        return adaptive_card(d, note)
    if kind == "teams-messagecard":  # the legacy Office 365 connector card
        return {"@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": html.escape(d.subject),
                "themeColor": digests.charts.ACCENT.lstrip("#"), "title": html.escape(d.subject),
                "sections": [{"activityTitle": html.escape(s.title),
                              "text": "<br>".join(html.escape(line) for line in s.lines)} for s in d.sections]
                + ([{"text": note}] if note else [])}
    if kind == "slack":
        text = d.markdown("*", slack_text)
    else:
        text = d.markdown("**", mattermost_text)
    text += f"\n\n_{note}_" if note else ""
    return {"text": text}


def post_webhook(hook: Webhook, payload: dict, timeout: float = 30.0) -> None:
    request = urllib.request.Request(hook.url, data=json.dumps(payload).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
            response.read()
    except urllib.error.HTTPError as exc:
        raise SendError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise SendError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from None


# -- the ledger ---------------------------------------------------------------------------------------------


def journal_path(db: str | os.PathLike) -> Path:
    return Path(str(db) + ".notify.jsonl")


def _journal(db) -> list[dict]:
    path = journal_path(db)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut by a crash mid-write
    return out


def already_sent(con, db) -> set[tuple[str, str, str, str]]:
    """(digest, period, recipient_hash, channel) of every send made: stored, or journalled."""
    rows = con.execute("select digest, period, recipient_hash, channel from notifications where status = 'sent'"
                       ).fetchall()
    done = {tuple(r) for r in rows}
    done |= {(e["digest"], e["period"], e["recipient_hash"], e["channel"]) for e in _journal(db)
             if e["status"] == "sent"}
    return done


def journal(db, entry: dict) -> None:
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(journal_path(db), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def fold(db) -> int:
    """Move the journal into ``notifications`` (and the audit spool into ``audit_log``)."""
    path = journal_path(db)
    entries = _journal(db)
    moved = path.with_name(f"{path.name}.folding-{os.getpid()}")
    if path.exists():
        os.replace(path, moved)
    try:
        with store.writing(db) as con:
            if entries:
                con.execute(
                    """
                    insert into notifications
                    select * from (
                        select e.send_id, e.digest, e.period, e.recipient_hash, e.channel, e.status,
                               e.attempts, e.error, e.sent_at::timestamp
                        from (select unnest($entries, recursive := true)) as e
                    ) as new
                    where not exists (select 1 from notifications as old where old.send_id = new.send_id)
                    """,
                    {"entries": entries},
                )
    except BaseException:
        audit.restore(path, [moved])  # put the lines back for the next run
        raise
    moved.unlink(missing_ok=True)
    return len(entries)


# -- the command -----------------------------------------------------------------------------------------


@dataclass
class Send:
    digest: digests.Digest
    channel: str  # smtp, slack, mattermost, teams
    target: str  # an address or a webhook URL: never printed nor stored
    label: str  # what the messages say instead: "e-mail 2 of the community digest", "webhook 1 (slack)"
    hook: Webhook | None = None


def build(source, settings: Settings, config: NotifyConfig, period: str, as_of: date | None,
          leads: dict[str, list[str]]) -> tuple[list[digests.Digest], int]:
    """The digests of ``period`` and how many team digests were left out (teams under k)."""
    if period == "month":
        return [digests.sponsor(source, settings, as_of)], 0
    built, skipped = [digests.community(source, settings, as_of)], 0
    for name in leads:
        d = digests.team(source, settings, as_of, name)
        if d is None:
            skipped += 1
        else:
            built.append(d)
    return built, skipped


#: How the messages name a send, by the digest's kind ("e-mail 2 of the community digest").
EMAIL_LABELS = {"community": N_("e-mail {i} of the community digest"), "sponsor": N_("e-mail {i} of the sponsor digest"),
                "team": N_("e-mail {i} of the team digest")}
HOOK_LABELS = {"community": N_("{hook} for the community digest"), "sponsor": N_("{hook} for the sponsor digest"),
               "team": N_("{hook} for the team digest")}


def plan(built: list[digests.Digest], config: NotifyConfig, settings: Settings,
         leads: dict[str, list[str]]) -> tuple[list[Send], int]:
    """Every send of the digests, and how many recipients were refused (role too low)."""
    sends, refused = [], 0
    for d in built:
        if d.period is None:
            continue  # no data: nothing to say
        if d.kind == "team":
            addresses = leads[d.team]
        else:
            addresses = recipients(config, settings, d.audience)
        for i, address in enumerate(addresses, start=1):
            if not allowed(address, d.kind, settings):
                refused += 1
                continue
            sends.append(Send(d, "smtp", address, _(EMAIL_LABELS.get(d.kind, EMAIL_LABELS["community"])).format(
                i=i, kind=d.kind)))
        for hook in config.webhooks:
            if d.kind in hook.digests:
                sends.append(Send(d, hook.kind, hook.url, _(HOOK_LABELS.get(d.kind, HOOK_LABELS["community"])).format(
                    hook=hook.name, kind=d.kind), hook))
    return sends, refused


def deliver(send: Send, config: NotifyConfig, password: str | None, png: dict) -> None:
    if send.channel == "smtp":
        if config.smtp is None:
            raise SendError(_("no [notify.smtp] server configured"))
        image, note = png.setdefault(id(send.digest), chart_png(send.digest))
        send_email(config.smtp, email(send.digest, config.sender, send.target, image, note), password)
    else:
        post_webhook(send.hook, webhook_payload(send.digest, send.channel))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_option(parser)
    parser.add_argument("--config", metavar=_("FILE"), default=argparse.SUPPRESS,
                        help=_("configuration file (default: ./ruche.toml if present)"))
    parser.add_argument("--period", choices=["week", "month"], default="week",
                        help=_("week: the community managers' and team leads' digests; month: the sponsors' "
                               "(default week)"))
    parser.add_argument("--as-of", dest="as_of", type=date.fromisoformat, metavar=_("DATE"),
                        help=_("describe the last complete week or month up to this day (default: the last day of data)"))
    parser.add_argument("--directory", metavar=_("FILE.csv"),
                        help=_("HR export to read each team's lead from, in memory (default: the directory_file "
                               "setting, when [notify] team_leads_from = \"directory\")"))
    parser.add_argument("--dry-run", action="store_true",
                        help=_("print the digests and whom they go to; send nothing"))
    parser.epilog = _("example (cron, after the nightly load):\n"
                      "  30 6 * * 1  ruche notify --period week\n  30 6 1 * *  ruche notify --period month")


def run(args: argparse.Namespace, settings: Settings, env: dict | None = None) -> int:
    env = os.environ if env is None else env
    config = NotifyConfig.parse(settings.notify, env)
    db = settings.db
    directory = getattr(args, "directory", None) or (settings.directory_file if config.team_leads_from else "")
    if config.team_leads_from and not directory:
        raise ConfigError(_("notify.team_leads_from = \"directory\" needs the directory_file setting or --directory"))
    leads = {**(directory_leads(directory, settings) if directory else {}), **config.team_leads}
    con = store.connect(db, read_only=True)
    try:
        built, skipped = build(Live(con), settings, config, args.period, args.as_of, leads)
        sends, refused = plan(built, config, settings, leads)
        done = set() if args.dry_run else already_sent(con, db)
    finally:
        con.close()
    if args.dry_run:
        for d in built:
            print(d.text())
        print(_("{n} send(s) planned: {sends}").format(n=count(len(sends)), sends=", ".join(s.label for s in sends)),
              file=sys.stderr)
        return 0
    if config.smtp is None and any(s.channel == "smtp" for s in sends):
        raise ConfigError(_("notify: e-mail recipients are configured but no [notify.smtp] server"))
    hasher = Pseudonymiser(load_key(settings.key_file, env, create=False))
    password = config.smtp.password(env) if config.smtp else None
    spool = audit.spool_path(db)
    png: dict = {}
    sent, failed, repeated = 0, [], 0
    for s in sends:
        recipient = hasher.hash(s.target)
        key = (s.digest.kind, s.digest.period, recipient, s.channel)
        if key in done:
            repeated += 1
            continue
        error, attempts = None, 0
        for attempts in range(1, config.attempts + 1):
            try:
                deliver(s, config, password, png)
                error = None
                break
            except SendError as exc:
                error = str(exc)
                if attempts < config.attempts:
                    time.sleep(config.backoff_seconds * 2 ** (attempts - 1))
        status = "sent" if error is None else "failed"
        at = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
        journal(db, {"send_id": uuid.uuid4().hex, "digest": s.digest.kind, "period": s.digest.period,
                     "recipient_hash": recipient, "channel": s.channel, "status": status, "attempts": attempts,
                     "error": error, "sent_at": at})
        audit.record(spool, user=ACTOR, role=None, action="notify", page=s.digest.kind,
                     detail={"period": s.digest.period, "channel": s.channel, "recipient_hash": recipient,
                             "status": status, "attempts": attempts})
        if status == "sent":
            done.add(key)
            sent += 1
        else:
            failed.append(_("{send}: {error} after {attempts} attempt(s)").format(
                send=s.label, error=error, attempts=attempts))
    fold(db)
    period = ", ".join(period_label(p) for p in sorted({d.period for d in built if d.period})) or _("no data")
    summary = _("ruche notify: {period}: {sent} sent, {failed} failed, {repeated} already sent").format(
        period=period, sent=count(sent), failed=count(len(failed)), repeated=count(repeated))
    if skipped:
        summary += _(", {n} team digest(s) not made (team under {k} people, or not in the store)").format(
            n=count(skipped), k=settings.min_group_size)
    if refused:
        summary += _(", {n} recipient(s) refused (their role may not see the digest)").format(n=count(refused))
    print(summary, file=sys.stderr)
    if failed:
        raise RucheError(_("{n} send(s) failed, to be tried again on the next run: {sends}").format(
            n=count(len(failed)), sends="; ".join(failed)))
    return 0

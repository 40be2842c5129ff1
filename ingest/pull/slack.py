"""Slack, with the official client (``slack_sdk``): two sources.

- ``slack``: the conversations of the channels the token reads (any plan), as a workspace export
  ZIP (``users.json``, ``channels.json``, ``groups.json``, ``<channel>/<YYYY-MM-DD>.json``) that
  ``ruche ingest slack`` reads: ``users.list``, ``conversations.list`` (public and private
  channels; only those the token is a member of can be read), ``conversations.history`` for the
  window and ``conversations.replies`` for its threads. A reply posted in the window to a thread
  started up to ``slack_thread_days`` before it is found too (its thread's root is
  listed with its latest reply); a reply to an older thread is not (the API offers no way to find
  it but reading every thread ever started).
- ``slack-analytics``: member analytics (``admin.analytics.getFile``, ``type=member``, Enterprise
  Grid), one gzip file per day, as ``ruche ingest slack-analytics`` reads them.

Every call goes through ``slack_sdk``'s ``WebClient`` (timeout, proxy from ``HTTPS_PROXY``), with a
retry handler that honours ``Retry-After`` on 429 and tries again after 5xx answers and cut
connections, as the settings say. Cursors (``response_metadata.next_cursor``) are followed to the end.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.handler import RetryHandler

from ingest.pull import Fetched, Job, day_range, secret
from ingest.pull.http import RETRYABLE, Policy, PullError, retrying
from ruche.i18n import N_, _, ngettext

#: The scopes each call needs (named when Slack answers missing_scope without saying).
SCOPES = {
    "users.list": N_("users:read (and users:read.email for the e-mails that join people across sources)"),
    "conversations.list": N_("channels:read and groups:read"),
    "conversations.history": N_("channels:history and groups:history"),
    "conversations.replies": N_("channels:history and groups:history"),
    "admin.analytics.getFile": N_("admin.analytics:read (a user token of an Org Owner or Admin, Enterprise Grid)"),
}

class _Retry(RetryHandler):
    """429 (with ``Retry-After``), 5xx and cut connections: wait as the policy says, then again."""

    def __init__(self, policy: Policy):
        super().__init__(max_retry_count=policy.retries)
        self.policy = policy

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if response is not None:
            return response.status_code in RETRYABLE
        return error is not None

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        state.next_attempt_requested = True
        header = None
        if response is not None:
            for k, v in response.headers.items():
                if k.lower() == "retry-after":
                    header = v[0] if isinstance(v, list) else v
        attempt = state.current_attempt + 1
        wait = self.policy.wait(attempt, header)
        why = f"{response.status_code}" if response is not None else _("the connection was cut")
        method = request.url.rsplit("/", 1)[-1].split("?", 1)[0]
        print(retrying("Slack", method, why, wait, attempt, self.policy.retries), file=sys.stderr)
        time.sleep(wait)
        state.increment_current_attempt()


def client(job: Job) -> WebClient:
    token = secret(job.settings, "RUCHE_SLACK_TOKEN", "slack_token_file", _("Slack token"))
    base = str(job.settings.slack_url).rstrip("/") + "/api/"
    # slack_sdk logs its failed tries; this module says what it does about them on its own
    quiet = logging.getLogger("ruche.pull.slack_sdk")
    quiet.propagate = False
    quiet.addHandler(logging.NullHandler())
    web = WebClient(token=token, base_url=base, timeout=int(max(1, job.policy.timeout)),
                    retry_handlers=[_Retry(job.policy)], logger=quiet)
    return web


def call(web: WebClient, method: str, **params):
    """Every page of a method's answer (cursor paging to the end), as one list of pages."""
    try:
        # a SlackResponse pages in place: each page's data is taken before it turns to the next
        return [dict(page.data) for page in web.api_call(method, params=params)]
    except SlackApiError as exc:
        raise PullError(_refusal(method, exc.response)) from None
    except (SlackRequestError, OSError) as exc:
        raise PullError(_("Slack: {method} failed ({error}); nothing was published, the next pull starts again from "
                          "the same point").format(method=method, error=type(exc).__name__)) from None


def _refusal(method: str, response) -> str:
    status = getattr(response, "status_code", None)
    data = response.data if isinstance(getattr(response, "data", None), dict) else {}
    error = data.get("error") or f"HTTP {status}"
    if status == 429 or error == "ratelimited":
        return _("Slack: {method} still rate limited after the retries the settings allow (pull_retries); nothing "
                 "was published, the next pull starts again from the same point").format(method=method)
    if error == "missing_scope":
        needed = data.get("needed") or (_(SCOPES[method]) if method in SCOPES else "")
        return _("Slack refused {method} (missing_scope): the token needs the scope {needed}").format(
            method=method, needed=needed)
    if error in ("invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"):
        return _("Slack refused {method} ({error}): the token is not valid any more; install the app again or issue "
                 "a new token (RUCHE_SLACK_TOKEN)").format(method=method, error=error)
    if error in ("not_allowed_token_type", "not_an_admin", "feature_not_enabled", "team_not_authorized",
                 "not_authorized", "access_denied"):
        return _("Slack refused {method} ({error}): it needs {needs}").format(
            method=method, error=error, needs=_(SCOPES[method]) if method in SCOPES else _("another token"))
    return _("Slack answered {method} with {error}; nothing was published").format(method=method, error=error)


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


def _day(ts: str) -> str:
    return datetime.fromtimestamp(float(ts), timezone.utc).date().isoformat()


def fetch(job: Job) -> Fetched | None:
    """The conversations of the whole days since the cursor, as one export ZIP."""
    start, end = job.start_day(), job.today
    if start >= end:
        return None
    web = client(job)
    oldest, latest = _epoch(start), _epoch(end)
    lookback = _epoch(start - timedelta(days=max(0, int(job.settings.slack_thread_days))))
    users = [m for page in call(web, "users.list", limit=200) for m in page.get("members", [])]
    channels = [c for page in call(web, "conversations.list", types="public_channel,private_channel",
                                   exclude_archived=False, limit=200) for c in page.get("channels", [])]
    readable = [c for c in channels if c.get("is_member")]
    notes = []
    if len(readable) < len(channels):
        unread = len(channels) - len(readable)
        notes.append(ngettext("{n} channel not read: the app is not a member (invite it with /invite to read it)",
                              "{n} channels not read: the app is not a member (invite it with /invite to read them)",
                              unread).format(n=unread))
    days: dict[tuple[str, str], list[dict]] = {}
    job.progress.start(_("{source}: downloading").format(source="slack"), max(1, len(readable)))
    try:
        for channel in readable:
            cid = channel["id"]
            found: dict[str, dict] = {}
            pages = call(web, "conversations.history", channel=cid, oldest=str(lookback), latest=str(latest),
                         inclusive=True, limit=200)
            for message in (m for page in pages for m in page.get("messages", [])):
                ts = message.get("ts", "")
                if oldest <= float(ts) < latest:
                    found[ts] = message
                if message.get("reply_count") and float(message.get("latest_reply") or ts) >= oldest:
                    replies = call(web, "conversations.replies", channel=cid, ts=ts, oldest=str(oldest),
                                   latest=str(latest), inclusive=True, limit=200)
                    for reply in (m for page in replies for m in page.get("messages", [])):
                        if reply.get("ts") != ts and oldest <= float(reply.get("ts", 0)) < latest:
                            found[reply["ts"]] = reply
            for ts, message in found.items():
                days.setdefault((channel["name"], _day(ts)), []).append(message)
            job.progress.step(f"#{channel['name']}")
    finally:
        job.progress.finish()
    path = job.folder / f"slack-export-{start}-{end}.zip"
    _write_export(path, users, readable, days)
    return Fetched(files=[(path, "slack")], cursor=end.isoformat(), data_through=end - timedelta(days=1), notes=notes)


_KEEP = ("id", "name", "created", "creator", "is_archived", "is_general", "is_ext_shared", "members", "topic", "purpose")


def _write_export(path: Path, users: list[dict], channels: list[dict], days: dict) -> None:
    """A workspace export as Slack writes it, byte for byte the same for the same content."""
    public = [{k: c[k] for k in _KEEP if k in c} for c in channels if not c.get("is_private")]
    private = [{k: c[k] for k in _KEEP if k in c} for c in channels if c.get("is_private")]
    entries = {"users.json": users, "channels.json": public}
    if private:
        entries["groups.json"] = private
    for (name, day), messages in sorted(days.items()):
        entries[f"{name}/{day}.json"] = sorted(messages, key=lambda m: float(m["ts"]))
    partial = path.with_name(path.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, value in entries.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)),
                        json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True))
    partial.replace(path)


# ------------------------------------------------------------------------------------------------
# Member analytics (Enterprise Grid)


def fetch_analytics(job: Job) -> Fetched | None:
    """One member-analytics file per whole day since the cursor, up to the last Slack has ready."""
    start, end = job.start_day(), job.today
    days = day_range(start, end - timedelta(days=1))
    if not days:
        return None
    web = client(job)
    files, notes = [], []
    cursor = end
    job.progress.start(_("{source}: downloading").format(source="slack-analytics"), len(days))
    try:
        for day in days:
            try:
                response = web.admin_analytics_getFile(type="member", date=day.isoformat())
            except SlackApiError as exc:
                error = exc.response.data.get("error") if isinstance(exc.response.data, dict) else None
                if error == "file_not_yet_available":
                    cursor = day  # Slack prepares a day's file a day or two later: the next pull asks again
                    notes.append(_("member analytics from {day} not ready yet: the next pull fetches them").format(day=day))
                    break
                if error in ("file_not_found", "data_not_available"):
                    job.progress.step(_("{day}: none").format(day=day))
                    continue
                raise PullError(_refusal("admin.analytics.getFile", exc.response)) from None
            except (SlackRequestError, OSError) as exc:
                raise PullError(_("Slack: {method} failed ({error}); nothing was published, the next pull starts again "
                                  "from the same point").format(method="admin.analytics.getFile",
                                                                error=type(exc).__name__)) from None
            data = response.data
            if not isinstance(data, (bytes, bytearray)) or not data:
                job.progress.step(_("{day}: none").format(day=day))
                continue
            path = job.folder / f"member-analytics-{day}.json.gz"
            path.write_bytes(bytes(data))
            files.append((path, "slack-analytics"))
            job.progress.step(str(day))
    finally:
        job.progress.finish()
    if cursor == start and not files:
        return Fetched(files=[], cursor=start.isoformat(), data_through=job.state.data_through, notes=notes)
    return Fetched(files=files, cursor=cursor.isoformat(), data_through=cursor - timedelta(days=1), notes=notes)

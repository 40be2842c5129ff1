"""Loopback stand-ins for the networks' APIs, as their vendors document them, for ``ruche pull``'s tests.

Each mock is an HTTP server on 127.0.0.1 (an ephemeral port) in a thread of the test process,
answering the requests and shapes of its vendor's published API:

- :class:`GraphMock`: Microsoft Entra ID's token endpoint (``POST /{tenant}/oauth2/v2.0/token``,
  client credentials) and Microsoft Graph's usage reports (``GET /v1.0/reports/{function}(…)``
  answering ``302`` to a pre-authenticated download URL that must be fetched without credentials).
- :class:`VivaMock`: the Data Export API (``GET /api/v1/export?since=…&until=…&model=…&include=csv``)
  answering a ZIP of CSV files.
- :class:`SlackMock`: Slack's Web API methods (``POST /api/{method}``), cursor paging
  (``response_metadata.next_cursor``), ``429`` with ``Retry-After``.
- :class:`MattermostMock`: Mattermost's REST API v4 (``/api/v4/...``, ``page`` and ``per_page``).

Faults are injected per route, consumed in order: ``mock.fault("report", "429", "500")`` makes the
next two calls of that route answer 429 (``Retry-After: 1``) then 500, and the third succeed.
Kinds: ``429``, ``500``, ``503``, ``cut`` (the headers promise the whole body, the connection is
closed half-way through it), ``expired`` (401 for the token in use, as an expired token gets),
``403``.
"""

from __future__ import annotations

import collections
import io
import json
import threading
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    cut: bool = False


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def token(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[7:] if value.lower().startswith("bearer ") else None

    def form(self) -> dict[str, str]:
        if "json" in self.headers.get("content-type", ""):
            return {k: str(v) for k, v in json.loads(self.body or b"{}").items()}
        pairs = urllib.parse.parse_qs(self.body.decode(), keep_blank_values=True)
        merged = {k: v[-1] for k, v in pairs.items()}
        merged.update({k: v[-1] for k, v in self.query.items()})
        return merged


def json_reply(obj, status: int = 200, headers: dict | None = None) -> Reply:
    return Reply(status, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})})


class Mock:
    """The server, the faults and the log of requests every mock shares."""

    def __init__(self):
        self.faults: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, urllib.parse.unquote(parsed.path),
                                  urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
                                  {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                with mock.lock:
                    mock.requests.append(request)
                reply = mock.dispatch(request)
                self.send_response(reply.status)
                body = reply.body
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                if reply.cut:
                    self.send_header("Connection", "close")
                self.end_headers()
                if reply.cut:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            do_GET = do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> "Mock":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fault(self, route: str, *kinds: str) -> None:
        self.faults[route].extend(kinds)

    def calls(self, route_prefix: str) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(route_prefix)]

    def injected(self, route: str, request: Request) -> Reply | None:
        """The next fault of ``route``, if one is queued."""
        with self.lock:
            kind = self.faults[route].popleft() if self.faults[route] else None
        if kind is None:
            return None
        if kind == "429":
            return json_reply({"error": {"code": "TooManyRequests", "message": "Too many requests"}}, 429,
                              {"Retry-After": "1"})
        if kind == "503":
            return json_reply({"error": {"code": "ServiceUnavailable"}}, 503, {"Retry-After": "1"})
        if kind == "500":
            return json_reply({"error": {"code": "InternalServerError"}}, 500)
        if kind == "403":
            return json_reply({"error": {"code": "Forbidden", "message": "Insufficient privileges"}}, 403)
        if kind == "expired":
            self.expire(request.token)
            return json_reply({"error": {"code": "InvalidAuthenticationToken",
                                         "message": "Access token has expired or is not yet valid."}}, 401)
        if kind == "cut":
            return "cut"  # the route serves its body, cut half-way
        raise ValueError(kind)

    def expire(self, token: str | None) -> None:
        pass

    def dispatch(self, request: Request) -> Reply:
        raise NotImplementedError


# ------------------------------------------------------------------------------------------------
# Microsoft Entra ID and Microsoft Graph


ACTIVITY_HEADER = ("Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,"
                   "Last Activity Date,Posted Count,Read Count,Liked Count,Assigned Products,Report Period")
GROUPS_HEADER = ("Report Refresh Date,Group Display Name,Is Deleted,Owner Principal Name,Last Activity Date,"
                 "Group Type,Office 365 Connected,Member Count,Posted Count,Read Count,Liked Count,Report Period")
DEVICES_HEADER = ("Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,"
                  "Last Activity Date,Used Web,Used Windows Phone,Used Android Phone,Used iPhone,Used iPad,"
                  "Used Others,Report Period")
BOM = "\ufeff"


class GraphMock(Mock):
    """Tenant ``TENANT``, app ``CLIENT_ID`` with secret ``SECRET``; ``reports[(function, day)]`` is the
    CSV a day's report downloads (a header alone for a day nobody was active); ``latest`` the last
    day with data."""

    TENANT = "11111111-2222-3333-4444-555555555555"
    CLIENT_ID = "66666666-7777-8888-9999-000000000000"
    SECRET = "s3cr3t~value"

    def __init__(self, latest, reports: dict):
        super().__init__()
        self.latest = latest
        self.reports = reports
        self.issued: list[str] = []
        self.expired: set[str] = set()
        self.redirects_with_credentials = 0

    def expire(self, token):
        if token:
            self.expired.add(token)

    #: the app's certificate (cryptography's x509.Certificate), when it signs in with one
    certificate = None

    def _assertion_ok(self, form: dict, r: Request) -> bool:
        """A client assertion (RFC 7523) signed by the certificate's key, for this token endpoint."""
        import base64
        import hashlib

        import jwt
        from cryptography.hazmat.primitives import serialization

        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return False
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        x5t = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("=")
        try:
            claims = jwt.decode(form["client_assertion"], self.certificate.public_key(), algorithms=["RS256"],
                                audience=f"{self.url}{r.path}")
        except jwt.PyJWTError:
            return False
        header = jwt.get_unverified_header(form["client_assertion"])
        return header.get("x5t") == x5t and claims.get("iss") == claims.get("sub") == self.CLIENT_ID

    def dispatch(self, r: Request) -> Reply:
        if r.method == "POST" and r.path == f"/{self.TENANT}/oauth2/v2.0/token":
            fault = self.injected("token", r)
            if fault:
                return fault
            form = r.form()
            if form.get("client_assertion") and self.certificate is not None:
                form["client_secret"] = self.SECRET if self._assertion_ok(form, r) else None
            if (form.get("client_id"), form.get("client_secret"), form.get("grant_type")) != (
                    self.CLIENT_ID, self.SECRET, "client_credentials") or not form.get("scope", "").endswith("/.default"):
                return json_reply({"error": "invalid_client", "error_description":
                                   f"AADSTS7000215: Invalid client secret provided for app '{self.CLIENT_ID}'."}, 401)
            token = f"graph-token-{len(self.issued) + 1}"
            self.issued.append(token)
            return json_reply({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})
        if r.path.startswith("/v1.0/reports/"):
            if r.token not in self.issued or r.token in self.expired:
                return json_reply({"error": {"code": "InvalidAuthenticationToken",
                                             "message": "Access token has expired or is not yet valid."}}, 401)
            fault = self.injected("report", r)
            if fault and fault != "cut":
                return fault
            call = r.path[len("/v1.0/reports/"):]
            suffix = "?cut=1" if fault == "cut" else ""
            return Reply(302, b"", {"Location": f"{self.url}/data/download/{urllib.parse.quote(call)}{suffix}",
                                    "Content-Type": "text/plain"})
        if r.path.startswith("/data/download/"):
            if "authorization" in r.headers:
                self.redirects_with_credentials += 1
                return json_reply({"error": "a pre-authenticated URL takes no Authorization header"}, 400)
            call = r.path[len("/data/download/"):]
            body = self.download(call)
            if body is None:
                return json_reply({"error": {"code": "BadRequest", "message": "Invalid date"}}, 400)
            return Reply(200, body, {"Content-Type": "application/octet-stream"}, cut="cut" in r.query)
        return json_reply({"error": {"code": "NotFound"}}, 404)

    def download(self, call: str) -> bytes | None:
        if call == "getYammerActivityCounts(period='D7')":
            rows = [f"{self.latest},0,0,0,{self.latest},7"]
            return (BOM + "Report Refresh Date,Liked,Posted,Read,Report Date,Report Period\n" + "\n".join(rows) + "\n").encode()
        name, _, arg = call.partition("(date=")
        day = arg.rstrip(")").strip("'")
        return self.reports.get((name, day))


# ------------------------------------------------------------------------------------------------
# Viva Engage: the Data Export API


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            zf.writestr(info, data)
    return buffer.getvalue()


class VivaMock(Mock):
    """``export(since, until)`` gives the ZIP of a window (``YYYY-MM-DD HH:MM:SS`` UTC); the token
    of a Verified Administrator is ``TOKEN``."""

    TOKEN = "viva-admin-token"

    def __init__(self, export):
        super().__init__()
        self.export = export

    def dispatch(self, r: Request) -> Reply:
        if r.path != "/api/v1/export":
            return json_reply({"error": "not found"}, 404)
        if r.token != self.TOKEN:
            return json_reply({"error": "unauthorized"}, 401)
        fault = self.injected("export", r)
        if fault and fault != "cut":
            return fault
        q = {k: v for k, v in r.query.items()}
        if q.get("include") != ["csv"] or set(q.get("model", [])) != {"Message", "User", "Group", "Topic", "Upload"}:
            return json_reply({"error": "bad request"}, 400)
        since = q["since"][0].replace("T", " ")[:19]
        until = q["until"][0].replace("T", " ")[:19]
        return Reply(200, self.export(since, until), {"Content-Type": "application/zip"}, cut=fault == "cut")


# ------------------------------------------------------------------------------------------------
# Slack: the Web API


class SlackMock(Mock):
    """A workspace: ``users`` (users.list), ``channels`` (conversations.list, with ``is_member``),
    ``messages[channel id]`` (every message, replies included, as an export's day files hold
    them) and ``analytics[day]`` (the gzip of admin.analytics.getFile). Pages hold ``page``
    items at most, whatever ``limit`` asks, so every cursor is followed. ``missing[method]``
    names a scope the token lacks."""

    TOKEN = "xoxb-0000-test-token"

    def __init__(self, users, channels, messages, analytics=None, page=50):
        super().__init__()
        self.users, self.channels, self.messages = users, channels, messages
        self.analytics = analytics or {}
        self.page = page
        self.missing: dict[str, str] = {}
        self.not_ready_from: str | None = None

    def dispatch(self, r: Request) -> Reply:
        method = r.path.rsplit("/", 1)[-1]
        if r.token != self.TOKEN:
            return json_reply({"ok": False, "error": "invalid_auth"})
        fault = self.injected(method, r)
        if fault and fault != "cut":
            if fault.status == 429:
                return json_reply({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "1"})
            return fault
        reply = self._answer(method, r)
        reply.cut = fault == "cut"
        return reply

    def _answer(self, method: str, r: Request) -> Reply:
        if method in self.missing:
            return json_reply({"ok": False, "error": "missing_scope", "needed": self.missing[method],
                               "provided": "users:read"})
        q = r.form()
        if method == "users.list":
            return self._paged(q, "members", self.users)
        if method == "conversations.list":
            return self._paged(q, "channels", self.channels)
        if method == "conversations.history":
            found = [m for m in self.messages.get(q["channel"], [])
                     if not (m.get("thread_ts") and m["thread_ts"] != m["ts"] and m.get("subtype") != "thread_broadcast")
                     and self._within(m, q)]
            return self._paged(q, "messages", sorted(found, key=lambda m: -float(m["ts"])), has_more=True)
        if method == "conversations.replies":
            thread = [m for m in self.messages.get(q["channel"], []) if m.get("thread_ts") == q["ts"]]
            thread.sort(key=lambda m: float(m["ts"]))
            return self._paged(q, "messages", [m for m in thread if m["ts"] == q["ts"] or self._within(m, q)],
                               has_more=True)
        if method == "admin.analytics.getFile":
            day = q.get("date", "")
            if self.not_ready_from and day >= self.not_ready_from:
                return json_reply({"ok": False, "error": "file_not_yet_available"})
            if day not in self.analytics:
                return json_reply({"ok": False, "error": "file_not_found"})
            return Reply(200, self.analytics[day], {"Content-Type": "application/gzip"})
        return json_reply({"ok": False, "error": "unknown_method"})

    @staticmethod
    def _within(m: dict, q: dict) -> bool:
        ts = float(m["ts"])
        oldest, latest = float(q.get("oldest") or 0), float(q.get("latest") or 1e12)
        return oldest <= ts <= latest if q.get("inclusive") in ("true", "1", "True") else oldest < ts < latest

    def _paged(self, q: dict, key: str, items: list, has_more: bool = False) -> Reply:
        start = int(q.get("cursor") or 0)
        size = min(int(q.get("limit") or 100), self.page)
        chunk = items[start:start + size]
        more = start + size < len(items)
        body = {"ok": True, key: chunk, "response_metadata": {"next_cursor": f"{start + size}" if more else ""}}
        if has_more:
            body["has_more"] = more
        return json_reply(body)


# ------------------------------------------------------------------------------------------------
# Mattermost: the REST API v4


class MattermostMock(Mock):
    """A server holding what a bulk export's lines hold (``lines``: the parsed JSON lines), served
    as API v4 objects with ids; ``TOKEN`` is a System Admin's personal access token."""

    TOKEN = "mm-personal-access-token"

    def __init__(self, lines: list[dict], per_page_cap: int = 200):
        super().__init__()
        self.cap = per_page_cap
        self.teams, self.channels, self.users, self.posts = [], [], [], {}
        team_ids, channel_ids, user_ids = {}, {}, {}
        for o in lines:
            if o["type"] == "team":
                team_ids[o["team"]["name"]] = f"t{len(self.teams) + 1:025d}"
                self.teams.append({"id": team_ids[o["team"]["name"]], **o["team"]})
            elif o["type"] == "user":
                u = o["user"]
                user_ids[u["username"]] = f"u{len(self.users) + 1:025d}"
                self.users.append({"id": user_ids[u["username"]], "delete_at": 0, "is_bot": False,
                                   **{k: u[k] for k in ("username", "email", "first_name", "last_name", "position",
                                                        "roles") if k in u}})
        for o in lines:
            if o["type"] == "channel":
                c = o["channel"]
                channel_ids[(c["team"], c["name"])] = f"c{len(self.channels) + 1:025d}"
                self.channels.append({"id": channel_ids[(c["team"], c["name"])], "team_id": team_ids[c["team"]],
                                      "name": c["name"], "display_name": c.get("display_name", ""), "type": c["type"]})
        for o in lines:
            if o["type"] != "post":
                continue
            p = o["post"]
            if (p["team"], p["channel"]) not in channel_ids:
                continue  # the real export's post to a channel it never declares: no server holds such a post
            root = self._post(p, channel_ids[(p["team"], p["channel"])], user_ids, "")
            for r in p.get("replies") or []:
                self._post(r, root["channel_id"], user_ids, root["id"])

    def _post(self, p: dict, channel_id: str, user_ids: dict, root_id: str) -> dict:
        pid = f"p{len(self.posts) + 1:025d}"
        post = {"id": pid, "channel_id": channel_id, "user_id": user_ids[p["user"]], "message": p.get("message", ""),
                "create_at": p["create_at"], "update_at": p["create_at"], "delete_at": 0, "root_id": root_id,
                "type": p.get("type", ""), "metadata": {}}
        if p.get("reactions"):
            post["metadata"]["reactions"] = [{"user_id": user_ids[r["user"]], "post_id": pid, "emoji_name": r["emoji_name"],
                                              "create_at": r["create_at"]} for r in p["reactions"]]
        self.posts[pid] = post
        return post

    def dispatch(self, r: Request) -> Reply:
        if r.token != self.TOKEN:
            return json_reply({"id": "api.context.session_expired.app_error", "status_code": 401,
                               "message": "Invalid or expired session, please login again."}, 401)
        parts = r.path.strip("/").split("/")[2:]  # after api/v4
        fault = self.injected(parts[0], r)
        if fault and fault != "cut":
            return fault
        page, per_page = int(r.query.get("page", ["0"])[0]), min(int(r.query.get("per_page", ["60"])[0]), self.cap)

        def paged(items):
            return json_reply(items[page * per_page:(page + 1) * per_page])

        if parts == ["users", "me"]:
            return json_reply(self.users[0])
        if parts == ["users"]:
            return paged(self.users)
        if parts == ["teams"]:
            return paged(self.teams)
        if len(parts) >= 3 and parts[0] == "teams" and parts[2] == "channels":
            kind = "P" if parts[3:] == ["private"] else "O"
            return paged([c for c in self.channels if c["team_id"] == parts[1] and c["type"] == kind])
        if len(parts) == 3 and parts[0] == "channels" and parts[2] == "posts":
            posts = sorted((p for p in self.posts.values() if p["channel_id"] == parts[1]),
                           key=lambda p: (-p["create_at"], p["id"]))
            chunk = posts[page * per_page:(page + 1) * per_page]
            reply = json_reply({"order": [p["id"] for p in chunk], "posts": {p["id"]: p for p in chunk},
                                "next_post_id": "", "prev_post_id": "", "has_next": len(posts) > (page + 1) * per_page})
            reply.cut = fault == "cut"
            return reply
        if len(parts) == 2 and parts[0] == "posts" and parts[1] in self.posts:
            return json_reply(self.posts[parts[1]])
        return json_reply({"id": "api.context.404.app_error", "status_code": 404}, 404)


# What every pull test does around its mock: the settings of a store, the clock, the command, the
# store's rows, and the waits the client would have slept.


def write_settings(tmp_path, monkeypatch, values: dict, env: dict) -> Path:
    """A ruche.toml in ``tmp_path`` holding ``values`` (the store ``tmp_path/store.duckdb`` unless
    given), named by RUCHE_CONFIG, and the credentials of ``env`` in the environment; the store's path."""
    values = {"db": str(Path(tmp_path) / "store.duckdb")} | values
    config = Path(tmp_path) / "ruche.toml"
    config.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    monkeypatch.setenv("RUCHE_CONFIG", str(config))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Path(values["db"])


def on(monkeypatch, day, hour: int = 6, minute: int = 30) -> None:
    """The pulls run on ``day`` (UTC)."""
    from datetime import datetime

    monkeypatch.setattr("ingest.pull.utc_now", lambda: datetime(day.year, day.month, day.day, hour, minute))


def run(capsys, *argv) -> tuple[int, str, str]:
    """``ruche pull ARGV``: its exit code, standard output and error."""
    from ruche import cli

    code = cli.main(["pull", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def rows(db, sql: str) -> list:
    """The rows of ``sql`` on the store file ``db``, read-only."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def waits_of(monkeypatch) -> list[float]:
    """The waits the client would have slept (not slept: the tests run at full speed)."""
    slept: list[float] = []
    monkeypatch.setattr("ingest.pull.http.time.sleep", slept.append)
    return slept

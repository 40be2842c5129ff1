"""Microsoft 365 usage reports for Viva Engage, from Microsoft Graph.

An app registration (client credentials: ``graph_tenant_id``, ``graph_client_id``, a secret in
``RUCHE_GRAPH_CLIENT_SECRET`` or ``graph_client_secret_file``, or a certificate in
``graph_certificate_file``) with the application permission ``Reports.Read.All`` reads, for each
day Graph still holds (28 days) that the store lacks:

- ``getYammerActivityUserDetail(date=…)``: posted, read and liked counts per user that day,
- ``getYammerGroupsActivityDetail(date=…)``: the same per community,
- ``getYammerDeviceUsageUserDetail(date=…)``: the devices each user used that day.

Each answers ``302`` to a pre-authenticated CSV, which is saved as it comes and loaded by the
report loaders of :mod:`ingest.m365` (a day's report has ``Report Period`` 1). The last day Graph
has data for is the refresh date of ``getYammerActivityCounts(period='D7')``, a few lines.

The token is asked for with a plain ``POST`` to ``{login_url}/{tenant}/oauth2/v2.0/token``
(OAuth 2.0 client credentials grant, scope ``{graph_url}/.default``), not through MSAL: MSAL
refuses any authority that is not ``https``, which a test server on the loopback is not.
"""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from ingest.pull import Fetched, Job, day_range, secret
from ingest.pull.http import Auth, Client, PullError
from ruche.i18n import N_, _

#: Days Graph keeps the daily detail of its reports (its documentation says "the past 30 days";
#: the admin centre's daily detail goes back 28).
DAYS_HELD = 28

#: report function -> (file name, ``ruche ingest`` source)
REPORTS = {
    "getYammerActivityUserDetail": ("YammerActivityUserDetail", "m365-engage-activity"),
    "getYammerGroupsActivityDetail": ("YammerGroupsActivityDetail", "m365-engage-groups"),
    "getYammerDeviceUsageUserDetail": ("YammerDeviceUsageUserDetail", "m365-engage-devices"),
}

PERMISSION = N_("the app registration needs the Microsoft Graph application permission Reports.Read.All, "
              "with an administrator's consent (Microsoft Entra admin center > App registrations > API permissions)")


class GraphAuth(Auth):
    """A token of the app registration, asked for again when it expires (once per 401)."""

    needs = PERMISSION

    def __init__(self, job: Job):
        s = job.settings
        self.tenant = str(s.graph_tenant_id or "").strip()
        self.client_id = str(s.graph_client_id or "").strip()
        if not self.tenant or not self.client_id:
            raise PullError(_("m365: graph_tenant_id and graph_client_id must be set (ruche.toml, or "
                              "RUCHE_GRAPH_TENANT_ID and RUCHE_GRAPH_CLIENT_ID)"))
        self.certificate = str(s.graph_certificate_file or "")
        self.secret = None if self.certificate else secret(
            s, "RUCHE_GRAPH_CLIENT_SECRET", "graph_client_secret_file", _("client secret of the app registration"))
        self.scope = f"{str(s.graph_url).rstrip('/')}/.default"
        self.login = Client(str(s.login_url), "Microsoft Entra ID", None, job.policy)
        self.endpoint = f"{self.tenant}/oauth2/v2.0/token"
        self._token: str | None = None

    def header(self) -> dict[str, str]:
        if self._token is None:
            self._token = self._ask()
        return {"Authorization": f"Bearer {self._token}"}

    def renew(self) -> bool:
        self._token = self._ask()
        return True

    def _ask(self) -> str:
        form = {"client_id": self.client_id, "scope": self.scope, "grant_type": "client_credentials"}
        if self.certificate:
            form |= {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                     "client_assertion": _assertion(self.certificate, self.client_id, self.login.url(self.endpoint))}
        else:
            form["client_secret"] = self.secret
        response = self.login.call("POST", self.endpoint, _("the token request"), data=form, authorised=False,
                                   expect=(200, 400, 401))
        body = _json(response)
        if response.status_code != 200 or not body.get("access_token"):
            # the error's code only: its description quotes the tenant and the application ids
            code = body.get("error") or f"HTTP {response.status_code}"
            raise PullError(_("Microsoft Entra ID refused the app's credentials ({code}): check graph_tenant_id, "
                              "graph_client_id and the client secret or certificate (an expired secret is renewed in "
                              "App registrations > Certificates & secrets)").format(code=code))
        return body["access_token"]


def _json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _assertion(pem_file: str, client_id: str, audience: str) -> str:
    """A signed client assertion (RFC 7523) from a PEM file holding the certificate and its key."""
    import base64
    import hashlib

    import jwt
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        data = Path(pem_file).expanduser().read_bytes()
    except OSError as exc:
        raise PullError(_("{setting} {path}: cannot be read ({error})").format(
            setting="graph_certificate_file", path=pem_file, error=exc.strerror)) from None
    try:
        cert = x509.load_pem_x509_certificate(data)
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        raise PullError(_("graph_certificate_file {path}: expected a PEM file holding the certificate and its private "
                          "key (unencrypted)").format(path=pem_file)) from None
    thumbprint = base64.urlsafe_b64encode(hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).digest())
    now = int(time.time())
    claims = {"aud": audience, "iss": client_id, "sub": client_id, "jti": str(uuid.uuid4()), "nbf": now,
              "exp": now + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"x5t": thumbprint.decode().rstrip("=")})


def latest_day(graph: Client, folder: Path) -> date:
    """The last day Graph has data for: the refresh date of the 7-day activity counts."""
    path = graph.get_file("v1.0/reports/getYammerActivityCounts(period='D7')", "getYammerActivityCounts",
                          folder / "YammerActivityCounts-D7.csv")
    rows = _rows(path)
    days = {r.get("Report Refresh Date", "")[:10] for r in rows}
    try:
        return max(date.fromisoformat(d) for d in days)
    except ValueError:
        raise PullError(_("Microsoft Graph answered getYammerActivityCounts without a Report Refresh Date (expected "
                          "YYYY-MM-DD); nothing was published")) from None
    finally:
        path.unlink(missing_ok=True)


def _rows(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def fetch(job: Job) -> Fetched | None:
    auth = GraphAuth(job)
    with Client(str(job.settings.graph_url), "Microsoft Graph", auth, job.policy) as graph:
        latest = latest_day(graph, job.folder)
        first_held = latest - timedelta(days=DAYS_HELD - 1)
        start = job.start_day(default=first_held)
        notes = []
        if start < first_held:
            notes.append(_("days {first} to {last} are no longer held by Microsoft Graph (it keeps {n} days of daily "
                           "detail): they cannot be pulled").format(first=start, last=first_held - timedelta(days=1),
                                                                     n=DAYS_HELD))
            start = first_held
        days = day_range(start, latest)
        if not days:
            return None
        job.progress.start(_("{source}: downloading").format(source="m365"), len(days) * len(REPORTS))
        files = []
        try:
            for day in days:
                for function, (name, source) in REPORTS.items():
                    what = f"{function}(date={day})"
                    path = graph.get_file(f"v1.0/reports/{function}(date={day.isoformat()})", what,
                                          job.folder / f"{name}-{day}.csv")
                    if _check_day(path, day, what):
                        files.append((path, source))
                    else:
                        path.unlink(missing_ok=True)  # nobody did anything that day: nothing to load
                    job.progress.step(what)
        finally:
            job.progress.finish()
    return Fetched(files=files, cursor=(latest + timedelta(days=1)).isoformat(), data_through=latest, notes=notes)


def _check_day(path: Path, day: date, what: str) -> bool:
    """Whether a day's report holds rows; refuses one whose rows are dated another day (its
    snapshots would be filed under the wrong day)."""
    rows = _rows(path)
    if not rows:
        return False
    dates = {(r.get("Report Refresh Date") or "")[:10] for r in rows}
    if dates != {day.isoformat()}:
        raise PullError(_("Microsoft Graph answered {what} with rows refreshed on {dates} (expected {day}): nothing "
                          "was published").format(what=what, dates=", ".join(sorted(dates)), day=day))
    return True

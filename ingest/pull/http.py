"""One careful HTTP client for every network Ruche pulls from.

What a vendor's API does to a long pull, and what this client does about it:

- **429 and 503** (and 500, 502, 504, a connection cut or a timeout): wait and try again, at most
  ``pull_retries`` times. A ``Retry-After`` header (seconds or an HTTP date) is honoured up to
  ``pull_max_wait_seconds``; without one the wait doubles from ``pull_backoff_seconds``, capped.
- **Every call has a timeout** (``pull_timeout_seconds``: connect, read and write each).
- **401**: the token is renewed once (an app's token expires after an hour; a backfill outlives
  it), then the call is tried again; a second 401, or a 403, stops the pull with a message naming
  the permission or scope the credential lacks.
- **Redirects** (Graph's reports answer ``302`` to a pre-authenticated download URL) are followed
  by hand, without the ``Authorization`` header: the target is another host and needs none.
- **Proxies** come from the standard variables (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``).
- **Nothing secret is ever printed**: messages name the call (``getYammerActivityUserDetail``),
  never a URL (download URLs carry their own credential), a token or a header.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx

from ruche.errors import RucheError
from ruche.i18n import _

#: Answers worth trying again: the service is busy or briefly broken.
RETRYABLE = {429, 500, 502, 503, 504}


# httpx and httpcore log every request's URL (INFO, DEBUG): a pre-authenticated download address
# carries its own credential, and the token address names the tenant. Whatever logging the
# process sets up, they log warnings only.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class PullError(RucheError):
    """A pull that cannot go on: the message says what to fix (a permission, a token, a setting)."""


@dataclass
class Policy:
    """How hard to try: from the settings ``pull_timeout_seconds``, ``pull_retries``,
    ``pull_backoff_seconds`` and ``pull_max_wait_seconds``."""

    timeout: float = 60.0
    retries: int = 5
    backoff: float = 1.0
    max_wait: float = 300.0

    @classmethod
    def from_settings(cls, settings) -> "Policy":
        return cls(timeout=float(settings.pull_timeout_seconds), retries=int(settings.pull_retries),
                   backoff=float(settings.pull_backoff_seconds), max_wait=float(settings.pull_max_wait_seconds))

    def wait(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 1).

        >>> Policy(backoff=1.0, max_wait=300).wait(1, "7")
        7.0
        >>> Policy(backoff=1.0, max_wait=5).wait(1, "120")   # a Retry-After beyond the cap
        5.0
        >>> 4.0 <= Policy(backoff=1.0).wait(3, None) <= 5.0   # doubling, with a little jitter
        True
        """
        seconds = _retry_after(retry_after)
        if seconds is None:
            seconds = min(self.backoff * 2 ** (attempt - 1), 60.0) * (1 + random.random() / 4)
        return max(0.0, min(float(seconds), float(self.max_wait)))


def _retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds: a number, or an HTTP date (RFC 9110); None if neither.

    >>> _retry_after("30"), _retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), _retry_after("soon")
    (30.0, 0.0, None)
    """
    if not value:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Auth:
    """A credential for one network: the header it puts on each call, and how to renew it."""

    #: what the message of a 401 or 403 tells the administrator to grant or check
    needs: str = ""

    def header(self) -> dict[str, str]:
        raise NotImplementedError

    def renew(self) -> bool:
        """Get a fresh token; False when this credential cannot be renewed (a fixed token)."""
        return False


class BearerToken(Auth):
    """A token the administrator issued (Viva Engage, Slack, Mattermost): it cannot be renewed here."""

    def __init__(self, token: str, needs: str):
        self._token = token
        self.needs = needs

    def header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}


class Client:
    """Calls to one network's API (``base_url``), with the policy above.

    ``name`` is the network as messages name it ("Microsoft Graph"); ``sleep`` is for tests.
    """

    def __init__(self, base_url: str, name: str, auth: Auth | None, policy: Policy,
                 sleep: Callable[[float], None] | None = None, headers: dict | None = None):
        if not base_url:
            raise PullError(_("{name}: no address configured (see docs/configuration.md, \"Pulling from the APIs\")").format(
                name=name))
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.auth = auth
        self.policy = policy
        self.sleep = sleep or (lambda seconds: time.sleep(seconds))
        t = policy.timeout
        self.http = httpx.Client(timeout=httpx.Timeout(t, connect=min(t, 30.0)), follow_redirects=False,
                                 trust_env=True, headers={"User-Agent": "ruche-pull", **(headers or {})})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    # ----------------------------------------------------------------------------------------

    def call(self, method: str, path: str, what: str, *, params=None, data=None, json=None,
             authorised: bool = True, expect: tuple[int, ...] = (200,)) -> httpx.Response:
        """One call, tried again as the policy says; the answer (whole, read into memory).

        ``what`` names the call in messages; answers of the ``expect``-ed statuses are returned.
        Redirects are not followed (see :meth:`get_file`).
        """
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            headers = self.auth.header() if (authorised and self.auth) else {}
            try:
                response = self.http.request(method, self.url(path), params=params, data=data, json=json,
                                             headers=headers)
                response.read()
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                self._again(attempt, what, _transport(exc), None)
                continue
            status = response.status_code
            if status in expect:
                return response
            if status == 401 and authorised and self.auth and not renewed and self.auth.renew():
                renewed = True
                attempt -= 1  # a renewal is not a failed try
                continue
            if status in (401, 403):
                raise PullError(self._refused(status, what))
            if status in RETRYABLE:
                self._again(attempt, what, f"{status} {response.reason_phrase}", response.headers.get("Retry-After"))
                continue
            raise PullError(_("{name} answered {status} to {what}{detail}; nothing was published").format(
                name=self.name, status=f"{status} {response.reason_phrase}", what=what, detail=_detail(response)))

    def get_json(self, path: str, what: str, params=None) -> dict:
        response = self.call("GET", path, what, params=params)
        try:
            return response.json()
        except ValueError:
            raise PullError(_("{name} answered {what} with something that is not JSON; nothing was published").format(
                name=self.name, what=what)) from None

    def get_file(self, path: str, what: str, dest: Path, params=None) -> Path:
        """Download what ``path`` answers (following one redirect to a pre-authenticated URL,
        without credentials) into ``dest``, streamed; a download cut in the middle starts again,
        as the policy allows. Returns ``dest``."""
        attempt = redirects = 0
        renewed = False
        url, authorised = self.url(path), True
        while True:
            attempt += 1
            headers = self.auth.header() if (authorised and self.auth) else {}
            partial = dest.with_name(dest.name + ".part")
            try:
                with self.http.stream("GET", url, params=params if authorised else None, headers=headers) as response:
                    status = response.status_code
                    if status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
                        # the report's pre-authenticated address: another host, no credential sent
                        redirects += 1
                        if redirects > 5:
                            raise PullError(_("{name} redirected {what} more than 5 times; nothing was published").format(
                                name=self.name, what=what))
                        url, authorised = str(response.url.join(response.headers["Location"])), False
                        attempt -= 1
                        continue
                    if status == 200:
                        with open(partial, "wb") as out:
                            for block in response.iter_bytes(1 << 16):
                                out.write(block)
                        expected = response.headers.get("Content-Length")
                        if expected is not None and partial.stat().st_size != int(expected):
                            raise httpx.RemoteProtocolError("download cut short")
                        os.replace(partial, dest)
                        return dest
                    response.read()
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                partial.unlink(missing_ok=True)
                self._again(attempt, what, _transport(exc), None)
                # from the start: a pre-authenticated address lives a few minutes
                url, authorised = self.url(path), True
                continue
            if status == 401 and authorised and self.auth and not renewed and self.auth.renew():
                renewed, attempt = True, attempt - 1
                continue
            if status in (401, 403):
                if not authorised:
                    # the pre-authenticated address expired (it lives a few minutes): ask again
                    url, authorised = self.url(path), True
                    self._again(attempt, what, f"{status} from the download address", None)
                    continue
                raise PullError(self._refused(status, what))
            if status in RETRYABLE:
                self._again(attempt, what, f"{status} {response.reason_phrase}", response.headers.get("Retry-After"))
                continue
            raise PullError(_("{name} answered {status} to {what}{detail}; nothing was published").format(
                name=self.name, status=f"{status} {response.reason_phrase}", what=what, detail=_detail(response)))

    # ----------------------------------------------------------------------------------------

    def _again(self, attempt: int, what: str, why: str, retry_after: str | None) -> None:
        if attempt > self.policy.retries:
            raise PullError(_("{name}: {what} failed {n} times (last: {why}); nothing was published, the next pull "
                              "starts again from the same point").format(name=self.name, what=what, n=attempt, why=why))
        wait = self.policy.wait(attempt, retry_after)
        print(retrying(self.name, what, why, wait, attempt, self.policy.retries), file=sys.stderr)
        self.sleep(wait)

    def _refused(self, status: int, what: str) -> str:
        reason = _("the credential was refused (expired, revoked or wrong)") if status == 401 else _("not allowed")
        needs = getattr(self.auth, "needs", "") if self.auth else ""
        if needs:
            return _("{name} answered {status} to {what}: {reason}; {needs}").format(
                name=self.name, status=status, what=what, reason=reason, needs=_(needs))
        return _("{name} answered {status} to {what}: {reason}").format(name=self.name, status=status, what=what,
                                                                          reason=reason)


def retrying(name: str, what: str, why: str, wait: float, attempt: int, retries: int) -> str:
    """The line a pull prints before trying a call again."""
    return _("ruche pull: {name}: {what}: {why}; trying again in {seconds} s ({attempt}/{retries})").format(
        name=name, what=what, why=why, seconds=f"{wait:.1f}", attempt=attempt, retries=retries)


def _transport(exc: Exception) -> str:
    """What went wrong on the wire, without the URL httpx puts in some messages."""
    if isinstance(exc, httpx.TimeoutException):
        return _("no answer within the timeout")
    if isinstance(exc, httpx.ConnectError):
        return _("could not connect")
    return _("the connection was cut")


def _detail(response: httpx.Response) -> str:
    """The vendor's own short reason, when its answer is a JSON error (never the whole body)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message") or error.get("code")
    else:
        message = body.get("message") or error
    return f" ({str(message)[:200]})" if message else ""

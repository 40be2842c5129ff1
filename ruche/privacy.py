"""Pseudonymisation: identifiers become a keyed hash (HMAC-SHA256) at ingest.

The key never enters the store.  It comes from the ``RUCHE_KEY`` environment
variable, or from a key file (created with mode 0600 on first use).  The same
HMAC is available in Python (:meth:`Pseudonymiser.hash`) and, set-based, in
DuckDB as the temporary macro ``pseudonym(text)`` (:meth:`Pseudonymiser.install`),
so connectors hash whole columns without a Python loop.

>>> p = Pseudonymiser(b"k" * 32)
>>> p.hash("Alice@Example.com") == p.hash("alice@example.com ")
True
>>> len(p.hash("alice@example.com"))
32
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import duckdb

from ruche.errors import RucheError

KEY_BYTES = 32
DIGEST_CHARS = 32  # 128 bits of the HMAC: no collision in any realistic workforce
_BLOCK = 64
_SPACE = " \t\r\n"
_SQL_NORMALISED = "lower(trim(cast(x as varchar), ' ' || chr(9) || chr(10) || chr(13)))"


class KeyFileError(RucheError):
    """The key is missing, unreadable or malformed."""


def load_key(key_file: str | os.PathLike, env: dict | None = None, create: bool = True) -> bytes:
    """Return the pseudonymisation key: ``RUCHE_KEY`` (hex) or the key file.

    A missing key file is created (mode 0600) when ``create`` is true.
    """
    env = os.environ if env is None else env
    if env.get("RUCHE_KEY"):
        try:
            key = bytes.fromhex(env["RUCHE_KEY"].strip())
        except ValueError:
            raise KeyFileError("RUCHE_KEY must be the key in hexadecimal (64 hex digits)") from None
        if len(key) < 16:
            raise KeyFileError("RUCHE_KEY is too short: use at least 16 bytes (32 hex digits)")
        return key
    path = Path(key_file).expanduser()
    if path.exists():
        text = path.read_text(encoding="ascii").strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise KeyFileError(f"{path}: not a Ruche key (expected hexadecimal)") from None
        if len(key) < 16:
            raise KeyFileError(f"{path}: key too short")
        return key
    if not create:
        raise KeyFileError(f"no key: set RUCHE_KEY or create {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return key


def normalise(value: str) -> str:
    """Identifiers are compared trimmed and case-folded (e-mails are case-insensitive)."""
    return value.strip(_SPACE).lower()


class Pseudonymiser:
    def __init__(self, key: bytes):
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._ipad = bytes(b ^ 0x36 for b in key)
        self._opad = bytes(b ^ 0x5C for b in key)
        self._key = key

    def hash(self, value: str | None) -> str | None:
        if value is None:
            return None
        v = normalise(str(value))
        if not v:
            return None
        return hmac.new(self._key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:DIGEST_CHARS]

    def fingerprint(self) -> str:
        """A value stored in the database to recognise the key without revealing it."""
        return self.hash("ruche:key-check")

    def uid_secret(self) -> str:
        """The secret that keys event digests (:meth:`install`'s ``keyed_uid``): derived from the
        key, never stored."""
        return self.hash("ruche:event-uid")

    def keyed_uid_sql(self, digest: str) -> str:
        """SQL of ``keyed_uid`` over the SQL expression ``digest`` (an unkeyed ``md5_number``)."""
        # hex(): a 128-bit number's decimal text costs DuckDB a hundred times more
        return f"md5_number('{self.uid_secret()}:' || hex({digest}))"

    def install(self, con: duckdb.DuckDBPyConnection) -> None:
        """Define the temporary macros ``pseudonym(x)``, ``keyed_uid(u)`` and ``event_uid(x)`` on
        ``con`` (never persisted).

        ``event_uid(text)`` is the key of an event (``activities.activity_uid``): the unkeyed
        ``md5_number(text)`` passed through ``keyed_uid``, an MD5 prefixed with a secret derived
        from the key (:meth:`uid_secret`). Without the key, nobody can compute the key of an event
        from the ids its text holds (a Slack reactor, a mention's target); with the two stages, a
        store whose keys were the unkeyed digests is converted in place (``keyed_uid`` of each).
        MD5 rather than the HMAC of ``pseudonym``: an event key is computed for every event of an
        export, and a secret prefix is enough here (the digest of an unknown secret and a text of
        a fixed form cannot be computed without the secret).
        """
        con.execute(f"create or replace temp macro keyed_uid(u) as {self.keyed_uid_sql('u')}")
        con.execute("create or replace temp macro event_uid(x) as keyed_uid(md5_number(x))")
        ipad = "".join(f"\\x{b:02X}" for b in self._ipad)
        opad = "".join(f"\\x{b:02X}" for b in self._opad)
        con.execute(
            f"""
            create or replace temp macro pseudonym(x) as (
                case when nullif({_SQL_NORMALISED}, '') is null then null
                else substr(sha256('{opad}'::blob || unhex(sha256('{ipad}'::blob
                    || encode({_SQL_NORMALISED})))), 1, {DIGEST_CHARS}) end
            )
            """
        )

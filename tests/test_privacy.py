"""Pseudonymisation: the SQL macro and Python agree, and the key stays outside the store."""

from __future__ import annotations

import hashlib
import hmac
import stat

import pytest

from ruche import store
from ruche.privacy import KeyFileError, Pseudonymiser, load_key

VALUES = ["alice@example.com", " Alice@Example.COM\t", "U0BMQB6JE", "1489760410", "josé@exemple.fr", "ÆØÅ"]


def test_sql_and_python_give_the_standard_hmac():
    key = bytes(range(32))
    p = Pseudonymiser(key)
    con = store.connect(":memory:")
    p.install(con)
    got = [r[0] for r in con.execute("select pseudonym(v) from unnest(?) t(v)", [VALUES]).fetchall()]
    expected = [hmac.new(key, v.strip().lower().encode(), hashlib.sha256).hexdigest()[:32] for v in VALUES]
    assert got == expected
    assert [p.hash(v) for v in VALUES] == expected


def test_blank_identifiers_stay_null():
    p = Pseudonymiser(b"x" * 32)
    con = store.connect(":memory:")
    p.install(con)
    assert con.execute("select pseudonym(null), pseudonym(''), pseudonym('  ')").fetchall() == [(None, None, None)]
    assert p.hash("") is None


def test_a_key_file_is_created_private_and_reused(tmp_path):
    path = tmp_path / "conf" / "key"
    key = load_key(path, env={})
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path, env={}) == key


def test_the_environment_key_wins_and_is_checked(tmp_path):
    assert load_key(tmp_path / "unused", env={"RUCHE_KEY": "ab" * 32}) == bytes.fromhex("ab" * 32)
    assert not (tmp_path / "unused").exists()
    with pytest.raises(KeyFileError, match="hexadecimal"):
        load_key(tmp_path / "unused", env={"RUCHE_KEY": "not hex"})
    with pytest.raises(KeyFileError, match="too short"):
        load_key(tmp_path / "unused", env={"RUCHE_KEY": "abcd"})

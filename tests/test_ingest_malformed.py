"""A corpus of malformed inputs (tests/fixtures/malformed): each fails with a message that names
the file, the line where one applies, and what was expected; nothing is published."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingest
from ruche.cli import main
from ruche.config import Settings
from ruche.errors import RucheError

CORPUS = Path(__file__).parent / "fixtures" / "malformed"

CASES = [
    # file, source (None: recognise it), expected message (regular expression)
    ("unknown-format.csv", None, r"unknown-format.csv, line 1: not a format Ruche knows \(columns: foo,bar,baz\)"),
    ("directory-missing-column.csv", "directory",
     r"directory-missing-column.csv, line 1: missing column email \(expected an HR directory"),
    ("directory-bad-date.csv", "directory",
     r"directory-bad-date.csv, line 2: hired_on is not a date \(expected YYYY-MM-DD\) \(every row rejected"),
    ("directory-latin1.csv", "directory", r"directory-latin1.csv, line 3: not UTF-8 \(bad byte sequence\)"),
    ("directory-utf16.csv", "directory", r"directory-utf16.csv, line 1: not UTF-8"),
    ("empty.csv", "directory", r"empty.csv: empty file \(expected a CSV with a header row\)"),
    ("empty.csv", None, r"empty.csv: empty file"),
    ("directory-header-only.csv", "directory", r"directory-header-only.csv: no data rows"),
    ("m365-bad-date.csv", None,
     r"m365-bad-date.csv, line 2: Report Refresh Date is not a date \(expected YYYY-MM-DD\)"),
    ("m365-missing-column.csv", "m365-engage-activity",
     r"m365-missing-column.csv, line 1: missing columns read count, user state|m365-missing-column.csv, line 1: missing column read count"),
    ("events-bad-dates.csv", None,
     r"events-bad-dates.csv, line 2: occurred_at is not a date-time \(expected ISO 8601"),
    ("mattermost-no-version.jsonl", "mattermost",
     r"mattermost-no-version.jsonl, line 1: not a Mattermost bulk export \(expected \{\"type\":\"version\""),
    ("mattermost-no-version.jsonl", None, r"mattermost-no-version.jsonl, line 1: JSON lines, but not a Mattermost"),
    ("mattermost-broken.jsonl", "mattermost", r"mattermost-broken.jsonl, line 2: not JSON \(expected one JSON object per line"),
    ("slack-truncated.zip", "slack", r"slack-truncated.zip: not a ZIP archive or truncated"),
    ("slack-truncated.zip", None, r"slack-truncated.zip: truncated or damaged ZIP"),
    ("not-a-zip.zip", "slack", r"not-a-zip.zip: not a ZIP archive or truncated"),
    ("slack-bad-json.zip", "slack",
     r"slack-bad-json.zip/general/2024-01-01.json: not valid Slack JSON \(truncated or not an array"),
    ("slack-bad-json-inside.zip", "slack",
     r"slack-bad-json-inside.zip/general/2024-01-01.json: not valid Slack JSON \(.*expected a JSON array of objects\)"),
    ("slack-no-channels.zip", "slack", r"slack-no-channels.zip: no channels.json \(expected a Slack export"),
    ("viva-missing-sender-id.zip", "viva-engage",
     r"viva-missing-sender-id.zip/Messages.csv, line 1: missing column sender_id"),
    ("viva-missing-groups.zip", "viva-engage", r"viva-missing-groups.zip: no Groups.csv \(expected a Viva Engage"),
]


@pytest.mark.parametrize("name, source, expected", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_malformed_input_fails_clearly(tmp_path, name, source, expected):
    db = tmp_path / "s.duckdb"
    with pytest.raises(RucheError, match=expected):
        ingest.load(CORPUS / name, source=source, db=db, settings=Settings())
    assert not db.exists()  # nothing was published


def test_a_failed_load_leaves_the_previous_store(tmp_path):
    db = tmp_path / "s.duckdb"
    (tmp_path / "hr.csv").write_text("id,email,department\nE1,a@acme.com,Sales\n")
    ingest.load(tmp_path / "hr.csv", db=db, settings=Settings())
    before = db.read_bytes()
    with pytest.raises(RucheError):
        ingest.load([tmp_path / "hr.csv", CORPUS / "slack-bad-json.zip"], db=db, settings=Settings())
    assert db.read_bytes() == before


def test_the_command_line_prints_one_line_and_exits_1(tmp_path, capsys):
    code = main(["ingest", "directory", str(CORPUS / "directory-bad-date.csv"), "--db", str(tmp_path / "s.duckdb")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith("ruche ingest: error: ") and "line 2: hired_on" in err[0]


def test_the_sample_description_is_named_for_what_it_is_not_taken_for_an_export():
    manifest = Path(__file__).resolve().parents[1] / "sample_data" / "manifest.json"
    with pytest.raises(ingest.SourceNotRecognised,
                       match=r"manifest.json: the description `ruche sample` writes beside the exports it "
                             r"generates, not an export; load the others: ruche ingest DIR/directory.csv"):
        ingest.detect(manifest)


def test_ruche_sample_says_how_to_load_what_it_wrote(tmp_path, capsys):
    assert main(["sample", "--out", str(tmp_path / "out"), "--people", "200", "--months", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"  ruche ingest {tmp_path}/out/directory.csv {tmp_path}/out/*.zip {tmp_path}/out/m365-*.csv"

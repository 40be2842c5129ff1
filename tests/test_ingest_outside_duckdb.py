"""What a load holds in Python, beside DuckDB (whose memory ``memory_limit`` caps): a fixed
amount, whatever the size of the files."""

from __future__ import annotations

import tracemalloc

import pytest

from ingest.common import IngestError
from ingest.slack import _check_json_file


def test_the_check_of_a_slack_list_reads_its_first_4_kb_not_the_whole_file(tmp_path):
    users = tmp_path / "users.json"
    users.write_bytes(b"[\n" + b'{"id": "U0000001", "name": "someone"},\n' * 400_000 + b'{"id": "U1"}\n]\n')
    assert users.stat().st_size == 15_600_017
    tracemalloc.start()
    try:
        _check_json_file(users, "slack-export.zip/users.json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024


@pytest.mark.parametrize("content", [b"", b"  \n\t\n" * 2000])
def test_an_empty_or_blank_slack_list_is_refused(tmp_path, content):
    channels = tmp_path / "channels.json"
    channels.write_bytes(content)
    with pytest.raises(IngestError, match=r"^slack-export.zip/channels.json: empty file \(expected a JSON array\)$"):
        _check_json_file(channels, "slack-export.zip/channels.json")

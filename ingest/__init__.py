"""Loading what enterprise social networks hand their administrators into the canonical store.

One module per source (``directory``, ``viva_engage``, ``m365`` and the other Microsoft 365
reports ``m365_groups``, ``m365_devices``, ``m365_users``, ``slack``, ``mattermost``, ``events``); :mod:`ingest.runner` runs one load, :mod:`ingest.canonical` holds the steps every
source shares, :mod:`ingest.cli` is ``ruche ingest``.
"""

from __future__ import annotations

import os
from datetime import date

import ruche  # noqa: F401 (its allocator setting, read when polars is first loaded)
from ingest.common import InputCount, IngestError, SourceNotRecognised, Summary
from ingest.runner import SOURCES, detect

__all__ = ["load", "refresh_derived", "detect", "SOURCES", "Summary", "InputCount", "IngestError", "SourceNotRecognised"]


def load(
    path: str | os.PathLike | list[str | os.PathLike],
    source: str | None = None,
    db: str | os.PathLike | None = None,
    settings=None,
    as_of: date | None = None,
    progress: bool | None = False,
    refresh: bool = True,
) -> Summary | list[Summary]:
    """Load one export (or a list of them, in one published write) and return its summary.

    ``source`` is recognised from the content when omitted. ``db`` defaults to the ``db``
    setting. Raises :class:`IngestError` (a subclass of ``RucheError``) on bad input, leaving
    the store as it was. Once the rows are published, the derived tables (the metrics' caches)
    are refreshed in a second published write before this returns; ``refresh=False`` leaves
    that to a later :func:`refresh_derived` (the benchmark times the two apart).
    """
    from ingest.cli import load_paths
    from ingest.common import Progress

    paths = path if isinstance(path, (list, tuple)) else [path]
    summaries = load_paths(list(paths), source=source, db=db, settings=settings, as_of=as_of,
                           progress=Progress(enabled=progress), refresh=refresh)
    return summaries if isinstance(path, (list, tuple)) else summaries[0]


def refresh_derived(db: str | os.PathLike | None = None, settings=None, progress: bool | None = False) -> dict:
    """Refresh the derived tables of the store in a published write of their own (what
    :func:`load` does after publishing a load): see :func:`ingest.cli.refresh_derived`."""
    from ingest.cli import refresh_derived as refresh
    from ingest.common import Progress

    return refresh(db, settings, Progress(enabled=progress))

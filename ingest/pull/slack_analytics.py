"""Slack's member analytics (``admin.analytics.getFile``, Enterprise Grid): see :mod:`pull.slack`."""

from ingest.pull.slack import fetch_analytics as fetch

__all__ = ["fetch"]

"""The consumers (dashboard pages, the report, ``ruche metrics``) ask :mod:`metrics.figures` for a
figure and format it: none narrows a metric's rows to a group, picks the period a headline reads,
compares periods or calls a metric by name itself. Read from their source, so that such logic
cannot come back unnoticed (it did: a page filtered the rows of the chosen group, another picked
its own last complete period, a third computed a gap between two populations).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Every consumer of the figures: the pages, what they share, the report, the command line.
CONSUMERS = sorted(
    [*(ROOT / "dashboard" / "views").glob("*.py"), *(ROOT / "dashboard" / "screens").glob("*.py")]
    + [ROOT / "dashboard" / name for name in ("summary.py", "report.py", "data.py", "app.py", "filters.py")]
    + [ROOT / "metrics" / "cli.py"]
)

#: What metric logic looks like in a consumer, and what to ask the layer instead.
FORBIDDEN = {
    "rows narrowed to a group (Query.group: Figure.rows)":
        r"pl\.col\(\s*(f\.)?by\s*\)\s*==|==\s*(f\.)?group\b|pl\.col\(\s*\"(frontline|level)\"\s*\)\s*==\s*(f\.)?group",
    "a period picked (Figure.last_period, latest, reading, span)":
        r"\[\s*\"period\"\s*\]\s*\.max\(\)|pl\.col\(\s*\"period\"\s*\)\s*==|\.row\(\s*-1|participation import [^\n]*whole_periods",
    "periods told complete or partial (Figure.partial, complete)":
        r"is_in\(\s*list\(\s*(f\.)?partial|pl\.col\(\s*\"partial\"\s*\)",
    "a metric called by name (figures.figure through a Source)": r"registry\.get\(",
}

#: The dashboard's source of results reads the registry through its caches: the one consumer
#: that computes (dashboard.data.Source); it picks nothing.
ALLOWED = {("data.py", "a metric called by name (figures.figure through a Source)")}


@pytest.mark.parametrize("path", CONSUMERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_consumer_holds_metric_logic(path):
    text = path.read_text(encoding="utf-8")
    found = []
    for what, pattern in FORBIDDEN.items():
        if (path.name, what) in ALLOWED:
            continue
        for match in re.finditer(pattern, text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {what}: {text.splitlines()[line - 1].strip()}")
    assert found == []


@pytest.mark.parametrize("line, what", [
    ("frame = frame.filter(pl.col(f.by) == f.group)", "rows narrowed to a group (Query.group: Figure.rows)"),
    ("fr = fr.filter(pl.col(\"frontline\") == f.group)", "rows narrowed to a group (Query.group: Figure.rows)"),
    ("last = frame.filter(pl.col(\"period\") == frame[\"period\"].max())",
     "a period picked (Figure.last_period, latest, reading, span)"),
    ("complete = frame.filter(~pl.col(\"period\").is_in(list(partial)))",
     "periods told complete or partial (Figure.partial, complete)"),
    ("return registry.get(name)(con, params)", "a metric called by name (figures.figure through a Source)"),
])
def test_the_patterns_catch_what_the_pages_did(line, what):
    assert re.search(FORBIDDEN[what], line)

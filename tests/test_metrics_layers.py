"""The metrics package's imports point one way: definitions <- caches <- consumers.

Every ``metrics`` module's imports of other ``metrics`` modules are read from its source, those at
the top and those inside functions alike (a function-local import is a dependency all the same,
only a late one). The graph they form has no circle, and no module defining a figure imports the
layer that stores or dispatches figures.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "metrics"

#: The layer that builds stored tables (``materialise``: the bases; ``results``: the figures;
#: ``refresh``: what a load rebuilds) and answers for figures (``registry``: by name; ``figures``:
#: a figure with what it covers; ``headlines``: the overview's; ``cli``): built from the
#: definitions, read by the dashboard, the report and the command line. No definition imports it.
CACHES = {"materialise", "results", "refresh", "registry", "figures", "headlines", "cli"}

#: The modules that write stored tables: no definition imports them, whatever else changes.
BUILDERS = {"materialise", "results", "refresh"}

#: What every definition may build on: SQL loading, group attributes, populations, suppression,
#: the shape of a measure, and the base relations a measure reads (``bases.sources`` and the
#: ties of ``ties.network_query``: the stored bases when they describe the store, the same SQL on
#: the fly otherwise).
FOUNDATIONS = {"_sql", "groups", "population", "suppression", "measure", "bases", "status", "ties"}


def _module_imports(path: Path) -> set[str]:
    """The ``metrics`` modules ``path`` imports, wherever in the file the import stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:  # from . import x / from .x import y
                module = f"metrics.{module}" if module else "metrics"
            if module == "metrics":
                found.update(alias.name for alias in node.names)
            elif module.startswith("metrics."):
                found.add(module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[1] for alias in node.names if alias.name.startswith("metrics."))
    return found - {path.stem}


def _graph() -> nx.DiGraph:
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for stem in modules:
        for target in _module_imports(PACKAGE / f"{stem}.py"):
            assert target in modules, f"metrics/{stem}.py imports metrics.{target}, which does not exist"
            graph.add_edge(stem, target)
    return graph


def test_imports_are_read_wherever_they_stand(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text(
        "from metrics import a, b\nfrom metrics.c import x\nimport metrics.d\n"
        "def f():\n    from metrics import e\n    from .f import y\n    import polars\n",
        encoding="utf-8",
    )
    assert _module_imports(module) == {"a", "b", "c", "d", "e", "f"}


def test_no_circle_among_the_metrics_modules():
    circles = [sorted(c) for c in nx.strongly_connected_components(_graph()) if len(c) > 1]
    assert circles == []


def test_foundations_build_on_foundations_only():
    graph = _graph()
    leaks = {(m, t) for m in FOUNDATIONS for t in graph.successors(m) if t not in FOUNDATIONS}
    assert leaks == set()


@pytest.mark.parametrize("module", sorted({p.stem for p in PACKAGE.glob("*.py")} - CACHES - FOUNDATIONS - {"__init__"}))
def test_definitions_never_import_the_caches(module):
    assert _module_imports(PACKAGE / f"{module}.py") & CACHES == set()


@pytest.mark.parametrize("module", sorted({p.stem for p in PACKAGE.glob("*.py")} - CACHES - {"__init__"}))
def test_no_definition_depends_on_what_builds_stored_tables(module):
    """Directly or through another module: the bases and the figures are built from the
    definitions, so a definition reaching ``materialise``, ``results`` or ``refresh`` is a circle
    waiting to happen (the bases' own SQL lives in ``bases``, which ``materialise`` imports)."""
    reached = nx.descendants(_graph(), module)
    assert reached & BUILDERS == set()


def test_the_builders_build_on_the_definitions():
    graph = _graph()
    assert "bases" in nx.descendants(graph, "materialise")
    assert {"materialise", "results"} <= nx.descendants(graph, "refresh")

"""Loading the SQL files that live beside the metric modules."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def sql(name: str) -> str:
    """The text of ``metrics/<name>.sql``."""
    return resources.files("metrics").joinpath(f"{name}.sql").read_text(encoding="utf-8")

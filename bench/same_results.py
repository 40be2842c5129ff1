"""Whether two stores hold the same stored results, frame for frame: the check behind every
speed change of the refresh (docs/store.md, "A day costs a day").

    python bench/same_results.py REFERENCE.duckdb OTHER.duckdb

Every key of ``m_results`` must be in both; each stored frame is decoded
(:func:`metrics.results.frame_of`, which reads every format ever stored) and compared exactly
(values, types, order), and so are the groups left out and the frames and figures of ``extra``.
The bytes may differ (a frame written from its stored batches is chunked otherwise): the count
of such frames is printed. Exit status 1, with the first difference, when anything differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402
import polars as pl  # noqa: E402
from polars.testing import assert_frame_equal  # noqa: E402

from metrics.results import _decode, frame_of  # noqa: E402


def stored(path: str) -> dict[str, tuple[bytes, int, str]]:
    con = duckdb.connect(path, read_only=True)
    try:
        return {key: (frame, suppressed, extra) for key, frame, suppressed, extra
                in con.execute("select key, rows, suppressed, extra from m_results").fetchall()}
    finally:
        con.close()


def _unequal(x, y) -> str | None:
    """Why two decoded values differ (frames compared exactly, lists and dicts item by item), or None."""
    if isinstance(x, pl.DataFrame) or isinstance(y, pl.DataFrame):
        if not (isinstance(x, pl.DataFrame) and isinstance(y, pl.DataFrame)):
            return f"{type(x).__name__} against {type(y).__name__}"
        try:
            assert_frame_equal(x, y, check_exact=True)
        except AssertionError as exc:
            return str(exc).splitlines()[0]
        return None
    if isinstance(x, dict) and isinstance(y, dict):
        for name in set(x) | set(y):
            why = _unequal(x.get(name), y.get(name))
            if why:
                return f"{name}: {why}"
        return None
    if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        for i, (u, v) in enumerate(zip(x, y)):
            why = _unequal(u, v)
            if why:
                return f"[{i}]: {why}"
        return None
    return None if x == y else f"{str(x)[:80]} against {str(y)[:80]}"


def differences(reference: str, other: str) -> tuple[list[str], int]:
    """What differs between the stored results of the two stores, and how many frames are equal
    but stored in other bytes."""
    a, b = stored(reference), stored(other)
    found = [f"only in {reference}: {key}" for key in sorted(a.keys() - b.keys())]
    found += [f"only in {other}: {key}" for key in sorted(b.keys() - a.keys())]
    rewritten = 0
    for key in sorted(a.keys() & b.keys()):
        (frame_a, hidden_a, extra_a), (frame_b, hidden_b, extra_b) = a[key], b[key]
        try:
            assert_frame_equal(frame_of(frame_a), frame_of(frame_b), check_exact=True)
        except AssertionError as exc:
            found.append(f"{key}: the frame differs: {str(exc).splitlines()[0]}")
            continue
        if hidden_a != hidden_b:
            found.append(f"{key}: groups left out {hidden_a} against {hidden_b}")
        if extra_a != extra_b:
            ea, eb = _decode(json.loads(extra_a)), _decode(json.loads(extra_b))
            for name in sorted(set(ea) | set(eb)):
                why = _unequal(ea.get(name), eb.get(name))
                if why:
                    found.append(f"{key}: {name} differs: {why}")
        rewritten += frame_a != frame_b
    return found, rewritten


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference")
    parser.add_argument("other")
    args = parser.parse_args()
    found, rewritten = differences(args.reference, args.other)
    for line in found[:20]:
        print(line)
    if found:
        print(f"{len(found)} difference{'' if len(found) == 1 else 's'}")
        return 1
    print(f"the same stored results ({rewritten} frames stored in other bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

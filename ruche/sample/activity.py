"""Drawing events in bulk: how many each person makes, when, and which thread a reply answers.

Times are integer seconds from midnight UTC of day 0.  Nothing here loops over events: a year
of a 100,000-person company is a few million draws.
"""

from __future__ import annotations

import numpy as np

from ruche.sample.company import Period

DAY = 86_400
# Local hour of day at which people write: office hours, a dip at lunch.
_HOURS = np.zeros(24)
_HOURS[7:21] = (2, 6, 10, 11, 10, 5, 6, 9, 9, 8, 6, 3, 2, 1)
_HOUR_CDF = np.cumsum(_HOURS) / _HOURS.sum()
_SPAN = np.int64(1) << 32  # larger than any time in seconds: keys are block * _SPAN + time


class Clock:
    """Turns rates (events per 30 days) and availability windows into counts and timestamps."""

    def __init__(self, period: Period):
        self.period = period
        weights = period.day_weights()
        self.cum = np.concatenate([[0.0], np.cumsum(weights)])
        self.norm = period.days / self.cum[-1]  # so that a rate is a rate per 30 average days

    def _window(self, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = self.period.days
        s = np.clip(start, 0, d)
        e = np.clip(end, 0, d)
        return s, np.maximum(e, s)

    def counts(self, rng: np.random.Generator, rate30: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Poisson number of events of each person over their window [start, end) (days)."""
        s, e = self._window(start, end)
        busy = self.cum[e] - self.cum[s]
        return rng.poisson(np.maximum(rate30, 0) * busy * self.norm / 30.0)

    def busy_days(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        s, e = self._window(start, end)
        return (self.cum[e] - self.cum[s]) * self.norm

    def times(self, rng: np.random.Generator, start: np.ndarray, end: np.ndarray,
              tz_offset: np.ndarray) -> np.ndarray:
        """One timestamp per event in its window [start, end) (days), busy days and office hours likelier."""
        s, e = self._window(start, end)
        lo, hi = self.cum[s], self.cum[e]
        u = lo + rng.random(len(s)) * (hi - lo)
        day = np.clip(np.searchsorted(self.cum, u, side="right") - 1, s, np.maximum(e - 1, s))
        hour = np.searchsorted(_HOUR_CDF, rng.random(len(s)), side="right")
        seconds = day * DAY + hour * 3600 + rng.integers(0, 3600, len(s)) - tz_offset
        return np.clip(seconds, s * DAY, np.maximum(e * DAY - 1, s * DAY)).astype(np.int64)


def expand(counts: np.ndarray) -> np.ndarray:
    """The owner of each event: person i repeated counts[i] times."""
    return np.repeat(np.arange(len(counts)), counts)


def attach_replies(rng: np.random.Generator, reply_block: np.ndarray, reply_time: np.ndarray,
                   thread_block: np.ndarray, thread_time: np.ndarray, appeal: np.ndarray,
                   mean_lag: float) -> np.ndarray:
    """For each reply, a thread of its block started strictly before it (index into the threads), or -1.

    Replies go to recent threads (a lag drawn with the given mean, in seconds); of two
    candidates the more appealing wins, which gives the long tail of reply counts real threads
    have.
    """
    n = len(reply_block)
    if n == 0 or len(thread_block) == 0:
        return np.full(n, -1, dtype=np.int64)
    order = np.lexsort((thread_time, thread_block))
    keys = thread_block[order].astype(np.int64) * _SPAN + thread_time[order]
    base = reply_block.astype(np.int64) * _SPAN
    lo = np.searchsorted(keys, base, side="left")
    hi = np.searchsorted(keys, base + reply_time, side="left")  # threads strictly earlier
    found = hi > lo
    best = np.full(n, -1, dtype=np.int64)
    best_appeal = np.full(n, -np.inf)
    for _ in range(2):
        target = base + np.maximum(reply_time - rng.exponential(mean_lag, n).astype(np.int64), 0)
        cand = np.searchsorted(keys, target, side="left") - 1 - (rng.geometric(0.5, n) - 1)
        cand = np.clip(cand, lo, np.maximum(hi - 1, lo))
        cand_appeal = appeal[order[np.minimum(cand, len(order) - 1)]]
        better = cand_appeal > best_appeal
        best = np.where(better, cand, best)
        best_appeal = np.where(better, cand_appeal, best_appeal)
    return np.where(found, order[np.minimum(best, len(order) - 1)], -1)


def nest_replies(rng: np.random.Generator, thread: np.ndarray, order_key: np.ndarray, share: float) -> np.ndarray:
    """For replies (thread index, global order key), the earlier reply of the same thread each one
    answers (index into the replies), or -1 when it answers the thread starter itself."""
    n = len(thread)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return out
    order = np.lexsort((order_key, thread))
    th = thread[order]
    first = np.r_[True, th[1:] != th[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    rank = np.arange(n) - group_start
    nested = (rank > 0) & (rng.random(n) < share)
    pick = group_start + np.floor(rng.random(n) * rank).astype(np.int64)
    out[order[nested]] = order[pick[nested]]
    return out


def pick_in_groups(rng: np.random.Generator, group_of_members: np.ndarray, members: np.ndarray,
                   wanted_group: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """For each wanted group, a random member of it (members grouped by group_of_members), or -1
    when the group has no member.  With weights, members are drawn in proportion to them."""
    order = np.lexsort((members, group_of_members))
    g = group_of_members[order]
    m = members[order]
    n_groups = int(max(g.max(initial=-1), wanted_group.max(initial=-1))) + 1
    starts = np.searchsorted(g, np.arange(n_groups + 1), side="left")
    lo = starts[np.clip(wanted_group, 0, n_groups - 1)]
    hi = starts[np.clip(wanted_group, 0, n_groups - 1) + 1]
    ok = (wanted_group >= 0) & (hi > lo)
    if weights is None:
        idx = lo + np.floor(rng.random(len(wanted_group)) * (hi - lo)).astype(np.int64)
    else:
        w = np.asarray(weights, dtype=float)[order]
        cum = np.concatenate([[0.0], np.cumsum(w)])
        u = cum[lo] + rng.random(len(wanted_group)) * (cum[hi] - cum[lo])
        idx = np.clip(np.searchsorted(cum, u, side="right") - 1, lo, np.maximum(hi - 1, lo))
    return np.where(ok, m[np.minimum(idx, len(m) - 1)] if len(m) else -1, -1)


def unique_ids(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct random integers in [low, high), in random order."""
    out = np.unique(rng.integers(low, high, int(n * 1.2) + 16))
    while len(out) < n:
        out = np.unique(np.concatenate([out, rng.integers(low, high, n)]))
    return rng.permutation(out)[:n]


def base36_ids(rng: np.random.Generator, n: int, prefix: str, width: int = 8) -> np.ndarray:
    """Slack-like identifiers: a prefix letter then ``width`` characters of [0-9A-Z], distinct."""
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    numbers = unique_ids(rng, n, 36 ** (width - 1), 36 ** width)
    digits = np.empty((n, width), dtype="<U1")
    x = numbers.copy()
    for k in range(width - 1, -1, -1):
        digits[:, k] = alphabet[x % 36]
        x //= 36
    return np.char.add(prefix, np.ascontiguousarray(digits).view(f"<U{width}")[:, 0])


#: Rows of messages written as one part (a frame of their text): parts of whole months, as many
#: months as make this many rows, so that a small sample is written in few parts and a big one
#: in parts of a bounded size, whatever its number of months.
PART_ROWS = 20_000


def parts(bounds: list[int], size: int | None = None) -> list[tuple[int, int]]:
    """Consecutive ranges ``(lo, hi)`` of rows cut at some of ``bounds`` (ascending, the first
    row then each month's first then the end): each as few months as hold ``size`` rows
    (:data:`PART_ROWS`), the last what is left; empty ranges left out.

    >>> parts([0, 40, 90, 90, 150, 200], size=50)
    [(0, 90), (90, 150), (150, 200)]
    >>> parts([0, 0, 0], size=50)
    []
    """
    size = PART_ROWS if size is None else size
    out = []
    start = bounds[0]
    for cut in bounds[1:-1]:
        if cut - start >= size:
            out.append((start, cut))
            start = cut
    if bounds[-1] > start:
        out.append((start, bounds[-1]))
    return out

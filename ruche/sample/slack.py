"""Slack: the workspace of Engineering, IT and Product, and its export.

The workspace is older than the period: people employed at its start joined their channels
before it, so the export (restricted to the period, as Slack lets an owner choose) shows
``channel_join`` messages only for people who arrive later and for the channel opened during
the period.  Messages carry what real exports carry: threads (``thread_ts``, ``parent_user_id``,
``reply_count``, ``replies`` on the root), reactions, ``<@U…>`` mentions, file shares and
comments, bot and integration messages.  Day files hold one JSON object per line inside the
array; day boundaries are in UTC.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from ruche.sample import text
from ruche.sample.activity import DAY, Clock, attach_replies, base36_ids, expand, parts, pick_in_groups
from ruche.sample.company import (
    CONTRIBUTOR, DEPARTMENT_NAMES, DEPARTMENTS, EXECUTIVE, INACTIVE, NEVER, PARTNERS, READER, SITES, SUPERUSER,
    Company,
)

HUMAN, FILE_SHARE, FILE_COMMENT, JOIN, BOT_ADD, BOT = range(6)
WORKSPACE = "example-corp"
_US = 1_000_000
_KEY = np.int64(1) << 48


@dataclass
class Channel:
    name: str
    purpose: str
    created: int  # seconds from day 0
    weight: float  # how much members write there
    archived: bool = False
    general: bool = False


@dataclass
class Bot:
    name: str
    service: str
    has_user: bool
    channels: tuple[str, ...]
    share: float  # of the bot messages
    added: int  # day it was added (negative: before the period)


BOTS = (
    Bot("github", "GitHub", True, ("deployments",), 0.35, -300),
    Bot("jenkins", "Jenkins CI", False, ("deployments",), 0.35, -500),
    Bot("pagerduty", "PagerDuty", True, ("alerts", "incidents"), 0.30, 20),
)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _cat(*parts) -> pl.Expr:
    """Concatenate literal strings and expressions (pl.format cannot hold JSON braces)."""
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p.cast(pl.String) for p in parts])


def _esc(s: str) -> str:
    """The inside of a JSON string."""
    return json.dumps(s, ensure_ascii=False)[1:-1]


@dataclass
class Slack:
    people: np.ndarray  # person indices with an account
    user_id: np.ndarray  # per person ("" without an account)
    handle: np.ndarray
    channels: list[Channel]
    channel_id: np.ndarray
    member: np.ndarray  # (people in the workspace, channels) bool
    bot_id: np.ndarray
    bot_user_id: np.ndarray
    team_id: str
    lines: "Lines"  # the messages, written by :func:`day_files`
    stats: dict


def build_slack(rng: np.random.Generator, c: Company, clock: Clock) -> Slack:
    days = c.period.days
    people = np.flatnonzero(c.in_slack)
    guest = c.is_guest
    dept = c.department
    tz = np.array([s.tz_offset for s in SITES] + [0])[c.site]
    slack_depts = [d for d, dep in enumerate(DEPARTMENTS) if dep.slack]

    # --- channels and who is in them --------------------------------------------------------
    project_day = c.period.month_starts[c.period.months // 2] + 3
    channels: list[Channel] = [
        Channel("general", "Company-wide announcements and work-based matters", -700 * DAY, 0.3, general=True),
        Channel("random", "Non-work banter and water cooler conversation", -700 * DAY, 1.0),
    ]
    dept_channel, function_channel = {}, {}
    for d in slack_depts:
        dep = DEPARTMENTS[d]
        dept_channel[d] = len(channels)
        channels.append(Channel(_slug(dep.name), f"Everything {dep.name}", -650 * DAY + d * 3600, 2.0))
        for f, fn in enumerate(dep.functions):
            function_channel[(d, f)] = len(channels)
            prefix = {"Engineering": "eng", "IT": "it", "Product": "prod"}[dep.name]
            channels.append(Channel(f"{prefix}-{_slug(fn.name)}", f"The {fn.name} team", -600 * DAY + f * 7200, 4.0))
    topical = {
        "incidents": ("Ongoing incidents, one thread each", 1.0),
        "deployments": ("What went to production", 0.4),
        "alerts": ("Monitoring alerts", 0.2),
        "help-it": ("Ask IT for help", 1.0),
        "til": ("Today I learned", 0.5),
        "coffee": ("Coffee breaks and lunch plans", 0.5),
    }
    topic_index = {}
    for name, (purpose, w) in topical.items():
        topic_index[name] = len(channels)
        channels.append(Channel(name, purpose, -550 * DAY + len(channels) * 3600, w))
    slack_partner = [p for p in PARTNERS if p.in_slack][0]
    ext = len(channels)
    channels.append(Channel(f"ext-{_slug(slack_partner.name.split()[0])}", f"Shared with {slack_partner.name}",
                            -150 * DAY, 3.0))
    project = len(channels)
    channels.append(Channel("proj-mobile-relaunch", "Relaunch of the mobile app", project_day * DAY + 9 * 3600, 3.0))
    archived = len(channels)
    channels.append(Channel("old-intranet-migration", "Done, archived", -800 * DAY, 0.0, archived=True))

    n_ch = len(channels)
    np_ = len(people)
    pos = np.full(c.size, -1, dtype=np.int64)
    pos[people] = np.arange(np_)
    member = np.zeros((np_, n_ch), dtype=bool)
    emp = ~guest[people]
    pd = dept[people]
    member[emp, 0] = member[emp, 1] = True
    r = rng.random((np_, 8))
    for d in slack_depts:
        member[emp & (pd == d), dept_channel[d]] = True
    team_function = _team_functions(c)
    pf = team_function[np.maximum(c.team[people], 0)]
    for (d, f), ch in function_channel.items():
        member[emp & (pd == d) & (pf == f), ch] = True
    eng, it_, prod = (DEPARTMENT_NAMES.index(x) for x in ("Engineering", "IT", "Product"))
    member[emp & np.isin(pd, [eng, it_]) & (r[:, 0] < 0.5), topic_index["incidents"]] = True
    member[emp & (pd == eng) & (r[:, 1] < 0.6), topic_index["deployments"]] = True
    member[emp & np.isin(pd, [eng, it_]) & (r[:, 2] < 0.3), topic_index["alerts"]] = True
    member[emp & ((r[:, 3] < 0.7) | (pd == it_)), topic_index["help-it"]] = True
    member[emp & (r[:, 4] < 0.3), topic_index["til"]] = True
    member[emp & (r[:, 5] < 0.4), topic_index["coffee"]] = True
    member[emp & (pd == eng) & (r[:, 6] < 0.3), ext] = True
    member[guest[people], ext] = True
    restricted = guest[people] & (r[:, 7] < 0.5)  # multi-channel guests also follow deployments
    member[restricted, topic_index["deployments"]] = True
    mobile = [function_channel[(eng, f)] for f, fn in enumerate(DEPARTMENTS[eng].functions) if fn.name == "Mobile"]
    design = [function_channel[(prod, f)] for f, fn in enumerate(DEPARTMENTS[prod].functions) if fn.name == "Design"]
    in_project = emp & ((pd == prod) & (r[:, 0] > 0.6) | member[:, mobile].any(axis=1) | member[:, design].any(axis=1))
    in_project &= (c.slack_start[people] <= project_day + 30) & (c.slack_end[people] > project_day)
    in_project &= c.klass[people] > INACTIVE  # people who never connect do not join new channels
    member[in_project, project] = True
    member[emp & (c.level[people] == EXECUTIVE) & (pd == eng), archived] = True

    # --- who writes how much, where ---------------------------------------------------------------
    k = c.klass
    rate = np.zeros(c.size)
    rate = np.where(k == SUPERUSER, rng.lognormal(np.log(110), 0.5, c.size), rate)
    rate = np.where(k == CONTRIBUTOR, rng.lognormal(np.log(16), 0.7, c.size), rate)
    rate = np.where(c.exemplary, 5.0, rate)
    rate = np.where(guest & (k == CONTRIBUTOR), 5.0, rate)
    rate = np.where(c.in_slack, rate, 0.0)
    counts = clock.counts(rng, rate, c.slack_start, c.slack_end)
    writers = (k >= CONTRIBUTOR) & c.in_slack & (clock.busy_days(c.slack_start, c.slack_end) >= 1)
    counts = np.where(writers, np.maximum(counts, 1), 0)
    sender = expand(counts)
    t_sec = clock.times(rng, c.slack_start[sender], c.slack_end[sender], tz[sender])
    weights = member * np.array([ch.weight for ch in channels])[None, :]
    channel = _choose_channels(rng, weights, pos[sender])
    early = (channel == project) & (t_sec < channels[project].created + 60)
    dept_channel_of = np.full(len(DEPARTMENTS), ext, dtype=np.int64)
    for d, x in dept_channel.items():
        dept_channel_of[d] = x
    fallback = np.where(dept[sender] >= 0, dept_channel_of[np.maximum(dept[sender], 0)], ext)
    channel = np.where(early, fallback, channel)
    m_h = len(sender)
    human_kind = np.where(rng.random(m_h) < 0.04, FILE_SHARE, HUMAN)
    human_kind = np.where((human_kind == HUMAN) & (rng.random(m_h) < 0.003), FILE_COMMENT, human_kind)
    wants_reply = (human_kind == HUMAN) & (rng.random(m_h) < 0.35)

    # --- joins: arrivals during the period, and the project channel's opening ------------------------
    arrive = np.flatnonzero(c.slack_start[people] > 0)
    jp, jc = np.nonzero(member[arrive][:, :archived])
    keep = (jc != project) | (c.slack_start[people[arrive[jp]]] > project_day)
    jp, jc = jp[keep], jc[keep]
    join_person = people[arrive[jp]]
    join_channel = jc
    join_time = c.slack_start[join_person] * DAY + 9 * 3600 - tz[join_person] + jc * 7
    opening = np.flatnonzero(member[:, project] & (c.slack_start[people] <= project_day))
    join_person = np.concatenate([join_person, people[opening]])
    join_channel = np.concatenate([join_channel, np.full(len(opening), project)])
    join_time = np.concatenate([join_time, channels[project].created + 1 + np.arange(len(opening))])
    inviter = np.full(len(join_person), -1)
    if len(opening):
        inviter[len(join_person) - len(opening):] = people[opening[0]]
    ok = (join_time >= 0) & (join_time < days * DAY)
    join_person, join_channel, join_time, inviter = join_person[ok], join_channel[ok], join_time[ok], inviter[ok]
    inviter = np.where(inviter == join_person, -1, inviter)

    # --- bots ---------------------------------------------------------------------------------------
    n_bot_msgs = int(days * max(5.0, np_ / 60.0))
    bot_of = rng.choice(len(BOTS), n_bot_msgs, p=np.array([b.share for b in BOTS]) / sum(b.share for b in BOTS))
    bot_channel = np.empty(n_bot_msgs, dtype=np.int64)
    bot_start = np.empty(n_bot_msgs, dtype=np.int64)
    names = [ch.name for ch in channels]
    for b, bot in enumerate(BOTS):
        sel = bot_of == b
        chs = np.array([names.index(x) for x in bot.channels])
        bot_channel[sel] = chs[rng.integers(0, len(chs), int(sel.sum()))]
        bot_start[sel] = max(bot.added, 0) * DAY + 3600
    bot_time = bot_start + np.floor(rng.random(n_bot_msgs) * (days * DAY - 1 - bot_start)).astype(np.int64)
    adds = [(b, names.index(ch)) for b, bot in enumerate(BOTS) if bot.added >= 0 for ch in bot.channels]
    it_admins = people[(pd == it_) & (c.klass[people] >= CONTRIBUTOR) & (c.slack_start[people] == 0)
                       & (c.left[people] == NEVER)]
    add_user = it_admins[0] if len(it_admins) else people[0]

    # --- all messages, unique ts within each channel ----------------------------------------------------
    kind = np.concatenate([human_kind, np.full(len(join_person), JOIN), np.full(len(adds), BOT_ADD),
                           np.full(n_bot_msgs, BOT)])
    who = np.concatenate([sender, join_person, np.full(len(adds), add_user), np.full(n_bot_msgs, -1)])
    bot = np.concatenate([np.full(m_h + len(join_person), -1), np.array([a[0] for a in adds], dtype=np.int64), bot_of])
    ch = np.concatenate([channel, join_channel, np.array([a[1] for a in adds], dtype=np.int64), bot_channel])
    sec = np.concatenate([t_sec, join_time, np.array([BOTS[a[0]].added * DAY + 3000 for a in adds], dtype=np.int64),
                          bot_time])
    extra = np.concatenate([np.where(wants_reply, 1, 0), np.zeros(len(join_person) + len(adds) + n_bot_msgs, dtype=np.int64)])
    inv = np.concatenate([np.full(m_h, -1), inviter, np.full(len(adds) + n_bot_msgs, -1)])
    # what the messages were drawn from: let go once gathered
    del sender, t_sec, channel, early, fallback, human_kind, wants_reply, join_person, join_channel, join_time
    del bot_of, bot_channel, bot_start, bot_time
    us = sec * _US + rng.integers(0, _US, len(sec))
    us = np.where(kind == JOIN, sec * _US + 2, us)
    order = np.lexsort((us, ch))
    kind, who, bot, ch, us, extra, inv = (a[order] for a in (kind, who, bot, ch, us, extra, inv))
    key = ch * _KEY + us
    i = np.arange(len(key))
    key = np.maximum.accumulate(key - i) + i  # strictly increasing: ts unique within a channel
    us = key - ch * _KEY
    total = len(key)

    # --- threads ---------------------------------------------------------------------------------------
    is_reply = extra == 1
    roots = np.flatnonzero((kind == HUMAN) & ~is_reply)
    reply_rows = np.flatnonzero(is_reply)
    appeal = rng.lognormal(0, 0.7, len(roots))
    target = attach_replies(rng, ch[reply_rows], us[reply_rows] // _US, ch[roots], us[roots] // _US, appeal, 3 * 3600)
    parent = np.full(total, -1, dtype=np.int64)
    has = target >= 0
    parent[reply_rows[has]] = roots[target[has]]

    # --- mentions, reactions ------------------------------------------------------------------------------
    slack_emp = people[emp]
    writes = (kind == HUMAN) | (kind == FILE_SHARE)
    home = np.where(who >= 0, dept[np.maximum(who, 0)], eng)
    home = np.where(home < 0, eng, home)
    mentioned = pick_in_groups(rng, dept[slack_emp], slack_emp, home)
    day = us // (_US * DAY)
    mention_ok = writes & (rng.random(total) < 0.12) & (mentioned >= 0) & (mentioned != who)
    mention_ok &= (c.slack_start[np.maximum(mentioned, 0)] <= day) & (c.slack_end[np.maximum(mentioned, 0)] > day)
    mentioned = np.where(mention_ok, mentioned, -1)
    reacts = pick_reactions(rng, c, kind, who, us, home, slack_emp)

    user_id = np.full(c.size + 1, "", dtype=object)  # the extra last one: "nobody"
    user_id[people] = base36_ids(rng, np_, "U")
    bot_id = base36_ids(rng, len(BOTS), "B")
    lines = _message_lines(rng, c, kind, who, bot, ch, us, parent, inv, mentioned, reacts, user_id, bot_id, names)
    stats = {"messages": int(total), "human": int(np.count_nonzero(writes | (kind == FILE_COMMENT))),
             "bot": int(np.count_nonzero(kind == BOT)), "joins": int(np.count_nonzero(kind == JOIN)),
             "reactions": int(len(reacts[0])), "mentions": int(np.count_nonzero(mentioned >= 0))}
    return Slack(people=people, user_id=user_id[:-1], handle=_handles(c), channels=channels,
                 channel_id=base36_ids(rng, n_ch, "C"), member=member, bot_id=bot_id,
                 bot_user_id=base36_ids(rng, len(BOTS), "U"), team_id=str(base36_ids(rng, 1, "T")[0]),
                 lines=lines, stats=stats)


def _team_functions(c: Company) -> np.ndarray:
    """The function index of each team within its department (-1 for leadership teams)."""
    out = np.full(len(c.team_names), -1, dtype=np.int64)
    for t, name in enumerate(c.team_names):
        dep = DEPARTMENTS[c.team_department[t]]
        for f, fn in enumerate(dep.functions):
            if name.startswith(fn.name + " "):
                out[t] = f
    return out


def _choose_channels(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    cum = np.cumsum(weights, axis=1)
    out = np.empty(len(rows), dtype=np.int64)
    chunk = 200_000
    for lo in range(0, len(rows), chunk):
        r = rows[lo:lo + chunk]
        c = cum[r]
        u = rng.random(len(r)) * c[:, -1]
        out[lo:lo + chunk] = (c <= u[:, None]).sum(axis=1)
    return np.minimum(out, weights.shape[1] - 1)


def pick_reactions(rng: np.random.Generator, c: Company, kind: np.ndarray, who: np.ndarray, us: np.ndarray,
                   home: np.ndarray, slack_emp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(message row, reactor, emoji index) of every reaction, each reactor once per message and emoji."""
    can = (kind == HUMAN) | (kind == FILE_SHARE) | (kind == BOT)
    n_r = np.where(can & (rng.random(len(kind)) < 0.5), rng.geometric(0.35, len(kind)), 0)
    rows = expand(n_r)
    weight = np.select([c.klass == READER, c.klass == CONTRIBUTOR, c.klass == SUPERUSER], [1.0, 2.0, 4.0], 0.0)
    reactor = pick_in_groups(rng, c.department[slack_emp], slack_emp, home[rows], weights=weight[slack_emp])
    anyone = slack_emp[np.searchsorted(np.cumsum(weight[slack_emp]), rng.random(len(rows)) * weight[slack_emp].sum(),
                                       side="right").clip(0, len(slack_emp) - 1)]
    reactor = np.where(rng.random(len(rows)) < 0.8, reactor, anyone)
    day = us[rows] // (_US * DAY)
    ok = (reactor >= 0) & (reactor != who[rows]) & (c.klass[np.maximum(reactor, 0)] > INACTIVE)
    ok &= (c.slack_start[np.maximum(reactor, 0)] <= day) & (c.slack_end[np.maximum(reactor, 0)] > day)
    popular = np.array([30, 15, 10, 10, 8, 8, 6, 6, 4, 3], dtype=float)
    emoji = np.searchsorted(np.cumsum(popular) / popular.sum(), rng.random(len(rows)), side="right")
    # the same person often adds the same emoji as the first reactor
    first = np.r_[True, rows[1:] != rows[:-1]]
    first_emoji = emoji[np.maximum.accumulate(np.where(first, np.arange(len(rows)), 0))]
    emoji = np.where(rng.random(len(rows)) < 0.6, first_emoji, emoji)
    rows, reactor, emoji = rows[ok], reactor[ok], emoji[ok]
    # the first of each (message, reactor): one integer per pair, as np.unique of the pairs found it
    key = np.unique(rows.astype(np.int64) * (int(reactor.max(initial=0)) + 1) + reactor, return_index=True)[1]
    key = np.sort(key)
    return rows[key], reactor[key], emoji[key]


def _handles(c: Company) -> np.ndarray:
    local = np.array([e.split("@")[0] for e in c.email], dtype=object)
    partner = np.array([_slug(p.name.split()[0]) for p in PARTNERS] + [""], dtype=object)
    return np.where(c.is_guest, local + "_" + partner[c.partner], local)


@dataclass
class Lines:
    """What the day files are written from, a row per message in (channel, time) order: compact
    arrays, the text of each message made only when its channel and month are written."""

    kind: np.ndarray
    ch: np.ndarray
    us: np.ndarray
    who: np.ndarray  # person, or ``nobody`` (the last user id, "")
    bot: np.ndarray
    parent: np.ndarray  # row of the thread's root, -1
    inviter: np.ndarray  # -1 when none
    mention: np.ndarray  # -1 when none
    about: np.ndarray  # row of the file a share or a comment is about
    draws: dict  # the per-message draws of the texts (templates, numbers, flags), by column
    share_rows: np.ndarray  # rows of the file shares, ascending
    file_ids: np.ndarray  # the file id of each of them
    reactions: tuple  # (row, person, emoji) of every reaction, by row
    users: np.ndarray  # per person, the user id ("" for the last, nobody)
    handles: np.ndarray  # per person, the handle ("" for the last)
    bot_ids: np.ndarray
    names: list
    epoch: int
    month_starts: list  # the day each month begins, and the period's end


def _compact(a: np.ndarray) -> np.ndarray:
    """An integer array in the smallest of int8, int16, int32 and int64 that holds its values."""
    if a.dtype == bool or len(a) == 0:
        return a
    lo, hi = int(a.min()), int(a.max())
    for t in (np.int8, np.int16, np.int32):
        if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max:
            return a.astype(t)
    return a.astype(np.int64)


def _message_lines(rng, c, kind, who, bot, ch, us, parent, inviter, mentioned, reacts, uid, bot_ids, names) -> Lines:
    """The state :func:`day_files` writes the messages from, with the draws of their texts."""
    total = len(kind)
    nobody = len(uid) - 1
    # a comment is about the latest earlier file shared in the same channel, when there is one
    share_rows = np.flatnonzero(kind == FILE_SHARE)
    comment_rows = np.flatnonzero(kind == FILE_COMMENT)
    at = np.searchsorted(ch[share_rows] * _KEY + us[share_rows], ch[comment_rows] * _KEY + us[comment_rows]) - 1
    same = (at >= 0) & (ch[share_rows[np.maximum(at, 0)]] == ch[comment_rows]) if len(share_rows) else at >= len(at)
    about = np.arange(total)
    about[comment_rows[same]] = share_rows[at[same]]
    kind = np.where((kind == FILE_COMMENT) & (about == np.arange(total)), HUMAN, kind)
    file_ids = base36_ids(rng, len(share_rows), "F", 10)
    # drawn in this order, each for every message, whatever is written of it
    draws = {}
    for name, draw in (
        ("human_t", lambda: rng.integers(0, len(text.SLACK_MESSAGES), total)),
        ("reply_t", lambda: rng.integers(0, len(text.SLACK_REPLIES), total)),
        ("f", lambda: rng.integers(0, len(text.FILE_TITLES), total)),
        ("null_bot", lambda: rng.random(total) < 0.03),
        ("edited", lambda: rng.random(total) < 0.03),
        ("edit_after", lambda: 60 + rng.integers(0, 3600, total)),
        ("number", lambda: rng.integers(1000, 99999, total)),
        ("sha", lambda: rng.integers(0, 16**7, total)),
        ("author", lambda: rng.integers(0, c.n_employees, total)),
    ):
        draws[name] = _compact(draw())
    r_rows, r_who, r_emoji = reacts
    return Lines(
        kind=_compact(kind), ch=_compact(ch), us=us, who=_compact(np.where(who >= 0, who, nobody)),
        bot=_compact(bot), parent=_compact(parent), inviter=_compact(inviter), mention=_compact(mentioned),
        about=_compact(about), draws=draws, share_rows=share_rows, file_ids=file_ids,
        reactions=(_compact(r_rows), _compact(r_who), _compact(r_emoji)), users=uid, handles=np.append(_handles(c), ""),
        bot_ids=bot_ids, names=list(names), epoch=c.period.epoch, month_starts=list(c.period.month_starts),
    )


def _parts(s: "Slack"):
    """The (first, last + 1) rows of each part of each channel (whole months, as few as hold
    :data:`~ruche.sample.activity.PART_ROWS` messages), channels in the order of their day files'
    names, months in time order (rows are in (channel, time) order)."""
    lines = s.lines
    by_name = sorted(range(len(lines.names)), key=lambda i: lines.names[i] + "/")
    channel_bounds = np.searchsorted(lines.ch, np.arange(len(lines.names) + 1))
    month_us = np.asarray(lines.month_starts[1:-1], dtype=np.int64) * DAY * _US
    for i in by_name:
        lo, hi = int(channel_bounds[i]), int(channel_bounds[i + 1])
        cuts = (lo + np.searchsorted(lines.us[lo:hi], month_us)).tolist()
        yield from parts([lo, *cuts, hi])


def _chunk_lines(s: "Slack", lo: int, hi: int, users: pl.Series, handles: pl.Series, replies) -> pl.DataFrame:
    """The JSON line of each message of the rows ``lo:hi`` (one channel), with its channel and day;
    ``replies``: the rows of the replies and of their roots, by root."""
    L = s.lines
    epoch = L.epoch
    nobody = len(L.users) - 1
    rows = np.arange(lo, hi)
    parent = L.parent[lo:hi].astype(np.int64)
    is_reply = parent >= 0
    about = L.about[lo:hi].astype(np.int64)
    mention = L.mention[lo:hi].astype(np.int64)
    inviter = L.inviter[lo:hi].astype(np.int64)

    def lookup(series: pl.Series, index: str) -> pl.Expr:
        return pl.lit(series).gather(pl.col(index))

    def ts(us: pl.Expr) -> pl.Expr:
        return pl.concat_str([(us // _US + epoch).cast(pl.String), pl.lit("."), (us % _US).cast(pl.String).str.zfill(6)])

    share_at = np.searchsorted(L.share_rows, about)
    is_share = share_at < len(L.share_rows)
    is_share[is_share] = L.share_rows[share_at[is_share]] == about[is_share]
    frame = pl.DataFrame({
        "row": rows, "kind": L.kind[lo:hi].astype(np.int64), "ch": L.ch[lo:hi].astype(np.int64), "us": L.us[lo:hi],
        "who": L.who[lo:hi].astype(np.int64), "bot": np.maximum(L.bot[lo:hi].astype(np.int64), 0),
        "parent_us": L.us[np.maximum(parent, 0)], "parent_who": L.who[np.maximum(parent, 0)].astype(np.int64),
        "is_reply": is_reply,
        "inviter": np.where(inviter >= 0, inviter, nobody), "has_inviter": inviter >= 0,
        "mention": np.where(mention >= 0, mention, nobody), "has_mention": mention >= 0,
        **{name: a[lo:hi].astype(np.int64) if a.dtype != bool else a[lo:hi] for name, a in L.draws.items()},
        "fid": pl.Series(np.where(is_share, L.file_ids[np.minimum(share_at, max(len(L.file_ids) - 1, 0))]
                                  if len(L.file_ids) else "", "").tolist(), dtype=pl.String),
        "about_who": L.who[about].astype(np.int64), "about_us": L.us[about],
        "about_f": L.draws["f"][about].astype(np.int64),
    }).with_columns(
        sec=pl.col("us") // _US + epoch,  # from here on, seconds since 1970 as Slack writes them
    ).with_columns(
        ts=ts(pl.col("us")),
        user=lookup(users, "who"),
        handle=lookup(handles, "who"),
    ).with_columns(
        body=pl.when(pl.col("is_reply"))
        .then(lookup(pl.Series([_esc(t) for t in text.SLACK_REPLIES]), "reply_t"))
        .otherwise(lookup(pl.Series([_esc(t) for t in text.SLACK_MESSAGES]), "human_t")),
    ).with_columns(
        body=pl.when(pl.col("has_mention"))
        .then(_cat("<@", lookup(users, "mention"), "> ", pl.col("body")))
        .otherwise(pl.col("body")),
        parent_ts=ts(pl.col("parent_us")),
        parent_user=lookup(users, "parent_who"),
    )

    # thread roots carry their replies (in the same channel, later: in this part or after it)
    reply_rows, reply_parent = replies
    a, b = np.searchsorted(reply_parent, [lo, hi])
    picked = reply_rows[a:b].astype(np.int64)
    replies = pl.DataFrame({
        "parent": reply_parent[a:b].astype(np.int64), "who": L.who[picked].astype(np.int64), "us": L.us[picked],
    }).with_columns(user=lookup(users, "who"), ts=ts(pl.col("us"))).select("parent", "user", "ts", "us")
    roots = replies.group_by("parent", maintain_order=True).agg(
        pl.len().alias("n"),
        pl.col("user").unique(maintain_order=True).alias("users"),
        pl.col("ts").last().alias("latest"),
        _cat('{"user": "', pl.col("user"), '", "ts": "', pl.col("ts"), '"}').str.join(", ").alias("replies"),
    ).select(
        pl.col("parent").alias("row"),
        _cat(', "reply_count": ', pl.col("n"), ', "reply_users_count": ', pl.col("users").list.len(),
             ', "latest_reply": "', pl.col("latest"), '", "reply_users": [',
             pl.col("users").list.eval(pl.concat_str([pl.lit('"'), pl.element(), pl.lit('"')])).list.join(", "),
             '], "replies": [', pl.col("replies"), "]").alias("root_part"),
    )
    # reactions, grouped by message and emoji
    r_rows, r_who, r_emoji = L.reactions
    a, b = np.searchsorted(r_rows, [lo, hi])
    reactions = (
        pl.DataFrame({"row": r_rows[a:b].astype(np.int64), "emoji": r_emoji[a:b].astype(np.int64),
                      "who": r_who[a:b].astype(np.int64)})
        .with_columns(user=lookup(users, "who"), name=lookup(pl.Series(list(text.EMOJI)), "emoji"))
        .group_by(["row", "emoji"], maintain_order=True)
        .agg(pl.col("name").first(), _cat('"', pl.col("user"), '"').str.join(", ").alias("users"), pl.len().alias("n"))
        .sort(["row", "emoji"])
        .group_by("row", maintain_order=True)
        .agg(_cat('{"name": "', pl.col("name"), '", "users": [', pl.col("users"), '], "count": ', pl.col("n"), "}")
             .str.join(", ").alias("r"))
        .select("row", _cat(', "reactions": [', pl.col("r"), "]").alias("reaction_part"))
    )
    frame = (
        frame.join(roots, on="row", how="left", maintain_order="left")
        .join(reactions, on="row", how="left", maintain_order="left")
        .with_columns(
            thread=pl.when(pl.col("is_reply"))
            .then(_cat(', "thread_ts": "', pl.col("parent_ts"), '", "parent_user_id": "', pl.col("parent_user"), '"'))
            .when(pl.col("root_part").is_not_null())
            .then(_cat(', "thread_ts": "', pl.col("ts"), '"', pl.col("root_part")))
            .otherwise(pl.lit("")),
            reactions=pl.col("reaction_part").fill_null(""),
        )
    )

    def part(k: int, line: pl.Expr) -> pl.DataFrame:
        return frame.filter(pl.col("kind") == k).select("row", "ch", "us", "sec", line.alias("json"))

    parts = [part(HUMAN, _cat(
        '{"type": "message", "user": "', pl.col("user"), '"',
        pl.when(pl.col("null_bot")).then(pl.lit(', "bot_id": null')).otherwise(pl.lit("")),
        ', "text": "', pl.col("body"), '", "ts": "', pl.col("ts"), '"',
        pl.when(pl.col("edited")).then(_cat(', "edited": {"user": "', pl.col("user"), '", "ts": "',
                                            pl.col("sec") + pl.col("edit_after"), '.000000"}')).otherwise(pl.lit("")),
        pl.col("thread"), pl.col("reactions"), "}"))]

    # a share or a comment shows the file it is about: its id, owner, time and kind
    frame = frame.with_columns(
        owner=lookup(users, "about_who"),
        fsec=pl.col("about_us") // _US + epoch,
        fname=lookup(pl.Series([x[0] for x in text.FILE_TITLES]), "about_f"),
        ftitle=lookup(pl.Series([x[1] for x in text.FILE_TITLES]), "about_f"),
        fmime=lookup(pl.Series([x[2] for x in text.FILE_TITLES]), "about_f"),
        ftype=lookup(pl.Series([x[3] for x in text.FILE_TITLES]), "about_f"),
        fpretty=lookup(pl.Series([x[4] for x in text.FILE_TITLES]), "about_f"),
    ).with_columns(permalink=_cat(f"https://{WORKSPACE}.slack.com/files/", pl.col("owner"), "/", pl.col("fid"), "/",
                                  pl.col("fname")))
    frame = frame.with_columns(file_obj=_cat(
        '{"id": "', pl.col("fid"), '", "created": ', pl.col("fsec"), ', "timestamp": ', pl.col("fsec"),
        ', "name": "', pl.col("fname"), '", "title": "', pl.col("ftitle"), '", "mimetype": "', pl.col("fmime"),
        '", "filetype": "', pl.col("ftype"), '", "pretty_type": "', pl.col("fpretty"), '", "user": "', pl.col("owner"),
        '", "editable": false, "size": ', 1000 + pl.col("about_f") * 7919, ', "mode": "hosted", "is_external": false, '
        '"external_type": "", "is_public": true, "public_url_shared": false, "display_as_bot": false, '
        '"username": "", "url_private": "https://files.slack.com/files-pri/', pl.col("fid"), "/", pl.col("fname"),
        '", "permalink": "', pl.col("permalink"), '", "comments_count": ',
        pl.when(pl.col("kind") == FILE_SHARE).then(pl.lit("0")).otherwise(pl.lit("1")), "}"))
    parts.append(part(FILE_SHARE, _cat(
        '{"type": "message", "subtype": "file_share", "text": "<@', pl.col("user"), "> uploaded a file: <",
        pl.col("permalink"), "|", pl.col("ftitle"), '>", "file": ', pl.col("file_obj"), ', "user": "', pl.col("user"),
        '", "upload": true, "display_as_bot": false, "username": "', pl.col("handle"),
        '", "bot_id": null, "ts": "', pl.col("ts"), '"', pl.col("reactions"), "}")))
    parts.append(part(FILE_COMMENT, _cat(
        '{"type": "message", "subtype": "file_comment", "text": "<@', pl.col("user"), "> commented on <@",
        pl.col("owner"), ">\u2019s file <", pl.col("permalink"), "|", pl.col("ftitle"), ">: ", pl.col("body"),
        '", "file": ', pl.col("file_obj"), ', "comment": {"id": "Fc', pl.col("fid"), '", "created": ', pl.col("sec"),
        ', "timestamp": ', pl.col("sec"), ', "user": "', pl.col("user"), '", "is_intro": false, "comment": "',
        pl.col("body"), '"}, "ts": "', pl.col("ts"), '"}')))
    parts.append(part(JOIN, _cat(
        '{"user": "', pl.col("user"), '"',
        pl.when(pl.col("has_inviter")).then(_cat(', "inviter": "', lookup(users, "inviter"), '"')).otherwise(pl.lit("")),
        ', "type": "message", "subtype": "channel_join", "text": "<@', pl.col("user"),
        '> has joined the channel", "ts": "', pl.col("ts"), '"}')))
    bot_id = lookup(pl.Series(list(L.bot_ids), dtype=pl.String), "bot")
    bot_name = lookup(pl.Series([b.name for b in BOTS]), "bot")
    bot_service = lookup(pl.Series([b.service for b in BOTS]), "bot")
    parts.append(part(BOT_ADD, _cat(
        '{"text": "added an integration to this channel: <https://', WORKSPACE, '.slack.com/services/', bot_id, "|",
        bot_name, '>", "bot_id": "', bot_id, '", "type": "message", "subtype": "bot_add", "user": "', pl.col("user"),
        '", "ts": "', pl.col("ts"), '"}')))
    sha = pl.col("sha").map_batches(lambda s: pl.Series(np.char.mod("%07x", s.to_numpy())), return_dtype=pl.String)
    author = lookup(handles, "author")
    attachment = (
        pl.when(pl.col("bot") == 0).then(_cat(
            '"[app:main] 1 new commit by ', author, '", "text": "<https://github.example-corp.com/app/commit/', sha,
            "|", sha, '>: Update service configuration - ', author, '", "color": "4183C4"'))
        .when(pl.col("bot") == 1).then(_cat(
            '"Deploy #', pl.col("number"), ' of app to production: SUCCESS", "text": "Finished in 4 min", '
            '"color": "36a64f"'))
        .otherwise(_cat('"Triggered #', pl.col("number"), ': High error rate on checkout service", '
                        '"text": "Assigned to the on-call engineer", "color": "A30200"'))
    )
    parts.append(part(BOT, _cat(
        '{"text": "", "bot_id": "', bot_id, '", "username": "', bot_service, '", "attachments": [{"fallback": ',
        attachment, ', "id": 1, "mrkdwn_in": ["text", "pretext"]}], "type": "message", "subtype": "bot_message", '
        '"ts": "', pl.col("ts"), '"', pl.col("reactions"), "}")))
    lines = pl.concat(parts).sort("row")
    return lines.select(
        pl.lit(pl.Series(L.names, dtype=pl.String)).gather(pl.col("ch")).alias("channel"),
        pl.from_epoch(pl.col("sec"), time_unit="s").dt.strftime("%Y-%m-%d").alias("day"),
        pl.col("us").alias("order"),
        "json",
    )


# --- the export's JSON files -------------------------------------------------------------------------

_COLORS = ("9f69e7", "4bbe2e", "e7392d", "3c989f", "674b1b", "e96699", "5b89d5", "902d59")


def users_json(c: Company, s: Slack) -> list[dict]:
    epoch = c.period.epoch
    end = epoch + c.period.days * DAY
    names = c.display_name
    out = []
    owner = int(s.people[0])
    follows_deployments = s.member[:, [ch.name for ch in s.channels].index("deployments")]
    for row, p in enumerate(s.people.tolist()):
        guest = bool(c.is_guest[p])
        site = SITES[c.site[p]] if c.site[p] >= 0 else None
        deleted = bool(c.left[p] < NEVER)
        ultra = guest and not follows_deployments[row]  # single-channel guests see only the shared channel
        avatar = f"{abs(hash_text(c.email[p])) % 16**12:012x}"
        profile = {
            "title": c.job_title[p] if (hash_text(c.email[p]) % 10) < 7 else "",
            "phone": "", "skype": "",
            "real_name": names[p], "real_name_normalized": _normalise(names[p]),
            "display_name": s.handle[p], "display_name_normalized": s.handle[p],
            "fields": None, "status_text": "", "status_emoji": "",
            "avatar_hash": "g" + avatar[:11],
            "email": c.email[p],
            "first_name": c.first_name[p], "last_name": c.last_name[p],
            "image_72": f"https://secure.gravatar.com/avatar/{avatar}.jpg?s=72",
            "team": s.team_id,
        }
        updated = min(end, epoch + int(max(c.hired[p], 0)) * DAY + 36_000)
        if deleted:
            updated = epoch + int(c.left[p]) * DAY + 7_200
        out.append({
            "id": s.user_id[p], "team_id": s.team_id, "name": s.handle[p], "deleted": deleted,
            "color": _COLORS[p % len(_COLORS)], "real_name": names[p],
            "tz": site.tz if site else "Europe/London", "tz_label": site.tz_label if site else "Greenwich Mean Time",
            "tz_offset": site.tz_offset if site else 0,
            "profile": profile,
            "is_admin": p == owner, "is_owner": p == owner, "is_primary_owner": p == owner,
            "is_restricted": guest, "is_ultra_restricted": bool(ultra),
            "is_bot": False, "updated": updated, "is_app_user": False,
        })
    for b, bot in enumerate(BOTS):
        if not bot.has_user:
            continue
        out.append({
            "id": s.bot_user_id[b], "team_id": s.team_id, "name": bot.name, "deleted": False, "color": "757575",
            "real_name": bot.service, "tz": "America/Los_Angeles", "tz_label": "Pacific Standard Time",
            "tz_offset": -28800,
            "profile": {"title": "", "phone": "", "skype": "", "real_name": bot.service,
                        "real_name_normalized": bot.service, "display_name": "", "display_name_normalized": "",
                        "fields": None, "status_text": "", "status_emoji": "", "avatar_hash": "b" + s.bot_id[b][1:],
                        "bot_id": s.bot_id[b], "api_app_id": "A" + s.bot_id[b][1:], "always_active": True,
                        "first_name": bot.service, "last_name": "", "team": s.team_id},
            "is_admin": False, "is_owner": False, "is_primary_owner": False, "is_restricted": False,
            "is_ultra_restricted": False, "is_bot": True, "updated": epoch + max(bot.added, 0) * DAY + 3000,
            "is_app_user": False,
        })
    out.sort(key=lambda u: u["id"])
    return out


def hash_text(value: str) -> int:
    """A stable small hash (Python's own hash() changes between runs)."""
    h = 2166136261
    for ch in value.encode():
        h = ((h ^ ch) * 16777619) % (1 << 32)
    return h


def _normalise(name: str) -> str:
    import unicodedata
    return "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))


def channels_json(c: Company, s: Slack) -> list[dict]:
    epoch = c.period.epoch
    out = []
    creator = s.user_id[s.people[0]]
    for i, ch in enumerate(s.channels):
        members = sorted(s.user_id[s.people[s.member[:, i]]].tolist())
        out.append({
            "id": str(s.channel_id[i]), "name": ch.name, "created": str(epoch + ch.created), "creator": creator,
            "is_archived": ch.archived, "is_general": ch.general, "members": members,
            "topic": {"value": "", "creator": "", "last_set": "0"},
            "purpose": {"value": ch.purpose, "creator": creator, "last_set": str(epoch + ch.created)},
        })
    return out


def integration_logs_json(c: Company, s: Slack) -> list[dict]:
    epoch = c.period.epoch
    admin = s.people[0]
    names = [ch.name for ch in s.channels]
    out = []
    for b, bot in enumerate(BOTS):
        for ch in bot.channels:
            out.append({
                "user_id": s.user_id[admin], "user_name": s.handle[admin],
                "date": str(epoch + bot.added * DAY + 3000), "change_type": "added",
                "service_id": str(29_600_000_000 + b * 1_234_567 + names.index(ch)),
                "service_type": bot.service,
                "scope": "bot" if bot.has_user else "incoming-webhook",
                "channel": str(s.channel_id[names.index(ch)]),
            })
    out.sort(key=lambda e: (e["date"], e["service_id"]), reverse=True)
    return out


def day_files(s: Slack):
    """``(<channel>/<YYYY-MM-DD>.json, bytes)`` for every channel and day with messages, by name.

    A generator: the messages are made into JSON a channel and month at a time, as they are
    written, so that the text of the whole workspace is never in memory at once."""
    lines = s.lines
    users = pl.Series("users", lines.users.tolist(), dtype=pl.String)
    handles = pl.Series("handles", lines.handles.tolist(), dtype=pl.String)
    replies = np.flatnonzero(lines.parent >= 0)
    replies = replies[np.argsort(lines.parent[replies], kind="stable")]
    replies = (_compact(replies), lines.parent[replies])
    for lo, hi in _parts(s):
        grouped = (_chunk_lines(s, lo, hi, users, handles, replies)
                   .group_by(["channel", "day"], maintain_order=True).agg(pl.col("json").str.join(",\n")))
        for channel, day, body in grouped.iter_rows():
            yield f"{channel}/{day}.json", ("[\n" + body + "\n]\n").encode()

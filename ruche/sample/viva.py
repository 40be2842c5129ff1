"""Viva Engage: the company-wide network, its groups and messages, and the network data export.

Messages are drawn per person (how many, when), then placed: a post in one of the author's
groups, a reply in a recent thread of the author's own department most of the time (which is
what makes departments silos), a private message to a colleague.  The export is written as
Microsoft writes it: one CSV per table, ``created_at`` as ``YYYY-MM-DD HH:MM:SS UTC``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ruche.sample import text
from ruche.sample.activity import (
    DAY, Clock, attach_replies, expand, nest_replies, parts, pick_in_groups, unique_ids,
)
from ruche.sample.company import (
    COMPANY, CONTRIBUTOR, DEPARTMENT_NAMES, DEPARTMENTS, EXECUTIVE, HOME_DOMAIN, NEVER, PARTNERS, SITES,
    SUPERUSER, Company,
)

POST, REPLY, SYSTEM = 0, 1, 2
COMPANY_GROUPS = (
    ("All Company", "Everyone at Example Corp.", 0.30),
    ("Ideas & Innovation", "Share an idea, improve someone else's.", 0.15),
    ("Ask HR", "Questions about pay, leave, benefits and careers.", 0.12),
    ("IT Help", "Something does not work? Ask here.", 0.13),
    ("Social Club", "Sport, music, food and everything after work.", 0.18),
    ("Sustainability Champions", "Our footprint, and how we reduce it.", 0.12),
)
PRIVATE_DEPARTMENTS = ("Finance", "Legal")
SITE_GROUP_MIN = 25  # a department gets a group per site where it has at least this many people
NETWORK_ID = 11_052_847


@dataclass
class Groups:
    name: list[str]
    description: list[str]
    block: np.ndarray  # department index, or len(DEPARTMENTS) for company-wide, or more for partners
    private: np.ndarray
    external: np.ndarray
    deleted: np.ndarray
    created: np.ndarray  # seconds from day 0
    creator: np.ndarray  # person index
    ids: np.ndarray


@dataclass
class Messages:
    """One element per message, in time order (which is also the order of their ids)."""

    id: np.ndarray
    time: np.ndarray
    sender: np.ndarray
    kind: np.ndarray
    thread: np.ndarray  # row of the thread starter (itself for a starter)
    replied_to: np.ndarray  # row of the message answered, -1 for starters
    group: np.ndarray  # -1 for private conversations
    private_with: np.ndarray  # the other participant of a private conversation, else -1
    mention1: np.ndarray
    mention2: np.ndarray
    template: np.ndarray
    title: np.ndarray  # index in text.TITLES or -1
    question: np.ndarray
    delegate: np.ndarray
    file_id: np.ndarray  # 0 when none
    link: np.ndarray  # index in text.LINKS or -1
    link_id: np.ndarray
    deleted_at: np.ndarray  # seconds, MISSING when not deleted
    deleted_by: np.ndarray
    edited: np.ndarray

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class Viva:
    user_id: np.ndarray  # per person, 0 without an account
    groups: Groups
    messages: Messages
    admins: np.ndarray  # person indices


def build_groups(rng: np.random.Generator, c: Company) -> tuple[Groups, np.ndarray, np.ndarray, np.ndarray]:
    """The groups, with lookups: community group per department, group per (department, site),
    group per partner."""
    nd = len(DEPARTMENTS)
    emp = np.arange(c.n_employees)
    names, descs, blocks, private, external, created, creator = [], [], [], [], [], [], []
    deleted = []
    ceo = int(np.flatnonzero((c.level == EXECUTIVE) & (c.manager < 0))[0])
    bridges = np.flatnonzero(c.bridge)
    heads = {}
    for d in range(nd):
        # the department's most senior leader who is on the network (the CEO when none is)
        execs = emp[(c.department[emp] == d) & (c.level[emp] == EXECUTIVE) & ~c.absent[emp]]
        heads[d] = int(execs[0]) if len(execs) else ceo
    for name, desc, _ in COMPANY_GROUPS:
        names.append(name), descs.append(desc), blocks.append(nd), private.append(False), external.append(False)
        created.append(-400 * DAY), creator.append(ceo if name == "All Company" else int(bridges[len(names) % len(bridges)]))
        deleted.append(False)
    community = np.empty(nd, dtype=np.int64)
    site_group = np.full((nd, len(SITES)), -1, dtype=np.int64)
    wave_day = {d: c.period.month_starts[min(c.waves[DEPARTMENT_NAMES[d]], c.period.months - 1)] for d in range(nd)}
    for d, dep in enumerate(DEPARTMENTS):
        # communities exist before the period; site groups open when the department's rollout starts
        day = wave_day[d] - 5 if wave_day[d] > 0 else -30
        community[d] = len(names)
        names.append(f"{dep.name} Community"), descs.append(f"News and questions of {dep.name}.")
        blocks.append(d), private.append(dep.name in PRIVATE_DEPARTMENTS), external.append(False)
        created.append((-60 + d) * DAY + 9 * 3600), creator.append(heads[d]), deleted.append(False)
        counts = np.bincount(c.site[emp][c.department[emp] == d], minlength=len(SITES))
        for s in np.flatnonzero(counts >= SITE_GROUP_MIN):
            site_group[d, s] = len(names)
            names.append(f"{dep.name} {SITES[s].name}"), descs.append(f"{dep.name} people in {SITES[s].name}.")
            blocks.append(d), private.append(False), external.append(False)
            created.append(day * DAY + 10 * 3600), creator.append(heads[d]), deleted.append(False)
    partner_group = np.empty(len(PARTNERS), dtype=np.int64)
    for p, partner in enumerate(PARTNERS):
        partner_group[p] = len(names)
        d = DEPARTMENT_NAMES.index(partner.department)
        names.append(f"Partners: {partner.name}"), descs.append(f"Working together with {partner.name}.")
        blocks.append(nd + 1 + p), private.append(True), external.append(True)
        created.append(-200 * DAY + p * 3 * DAY), creator.append(heads[d]), deleted.append(False)
    names.append("Project Phoenix"), descs.append("Closed project, kept for the record.")
    blocks.append(nd), private.append(False), external.append(False)
    created.append(-700 * DAY), creator.append(ceo), deleted.append(True)
    ids = unique_ids(rng, len(names), 10_000_000_000, 99_999_999_999)
    groups = Groups(names, descs, np.array(blocks), np.array(private), np.array(external), np.array(deleted),
                    np.array(created, dtype=np.int64), np.array(creator, dtype=np.int64), ids)
    return groups, community, site_group, partner_group


def build_viva(rng: np.random.Generator, c: Company, clock: Clock) -> Viva:
    nd = len(DEPARTMENTS)
    n = c.size
    days = c.period.days
    groups, community, site_group, partner_group = build_groups(rng, c)
    user_id = np.where(c.in_viva, unique_ids(rng, n, 1_400_000_000, 1_990_000_000), 0)
    tz = np.array([s.tz_offset for s in SITES] + [0])[c.site]  # guests (site -1): UTC
    guest = c.is_guest
    employee = ~guest

    # --- how much each person writes ------------------------------------------------------
    rate = np.zeros(n)
    k = c.klass
    rate = np.where(k == SUPERUSER, rng.lognormal(np.log(60.0), 0.5, n), rate)
    rate = np.where(k == CONTRIBUTOR, rng.lognormal(np.log(3.0), 0.6, n), rate)
    rate = np.where(c.frontline, rate * 0.7, rate)
    rate = np.where(c.exemplary, 3.0, rate)  # on top of one post a month
    rate = np.where(c.bridge, 5.0, rate)
    rate = np.where(guest & (k == CONTRIBUTOR), 1.5, rate)
    counts = clock.counts(rng, rate, c.viva_start, c.viva_end)
    writers = (k >= CONTRIBUTOR) & (clock.busy_days(c.viva_start, c.viva_end) >= 1)
    counts = np.where(writers, np.maximum(counts, 1), 0)
    sender = expand(counts)
    time = clock.times(rng, c.viva_start[sender], c.viva_end[sender], tz[sender])
    p_reply = np.where(c.bridge, 0.85, np.where(k == SUPERUSER, 0.55, np.where(c.exemplary, 0.25, 0.5)))
    is_reply = rng.random(len(sender)) < p_reply[sender]
    is_pm = employee[sender] & ~c.bridge[sender] & (rng.random(len(sender)) < 0.04)
    is_reply &= ~is_pm

    # exemplary leaders post at least once in every month they are on the network
    ms = np.asarray(c.period.month_starts)
    lead = np.flatnonzero(c.exemplary & (c.viva_start < NEVER))
    lead_m = np.repeat(lead, c.period.months)
    month = np.tile(np.arange(c.period.months), len(lead))
    s = np.maximum(ms[month], c.viva_start[lead_m])
    e = np.minimum(ms[month + 1], c.viva_end[lead_m])
    keep = e > s
    lead_m, s, e = lead_m[keep], s[keep], e[keep]
    lead_time = clock.times(rng, s, e, tz[lead_m])
    sender = np.concatenate([sender, lead_m])
    time = np.concatenate([time, lead_time])
    is_reply = np.concatenate([is_reply, np.zeros(len(lead_m), dtype=bool)])
    is_pm = np.concatenate([is_pm, np.zeros(len(lead_m), dtype=bool)])

    # --- posts: which group ------------------------------------------------------------------
    dept = c.department
    partner_of_dept = np.full(nd, -1, dtype=np.int64)
    for p, partner in enumerate(PARTNERS):
        partner_of_dept[DEPARTMENT_NAMES.index(partner.department)] = p
    company_w = np.array([g[2] for g in COMPANY_GROUPS])
    company_cdf = np.cumsum(company_w) / company_w.sum()
    posts = np.flatnonzero(~is_reply & ~is_pm)
    ps = sender[posts]
    u = rng.random(len(posts))
    pd_ = np.maximum(dept[ps], 0)
    own_site = site_group[pd_, np.maximum(c.site[ps], 0)]
    dept_group = np.where((own_site >= 0) & (rng.random(len(posts)) < 0.5), own_site, community[pd_])
    comp_group = np.searchsorted(company_cdf, rng.random(len(posts)), side="right")
    linked = partner_of_dept[pd_]
    group_of_post = np.where(u < 0.72, dept_group,
                             np.where((u < 0.75) & (linked >= 0), partner_group[np.maximum(linked, 0)], comp_group))
    leader_post = c.exemplary[ps] & (c.level[ps] == EXECUTIVE)
    group_of_post = np.where(leader_post, np.where(u < 0.5, 0, community[pd_]), group_of_post)
    group_of_post = np.where(guest[ps], partner_group[np.maximum(c.partner[ps], 0)], group_of_post)
    too_early = (time[posts] < groups.created[group_of_post]) & ~guest[ps]
    group_of_post = np.where(too_early, community[pd_], group_of_post)

    # --- replies: which thread ----------------------------------------------------------------
    replies = np.flatnonzero(is_reply)
    rs = sender[replies]
    u = rng.random(len(replies))
    rd = np.maximum(dept[rs], 0)
    public_depts = np.array([d for d in range(nd) if DEPARTMENT_NAMES[d] not in PRIVATE_DEPARTMENTS])
    other_dept = public_depts[rng.integers(0, len(public_depts), len(replies))]
    block = np.where(u < 0.86, rd, np.where((u < 0.89) & (partner_of_dept[rd] >= 0),
                                             nd + 1 + np.maximum(partner_of_dept[rd], 0), nd))
    block = np.where(c.bridge[rs], np.where(u < 0.15, rd, np.where(u < 0.35, nd, other_dept)), block)
    block = np.where(guest[rs], nd + 1 + np.maximum(c.partner[rs], 0), block)
    thread_block = groups.block[group_of_post]
    post_time = time[posts]
    appeal = rng.lognormal(0.0, 0.8, len(posts)) * np.where(c.level[ps] == EXECUTIVE, 3.0, 1.0)
    target = attach_replies(rng, block, time[replies], thread_block, post_time, appeal, 2.0 * DAY)
    lost = target < 0
    target[lost] = attach_replies(rng, np.full(int(lost.sum()), nd), time[replies][lost], thread_block, post_time,
                                  appeal, 2.0 * DAY)
    # replies with no earlier thread to answer become the first post of their own group
    orphan = target < 0
    orphan_group = np.where(guest[rs[orphan]], partner_group[np.maximum(c.partner[rs[orphan]], 0)],
                            community[rd[orphan]])
    posts = np.concatenate([posts, replies[orphan]])
    group_of_post = np.concatenate([group_of_post, orphan_group])
    replies, target = replies[~orphan], target[~orphan]

    # --- private conversations: a colleague, who may answer up to three times ------------------
    pm = np.flatnonzero(is_pm)
    pm_sender = sender[pm]
    responders = np.flatnonzero(employee & (k >= CONTRIBUTOR) & c.in_viva)
    other = pick_in_groups(rng, dept[responders], responders, dept[pm_sender])
    other = np.where(other == pm_sender, -1, other)
    pm, pm_sender, other = pm[other >= 0], pm_sender[other >= 0], other[other >= 0]
    pm_time = time[pm]
    chain_sender, chain_time, chain_parent, chain_root = [], [], [], []
    alive = rng.random(len(pm)) < 0.65
    t_prev = pm_time.copy()
    parent = np.arange(len(pm))  # position in the chain lists, resolved below
    for step in range(3):
        who = other if step % 2 == 0 else pm_sender
        t_next = t_prev + 60 + rng.exponential(3 * 3600, len(pm)).astype(np.int64)
        alive &= (t_next >= c.viva_start[who] * DAY) & (t_next < np.minimum(c.viva_end[who], days) * DAY)
        chain_sender.append(who[alive]), chain_time.append(t_next[alive])
        chain_root.append(np.flatnonzero(alive)), chain_parent.append(parent[alive])
        parent = np.where(alive, len(pm) + sum(len(x) for x in chain_sender[:-1]) +
                          np.cumsum(alive) - 1, parent)
        t_prev = t_next
        alive &= rng.random(len(pm)) < 0.55

    # --- assemble: posts, replies, private messages, system messages -----------------------------
    n_posts, n_replies = len(posts), len(replies)
    pm_rows_sender = np.concatenate([pm_sender] + chain_sender)
    pm_rows_time = np.concatenate([pm_time] + chain_time)
    pm_root = np.concatenate([np.arange(len(pm))] + chain_root)
    pm_parent = np.concatenate([np.full(len(pm), -1)] + chain_parent)
    pm_other = np.concatenate([other] + [other[r] for r in chain_root])
    pm_starter = pm_sender[pm_root]
    pm_other = np.where(pm_rows_sender == pm_starter, pm_other, pm_starter)
    created_in = (groups.created >= 0) & ~groups.deleted
    sys_groups = np.flatnonzero(created_in)
    base_pm = n_posts + n_replies
    base_sys = base_pm + len(pm_rows_sender)
    total = base_sys + len(sys_groups)

    all_sender = np.concatenate([sender[posts], sender[replies], pm_rows_sender, groups.creator[sys_groups]])
    all_time = np.concatenate([time[posts], time[replies], pm_rows_time, groups.created[sys_groups]])
    kind = np.concatenate([np.full(n_posts, POST), np.full(n_replies, REPLY),
                           np.where(pm_parent < 0, POST, REPLY), np.full(len(sys_groups), SYSTEM)])
    thread = np.concatenate([np.arange(n_posts), target, base_pm + pm_root, base_sys + np.arange(len(sys_groups))])
    nested = nest_replies(rng, target, time[replies] * 16 + rng.integers(0, 16, n_replies), 0.3)
    reply_parent = np.where(nested >= 0, n_posts + nested, target)
    replied_to = np.concatenate([np.full(n_posts, -1), reply_parent,
                                 np.where(pm_parent >= 0, base_pm + pm_parent, -1), np.full(len(sys_groups), -1)])
    group = np.concatenate([group_of_post, group_of_post[target], np.full(len(pm_rows_sender), -1), sys_groups])
    private_with = np.concatenate([np.full(n_posts + n_replies, -1), pm_other, np.full(len(sys_groups), -1)])

    # time order, ties broken at random; ids grow with time as Yammer's do
    order = np.lexsort((rng.random(total), all_time))
    rank = np.empty(total, dtype=np.int64)
    rank[order] = np.arange(total)
    # a reply is never earlier than what it answers: the draw guarantees it, the sort keeps it
    ids = 2_301_000_000_000_000 + np.cumsum(rng.integers(1_000, 400_000, total))

    def sort(a):
        return a[order]

    sender_s, time_s, kind_s, group_s = sort(all_sender), sort(all_time), sort(kind), sort(group)
    thread_s = rank[sort(thread)]
    replied_s = sort(replied_to)
    replied_s = np.where(replied_s >= 0, rank[np.maximum(replied_s, 0)], -1)
    private_s = sort(private_with)
    m = total
    # an answer always comes after what it answers; equal seconds can break that, then it answers the starter
    replied_s = np.where(replied_s < np.arange(m), replied_s, np.where(replied_s >= 0, thread_s, -1))
    # what the messages were drawn from, in the order they were drawn: let go before the rest is drawn
    del (all_sender, all_time, kind, thread, replied_to, group, private_with, order, rank, sender, time, is_reply,
         is_pm, posts, replies, target, nested, reply_parent, group_of_post)

    # --- mentions, texts, attachments, deletions --------------------------------------------------
    employees = np.arange(c.n_employees)
    day = time_s // DAY
    mention = []
    for share in (0.10, 0.015):
        want = (rng.random(m) < share) & (kind_s != SYSTEM)
        home = np.where(guest[sender_s], DEPARTMENT_NAMES.index("Marketing"), dept[sender_s])
        home = np.where(guest[sender_s] & (c.partner[sender_s] >= 0),
                        np.array([DEPARTMENT_NAMES.index(p.department) for p in PARTNERS])[np.maximum(c.partner[sender_s], 0)],
                        home)
        target_p = pick_in_groups(rng, dept[employees], employees, home)
        anyone = rng.integers(0, c.n_employees, m)
        target_p = np.where(rng.random(m) < 0.85, target_p, anyone)
        ok = want & (target_p >= 0) & (target_p != sender_s)
        ok &= (c.hired[np.maximum(target_p, 0)] <= day) & (c.left[np.maximum(target_p, 0)] > day)
        mention.append(np.where(ok, target_p, -1))
    mention[1] = np.where(mention[0] >= 0, mention[1], -1)
    mention[1] = np.where(mention[1] == mention[0], -1, mention[1])

    is_post = kind_s == POST
    template = np.where(is_post, rng.integers(0, len(text.POSTS), m), rng.integers(0, len(text.REPLIES), m))
    exec_post = is_post & (c.level[sender_s] == EXECUTIVE) & (group_s == 0)
    title = np.where(exec_post & (rng.random(m) < 0.4), rng.integers(0, len(text.TITLES), m), -1)
    asks = np.array([p.rstrip().endswith("?") for p in text.POSTS])
    question = is_post & (title < 0) & asks[np.where(is_post, template, 0)]
    assistants = employees[(dept[employees] == DEPARTMENT_NAMES.index("Executive Office")) & (c.level[employees] == 0)]
    delegate = np.where(exec_post & c.exemplary[sender_s] & (rng.random(m) < 0.25) & (len(assistants) > 0),
                        assistants[rng.integers(0, max(len(assistants), 1), m)] if len(assistants) else -1, -1)
    has_file = (kind_s != SYSTEM) & (rng.random(m) < 0.07)
    file_id = np.where(has_file, 137_000_000 + np.cumsum(has_file) * 37 + rng.integers(0, 30, m), 0)
    link = np.where((kind_s != SYSTEM) & (rng.random(m) < 0.05), rng.integers(0, len(text.LINKS), m), -1)
    link_id = np.where(link >= 0, 1_900_000_000 + np.cumsum(link >= 0) * 101 + rng.integers(0, 100, m), 0)
    end_s = days * DAY - 1
    is_deleted = (kind_s != SYSTEM) & (rng.random(m) < 0.012)
    deleted_at = np.minimum(time_s + 60 + rng.exponential(DAY, m).astype(np.int64), end_s)
    is_deleted &= deleted_at > time_s
    deleted_at = np.where(is_deleted, deleted_at, MISSING)
    admins = _admins(rng, c)
    deleted_by = np.where(rng.random(m) < 0.85, sender_s, admins[rng.integers(0, len(admins), m)])
    deleted_by = np.where(is_deleted, deleted_by, -1)
    edited = (kind_s != SYSTEM) & ~is_deleted & (rng.random(m) < 0.02)

    messages = Messages(
        id=ids, time=time_s, sender=sender_s, kind=kind_s, thread=thread_s, replied_to=replied_s, group=group_s,
        private_with=private_s, mention1=mention[0], mention2=mention[1], template=template, title=title,
        question=question, delegate=delegate, file_id=file_id, link=link, link_id=link_id, deleted_at=deleted_at,
        deleted_by=deleted_by, edited=edited,
    )
    return Viva(user_id=user_id, groups=groups, messages=messages, admins=admins)


def _admins(rng: np.random.Generator, c: Company) -> np.ndarray:
    """Network admins: a few IT people and the internal communications team."""
    emp = np.arange(c.n_employees)
    it = emp[(c.department[emp] == DEPARTMENT_NAMES.index("IT")) & (c.left[emp] == NEVER)]
    comms = emp[(c.department[emp] == DEPARTMENT_NAMES.index("Executive Office")) & (c.left[emp] == NEVER)]
    picked = np.concatenate([it[:2], comms[-2:]])
    return np.unique(picked)


# --- writing ---------------------------------------------------------------------------------------

MISSING = -(1 << 60)  # a time that is not there (the columns are left empty)


def _timestamps(period_epoch: int, seconds: pl.Expr) -> pl.Expr:
    return (
        pl.when(seconds > MISSING)
        .then(pl.from_epoch(seconds + period_epoch, time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S UTC"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _opt_id(values: np.ndarray, ok: np.ndarray) -> pl.Series:
    return pl.Series(np.where(ok, values, 0)).cast(pl.String).set(pl.Series(~ok), None)


def _str(values) -> pl.Series:
    """A string column from a numpy array (None for missing values)."""
    return pl.Series(values=np.asarray(values, dtype=object).tolist(), dtype=pl.String)


def _bool(values: np.ndarray) -> np.ndarray:
    return np.where(values, "true", "false")


def _lookup(values, index: str) -> pl.Expr:
    """values[index] for an index column, computed in polars (``values`` a list or a String series)."""
    series = values if isinstance(values, pl.Series) else pl.Series(list(values), dtype=pl.String)
    return pl.lit(series).gather(pl.col(index))


def month_rows(v: Viva, period) -> list[tuple[int, int]]:
    """The messages as ranges of rows of whole months (they are in time order), each as few
    months as hold :data:`~ruche.sample.activity.PART_ROWS` messages."""
    cuts = np.searchsorted(v.messages.time, np.asarray(period.month_starts[1:-1], dtype=np.int64) * DAY)
    return parts([0, *cuts.tolist(), len(v.messages)])


def messages_csv_parts(c: Company, v: Viva):
    """``Messages.csv`` a few months at a time: the frames of :func:`messages_csv` for the rows
    of :func:`month_rows`, whose CSV, written one after the other (the header once), is the whole
    file's. The first part is there even without messages: it writes the header."""
    names = (pl.Series(c.display_name.tolist(), dtype=pl.String), pl.Series(c.email.tolist(), dtype=pl.String))
    for lo, hi in month_rows(v, c.period) or [(0, 0)]:
        yield messages_csv(c, v, lo, hi, names)


def messages_csv(c: Company, v: Viva, lo: int = 0, hi: int | None = None, names=None) -> pl.DataFrame:
    """``Messages.csv``, or the rows ``lo:hi`` of it; ``names``: the people's display names and
    e-mails as String series, when a caller asks for many parts."""
    every = v.messages
    m = Messages(**{f: getattr(every, f)[lo:hi] for f in Messages.__dataclass_fields__})
    g = v.groups
    epoch = c.period.epoch
    uid = v.user_id
    display_names, emails = names or (c.display_name.tolist(), c.email.tolist())
    has_reply = m.replied_to >= 0
    in_group = m.group >= 0
    pm = m.private_with >= 0
    mention_1 = np.where(m.mention1 >= 0, uid[np.maximum(m.mention1, 0)], 0)
    mention_2 = np.where(m.mention2 >= 0, uid[np.maximum(m.mention2, 0)], 0)
    pair_lo = np.minimum(uid[m.sender], uid[np.maximum(m.private_with, 0)])
    pair_hi = np.maximum(uid[m.sender], uid[np.maximum(m.private_with, 0)])
    frame = pl.DataFrame({
        "id": m.id,
        "replied_to_id": _opt_id(every.id[np.maximum(m.replied_to, 0)], has_reply),
        "thread_id": every.id[m.thread],
        "conversation_id": _opt_id(every.id[m.thread], pm),
        "group_id": _opt_id(g.ids[np.maximum(m.group, 0)], in_group),
        "group_i": np.maximum(m.group, 0), "in_group": in_group,
        "private_i": g.private[np.maximum(m.group, 0)].astype(np.int64),
        "pair_lo": pair_lo, "pair_hi": pair_hi, "pm": pm,
        "sender_id": uid[m.sender], "sender": m.sender,
        "post_t": m.template % len(text.POSTS), "reply_t": m.template % len(text.REPLIES),
        "m1": mention_1, "m2": mention_2,
        "delegate_id": _opt_id(uid[np.maximum(m.delegate, 0)], m.delegate >= 0),
        "file_id": m.file_id,
        "link_id": m.link_id, "link_i": np.maximum(m.link, 0),
        "deleted_by_id": _opt_id(uid[np.maximum(m.deleted_by, 0)], m.deleted_by >= 0),
        "t": m.time, "dt": m.deleted_at,
        "title_i": np.maximum(m.title, 0), "has_title": m.title >= 0,
        "kind": m.kind, "question": m.question,
        "gone": c.left[m.sender] < NEVER,
    }).with_columns(
        group_name=pl.when(pl.col("in_group")).then(_lookup(g.name, "group_i")),
        in_private_group=pl.when(pl.col("in_group")).then(_lookup(["false", "true"], "private_i"))
        .otherwise(pl.lit("false")),
        in_private_conversation=pl.when(pl.col("pm")).then(pl.lit("true")).otherwise(pl.lit("false")),
        sender_name=_lookup(display_names, "sender"),
        sender_email=_lookup(emails, "sender"),
        link_url=pl.when(pl.col("link_id") > 0).then(_lookup([u for u, _, _ in text.LINKS], "link_i")),
        title=pl.when(pl.col("has_title")).then(_lookup(text.TITLES, "title_i")),
    ).with_columns(
        body=pl.when(pl.col("kind") == SYSTEM)
        .then(pl.concat_str([pl.col("sender_name"), pl.lit(" has created the "), pl.col("group_name"),
                             pl.lit(" group.")]))
        .when(pl.col("kind") == POST).then(_lookup(text.POSTS, "post_t"))
        .otherwise(_lookup(text.REPLIES, "reply_t")),
    )
    mention_text = (
        pl.when(pl.col("m1") > 0).then(pl.format("[[user:{}]] ", pl.col("m1"))).otherwise(pl.lit(""))
        + pl.when(pl.col("m2") > 0).then(pl.format("[[user:{}]] ", pl.col("m2"))).otherwise(pl.lit(""))
    )
    attachments = pl.concat_str(
        [
            pl.when(pl.col("link_id") > 0).then(pl.format("opengraphobject:[{} : {}]", pl.col("link_id"), pl.col("link_url"))),
            pl.when(pl.col("file_id") > 0).then(pl.format("uploadedfile:{}", pl.col("file_id"))),
        ],
        separator=", ",
        ignore_nulls=True,
    )
    out = frame.select(
        "id",
        "replied_to_id",
        pl.col("replied_to_id").alias("parent_id"),
        "thread_id",
        "conversation_id",
        "group_id",
        "group_name",
        pl.when(pl.col("pm")).then(pl.format("user:{},user:{}", pl.col("pair_lo"), pl.col("pair_hi"))).alias("participants"),
        "in_private_group",
        "in_private_conversation",
        "sender_id",
        pl.lit("user").alias("sender_type"),
        "sender_name",
        "sender_email",
        (mention_text + pl.col("body")).alias("body"),
        "delegate_id",
        pl.format("https://www.yammer.com/api/v1/messages/{}", pl.col("id")).alias("api_url"),
        pl.when(attachments != "").then(attachments).alias("attachments"),
        "deleted_by_id",
        pl.when(pl.col("dt") > MISSING).then(pl.lit("user")).alias("deleted_by_type"),
        _timestamps(epoch, pl.col("t")).alias("created_at"),
        _timestamps(epoch, pl.col("dt")).alias("deleted_at"),
        "title",
        pl.when(pl.col("title").is_not_null())
        .then(pl.format("<p>{}</p>", (mention_text + pl.col("body")).str.replace_all("\n\n", "</p><p>", literal=True)
                        .str.replace_all("\n", "<br>", literal=True)))
        .alias("html_body"),
        pl.when(pl.col("kind") == SYSTEM).then(pl.lit("system"))
        .when(pl.col("title").is_not_null()).then(pl.lit("announcement"))
        .when(pl.col("question")).then(pl.lit("question"))
        .otherwise(pl.lit("update")).alias("message_type"),
        pl.when(pl.col("gone")).then(pl.format("https://www.yammer.com/api/v1/gdpr/messages/{}", pl.col("id")))
        .alias("gdpr_delete_url"),
    )
    return out


def users_csv(c: Company, v: Viva) -> pl.DataFrame:
    who = np.flatnonzero(c.in_viva)
    period = c.period
    epoch = period.epoch
    joined_day = np.where(c.is_guest[who], np.minimum(c.viva_start[who], period.days - 1) - 3,
                          np.maximum(c.hired[who], -30))
    # guests who never came get an invitation date in the first weeks
    joined_day = np.where(joined_day >= NEVER - 10, 5, joined_day)
    rng = np.random.default_rng(int(v.user_id[who].sum() % (2**32)))
    joined = joined_day * DAY + 8 * 3600 + rng.integers(0, 7200, len(who))
    left = c.left[who] < NEVER
    suspended = left & (rng.random(len(who)) < 0.25)
    deleted = left & ~suspended
    off = c.left[who] * DAY + 2 * 3600 + rng.integers(0, 3600, len(who))
    has_title = rng.random(len(who)) < 0.85
    has_location = rng.random(len(who)) < 0.8
    has_department = (rng.random(len(who)) < 0.9) & ~c.is_guest[who]
    site_names = np.array([f"{s.name}, {s.country}" for s in SITES] + [""], dtype=object)
    dept_names = np.array(list(DEPARTMENT_NAMES) + [""], dtype=object)
    guid = rng.integers(0, 2**63, (len(who), 2), dtype=np.uint64)
    frame = pl.DataFrame({
        "id": v.user_id[who],
        "email": _str(c.email[who]),
        "name": _str(c.display_name[who].astype(object)),
        "job_title": _str(np.where(has_title, c.job_title[who], None)),
        "location": _str(np.where(has_location & ~c.is_guest[who], site_names[c.site[who]], None)),
        "department": _str(np.where(has_department, dept_names[c.department[who]], None)),
        "j": joined, "d": np.where(deleted, off, MISSING), "s": np.where(suspended, off, MISSING),
        "g1": guid[:, 0], "g2": guid[:, 1],
        "state": np.where(deleted, "soft_delete", np.where(suspended, "suspended", "active")),
    })
    frame = frame.with_columns(pl.Series("g1", [f"{x:016x}" for x in guid[:, 0].tolist()]),
                               pl.Series("g2", [f"{x:016x}" for x in guid[:, 1].tolist()]))
    return frame.select(
        "id", "email", "name", "job_title", "location", "department",
        pl.format("https://www.yammer.com/api/v1/users/{}", pl.col("id")).alias("api_url"),
        _timestamps(epoch, pl.col("j")).alias("joined_at"),
        _timestamps(epoch, pl.col("d")).alias("deleted_at"),
        _timestamps(epoch, pl.col("s")).alias("suspended_at"),
        pl.concat_str([pl.col("g1").str.slice(0, 8), pl.col("g1").str.slice(8, 4), pl.col("g1").str.slice(12, 4),
                       pl.col("g2").str.slice(0, 4), pl.col("g2").str.slice(4, 12)], separator="-").alias("guid"),
        "state",
    ).sort("id")


def groups_csv(c: Company, v: Viva) -> pl.DataFrame:
    g = v.groups
    m = v.messages
    last = np.full(len(g.name), -1, dtype=np.int64)
    ok = m.group >= 0
    np.maximum.at(last, m.group[ok], m.time[ok])
    updated = np.maximum(last, g.created)
    epoch = c.period.epoch
    frame = pl.DataFrame({
        "id": g.ids, "name": g.name, "description": g.description, "c": g.created, "u": updated,
        "deleted": _bool(g.deleted), "external": _bool(g.external), "private": _bool(g.private),
        "creator_id": v.user_id[g.creator],
    })
    return frame.select(
        "id", "name", "description",
        _timestamps(epoch, pl.col("c")).alias("created_at"),
        _timestamps(epoch, pl.col("u")).alias("updated_at"),
        "deleted", "external", "private",
        pl.lit("user").alias("creator_type"), "creator_id",
        pl.format("https://www.yammer.com/api/v1/groups/{}", pl.col("id")).alias("api_url"),
        pl.format("https://web.yammer.com/main/groups/{}", pl.col("id")).alias("web_url"),
    ).sort("id")


def files_csv(c: Company, v: Viva) -> pl.DataFrame:
    m = v.messages
    rows = np.flatnonzero(m.file_id > 0)
    g = v.groups
    epoch = c.period.epoch
    kinds = text.FILE_TITLES
    pick = m.file_id[rows] % len(kinds)
    names = np.array([k[0] for k in kinds], dtype=object)[pick]
    in_group = m.group[rows] >= 0
    group_names = np.array(g.name, dtype=object)
    frame = pl.DataFrame({
        "id": m.file_id[rows] + 1, "file_id": m.file_id[rows], "name": _str(names),
        "uploader_id": v.user_id[m.sender[rows]],
        "group_id": _opt_id(g.ids[np.maximum(m.group[rows], 0)], in_group),
        "group_name": _str(np.where(in_group, group_names[np.maximum(m.group[rows], 0)], None)),
        "in_private_group": np.where(in_group, _bool(g.private[np.maximum(m.group[rows], 0)]), "false"),
        "in_private_conversation": _bool(~in_group),
        "t": m.time[rows], "dt": m.deleted_at[rows],
        "deleted_by_user_id": _opt_id(v.user_id[np.maximum(m.deleted_by[rows], 0)], m.deleted_by[rows] >= 0),
    })
    return frame.select(
        "id", "file_id", "name", pl.lit(None, dtype=pl.String).alias("description"), "uploader_id",
        pl.lit("user").alias("uploader_type"), "group_id", "group_name",
        pl.lit(None, dtype=pl.String).alias("reverted_to_id"), "deleted_by_user_id",
        "in_private_group", "in_private_conversation",
        pl.format("https://www.yammer.com/api/v1/uploaded_files/{}", pl.col("file_id")).alias("file_api_url"),
        pl.format("https://www.yammer.com/api/v1/uploaded_files/{}/download", pl.col("file_id")).alias("download_url"),
        pl.format("files/{}-{}", pl.col("file_id"), pl.col("name")).alias("path"),
        _timestamps(epoch, pl.col("t")).alias("uploaded_at"),
        _timestamps(epoch, pl.col("dt")).alias("deleted_at"),
        pl.lit(COMPANY).alias("original_network"),
    )


def message_versions_csv(c: Company, v: Viva) -> pl.DataFrame:
    m = v.messages
    rows = np.flatnonzero(m.edited)
    epoch = c.period.epoch
    return pl.DataFrame({
        "id": m.id[rows] + 7, "message_id": m.id[rows], "thread_id": m.id[m.thread[rows]],
        "sender_id": v.user_id[m.sender[rows]],
        "body": ["(earlier version) draft"] * len(rows), "t": m.time[rows],
    }).select("id", "message_id", "thread_id", "sender_id", "body",
              _timestamps(epoch, pl.col("t")).alias("created_at"))


def small_tables(c: Company, v: Viva) -> dict[str, pl.DataFrame]:
    """Topics, Pages, Admins, Networks and MessageThreadsOutbound: few rows, real headers."""
    epoch = c.period.epoch
    g = v.groups
    bridges = np.flatnonzero(c.bridge)
    topic_names = ["townhall", "safety", "innovation", "onboarding", "sustainability", "itnews"]
    topics = pl.DataFrame({
        "id": 5_210_000 + np.arange(len(topic_names)) * 1_337,
        "name": topic_names,
        "created_by": [c.display_name[bridges[i % len(bridges)]] for i in range(len(topic_names))],
        "t": np.arange(len(topic_names), dtype=np.int64) * 9 * DAY + 10 * 3600,
    }).select("id", "name", "created_by", _timestamps(epoch, pl.col("t")).alias("created_at"),
              pl.format("https://www.yammer.com/api/v1/topics/{}", pl.col("id")).alias("api_url"))
    page_groups = [0, 3]
    pages = pl.DataFrame({
        "id": [88_001_201, 88_001_377], "page_id": [88_001_200, 88_001_376],
        "creator_user_id": [int(v.user_id[bridges[0]]), int(v.user_id[bridges[-1]])],
        "published_by_user_id": [int(v.user_id[bridges[0]]), int(v.user_id[bridges[-1]])],
        "collaborator_user_ids": pl.Series([None, None], dtype=pl.String),
        "name": ["Welcome guide", "Frequently asked questions"],
        "group_id": [int(g.ids[i]) for i in page_groups], "group_name": [g.name[i] for i in page_groups],
        "t": [3 * DAY + 11 * 3600, 40 * DAY + 15 * 3600],
    }).select("id", "page_id", "creator_user_id", "published_by_user_id", "collaborator_user_ids", "name",
              "group_id", "group_name", pl.lit(None, dtype=pl.String).alias("reverted_to_id"),
              pl.lit(None, dtype=pl.String).alias("deleted_by_id"), pl.lit(None, dtype=pl.String).alias("deleted_by_type"),
              pl.lit("false").alias("in_private_group"),
              pl.format("https://www.yammer.com/api/v1/pages/{}", pl.col("page_id")).alias("page_api_url"),
              pl.format("https://www.yammer.com/api/v1/pages/{}/download", pl.col("page_id")).alias("download_url"),
              pl.format("pages/{}.html", pl.col("page_id")).alias("path"),
              _timestamps(epoch, pl.col("t")).alias("published_at"),
              pl.lit(None, dtype=pl.String).alias("deleted_at"))
    admins = pl.DataFrame({
        "id": v.user_id[v.admins], "name": _str(c.display_name[v.admins].astype(object)),
        "email": _str(c.email[v.admins]),
        "admin_type": ["verified_admin" if i == 0 else "network_admin" for i in range(len(v.admins))],
    }).sort("id")
    networks = pl.DataFrame({
        "id": [NETWORK_ID], "name": [COMPANY], "permalink": [HOME_DOMAIN],
        "web_url": [f"https://web.yammer.com/main/org/{HOME_DOMAIN}"], "t": [-900 * DAY + 9 * 3600],
        "is_primary": ["true"],
    }).select("id", "name", "permalink", "web_url", _timestamps(epoch, pl.col("t")).alias("created_at"), "is_primary")
    outbound = pl.DataFrame(schema={"id": pl.Int64, "thread_id": pl.Int64, "group_id": pl.Int64,
                                    "network_id": pl.Int64, "created_at": pl.String})
    return {"Topics.csv": topics, "Pages.csv": pages, "Admins.csv": admins, "Networks.csv": networks,
            "MessageThreadsOutbound.csv": outbound}


# --- incremental exports ---------------------------------------------------------------------------


def sample_network(people: int, months: int, seed: int, end) -> tuple[Company, Viva]:
    """The company and network :func:`ruche.sample.generate` draws for the same arguments."""
    from ruche.sample.activity import Clock as _Clock
    from ruche.sample.company import Period, build_company

    period = Period.ending(end, months)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    company = build_company(streams[0], people, period)
    return company, build_viva(streams[1], company, _Clock(period))


def export_tables(c: Company, v: Viva) -> dict[str, pl.DataFrame]:
    """``Messages.csv``, ``Users.csv`` and ``Groups.csv`` of the full export."""
    return {"Messages.csv": messages_csv(c, v), "Users.csv": users_csv(c, v), "Groups.csv": groups_csv(c, v)}


def export_window(tables: dict[str, pl.DataFrame], until: str, since: str | None = None) -> dict[str, pl.DataFrame]:
    """The export the Data Export API gives at ``until`` (``YYYY-MM-DD HH:MM:SS``, UTC, excluded),
    from the full export's ``tables`` (:func:`export_tables`).

    Without ``since``: everything created before ``until``, as it stood then (a message deleted
    later is not deleted yet, a user who left later is active). With ``since`` (the API's
    ``since=``): only what was created or changed in ``[since, until)``: the messages posted or
    deleted then, the users who joined, were suspended or deleted then, the groups created then or
    holding a message posted then. ``Users.csv`` and ``Groups.csv`` may list nobody.
    """
    u = f"{until} UTC"
    s = f"{since} UTC" if since else None
    m = tables["Messages.csv"].filter(pl.col("created_at") < u)
    gone = pl.col("deleted_at").is_not_null() & (pl.col("deleted_at") < u)
    m = m.with_columns(
        [pl.when(gone).then(pl.col(name)).otherwise(pl.lit(None, dtype=pl.String)).alias(name)
         for name in ("deleted_at", "deleted_by_id", "deleted_by_type")]
    ).with_columns(pl.col("deleted_by_id").cast(pl.String))
    users = tables["Users.csv"].filter(pl.col("joined_at") < u)
    users = users.with_columns(
        [pl.when(pl.col(name) < u).then(pl.col(name)).otherwise(pl.lit(None, dtype=pl.String)).alias(name)
         for name in ("deleted_at", "suspended_at")]
    ).with_columns(
        state=pl.when(pl.col("deleted_at").is_not_null()).then(pl.lit("soft_delete"))
        .when(pl.col("suspended_at").is_not_null()).then(pl.lit("suspended")).otherwise(pl.lit("active"))
    )
    groups = tables["Groups.csv"].filter(pl.col("created_at") < u)
    if s is not None:
        posted = m.filter(pl.col("created_at") >= s)
        m = m.filter((pl.col("created_at") >= s) | (pl.col("deleted_at") >= s))
        users = users.filter((pl.col("joined_at") >= s) | (pl.col("deleted_at") >= s) | (pl.col("suspended_at") >= s))
        active = posted["group_id"].drop_nulls().cast(pl.String).unique()
        groups = groups.filter((pl.col("created_at") >= s) | pl.col("id").cast(pl.String).is_in(active.implode()))
    return {"Messages.csv": m, "Users.csv": users, "Groups.csv": groups}

"""Organisation: an organisation of the reporting tree, its sub-organisations, and managers as relays.

The drill-down starts at the company (or at the signed-in person's own organisation) and opens a
sub-organisation at a time. Organisations are named by their head's department and the first
characters of the head's pseudonym, never by a name. An administrator may open the organisation of
someone whose e-mail or HR id they type: the text is hashed in memory with the store's key, and
only the pseudonym is compared with the store.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard import auth, charts, data, guard, tables
from dashboard.filters import Filters
from dashboard.format import count, md, pct, points
from metrics import hierarchy
from metrics.figures import Figure
from metrics.groups import period_start, shift_period
from ruche.i18n import _, ngettext, period_label as label

PATH = "org_path"  # the leaders opened, from the top: pseudonyms only
LABELS = "org_labels"  # the label of each organisation opened, for the trail
#: Organisations of a level drawn at most (N-3 holds thousands): the highest and the lowest half each.
MAX_BARS = 30


def _open(path: list[str], label: str | None = None) -> None:
    st.session_state[PATH] = path
    if path and label:
        st.session_state.setdefault(LABELS, {})[path[-1]] = label


def own(access) -> str | None:
    """The signed-in person's ``person_id`` when they are in the directory (else None)."""
    return data.leader_of(auth.own_leader(access, data.settings().key_file))


def render(f: Filters) -> None:
    st.title(_("Organisation"))
    access = guard.access()
    mine = own(access)
    if PATH not in st.session_state:
        st.session_state[PATH] = [mine] if mine else []
    path: list[str] = list(st.session_state[PATH])
    floor = hierarchy.floor(f.min_group_size)

    cols = st.columns([1, 1, 4])
    cols[0].button(_("The company"), on_click=_open, args=([],), key="org_top")
    if mine:
        cols[1].button(_("My organisation"), on_click=_open, args=([mine],), key="org_mine")
    if access.role == "admin":
        _find_leader(path)

    leader = path[-1] if path else None
    fig = data.figure("hierarchy", f, by="reports_to", group=leader)
    company = data.figure("hierarchy", f, by="reports_to", group=None)
    if fig.rows.is_empty():
        st.info(_("No figures for this organisation in this range: it, or an organisation above it, holds "
                  "fewer than {floor} people once the groups beside it are hidden, or the directory names no "
                  "manager.").format(floor=floor))
        return
    latest = fig.latest()
    whole = latest.filter(pl.col("part") == hierarchy.WHOLE).row(0, named=True)
    trail = " › ".join([_("The company")] + [_name(fig, p) for p in path])
    st.subheader(md(whole["organisation"]))
    st.caption(md(_("{trail} · {period} · {people} people, {active} active").format(
        trail=trail, period=label(whole["period"]), people=count(whole["headcount"]), active=count(whole["active"]))))
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Participation"), pct(whole["participation_rate"]))
    c2.metric(_("Contribution"), pct(whole["contribution_rate"]))
    top = company.latest().filter(pl.col("part") == hierarchy.WHOLE)
    if leader is not None and top.height:
        c3.metric(_("The company"), pct(top["participation_rate"][0]))

    trend = fig.rows.filter(pl.col("part") == hierarchy.WHOLE)
    if leader is not None:
        trend = pl.concat([trend, company.rows.filter(pl.col("part") == hierarchy.WHOLE)])
    charts.draw(charts.mark_partial(charts.organisation_trend(
        trend.select("organisation", "period", "participation_rate"),
        _("Participation of the organisation against the company") if leader is not None
        else _("Participation of the organisation")),
        fig.partial), key="org_trend")

    subs = latest.filter(pl.col("part") == hierarchy.SUB)
    st.subheader(_("Sub-organisations"))
    if subs.is_empty():
        st.caption(_("No sub-organisation to show in this period."))
    else:
        tables.show(subs.select("organisation", "headcount", "participation_rate", "contribution_rate"),
                    key="org_subs")
        for row in subs.iter_rows(named=True):
            st.button(md(_("Open {organisation}").format(organisation=row["organisation"])), on_click=_open, args=(path + [row["leader"]], row["organisation"]),
                      key=f"org_open_{row['leader']}")
    rest = latest.filter(pl.col("part") == hierarchy.REMAINDER)
    if rest.height:
        st.caption(md(_("{n} people report to the head directly, in no sub-organisation (the head "
                        "included).").format(n=count(rest["headcount"][0]))))
    st.caption(md(_("Covers: {covers}. Views by the hierarchy show no group under {floor} people, "
                    "and hide a sub-organisation too when the people left beside it would be fewer.").format(
                      covers=fig.covers, floor=floor)))

    _by_level(f)
    _relays(f)


def last_periods(f: Filters) -> Filters:
    """``f`` cut to its last two periods: the last one, partial perhaps, and the one before. Each
    period's organisations are decided on that period alone, so the last complete period's rows
    are those of the whole range (N-3 by week holds 198,000 organisations over a year at 100,000
    people, the chart 30 of one period).

    >>> from datetime import date
    >>> f = Filters(date(2026, 1, 1), date(2026, 10, 20), "month", "team", None, 5, True)
    >>> cut = last_periods(f)
    >>> cut.start, cut.end, cut.whole_range
    (datetime.date(2026, 9, 1), datetime.date(2026, 10, 20), False)
    >>> last_periods(replace(f, start=date(2026, 9, 15))).start
    datetime.date(2026, 9, 15)
    """
    first = shift_period(f.period, period_start(f.period, f.end), -1)
    return f if first <= f.start else replace(f, start=first, whole_range=False)


def level_figure(f: Filters, level: int) -> Figure:
    """The organisations of ``level`` over the last periods of ``f`` (:func:`last_periods`), what
    the chart of the last complete period reads; over the whole range when those hold none."""
    fig = data.figure("hierarchy", last_periods(f), by="hierarchy_level", group=None, level=level)
    if fig.complete.is_empty():
        fig = data.figure("hierarchy", f, by="hierarchy_level", group=None, level=level)
    return fig


def _by_level(f: Filters) -> None:
    st.subheader(_("Organisations by level"))
    level = st.selectbox(_("Level under the top"), [1, 2, 3], key="org_level", format_func=lambda n: f"N-{n}")
    fig = level_figure(f, level)
    subs = fig.latest().filter(pl.col("part") == hierarchy.SUB)
    if subs.is_empty():
        st.caption(_("No organisation of this level to show."))
        return
    drawn = subs
    if subs.height > MAX_BARS:
        ordered = subs.sort(["participation_rate", "organisation"], descending=[True, False])
        drawn = pl.concat([ordered.head(MAX_BARS // 2), ordered.tail(MAX_BARS // 2)])
    charts.draw(charts.ranking(drawn, "organisation", "participation_rate",
                               _("Participation of the N-{level} organisations in {period}").format(
                                   level=level, period=label(fig.last_period)),
                               _("Participation")), key="org_levels")
    if drawn.height < subs.height:
        st.caption(md(_("The {n} highest and the {n} lowest of the {total} organisations shown are drawn.").format(
            n=count(MAX_BARS // 2), total=count(subs.height))))
    st.caption(md(_("Covers: {covers}.").format(covers=fig.covers)))


def _name(fig, leader: str) -> str:
    rows = fig.rows.filter(pl.col("leader") == leader)
    if rows.height:
        return rows["organisation"][0]
    return st.session_state.get(LABELS, {}).get(leader, leader[:6])


def _find_leader(path: list[str]) -> None:
    s = data.settings()
    with st.expander(_("Open the organisation of a leader")):
        typed = st.text_input(_("E-mail or employee id of the leader"), type="password", key="org_typed",
                              help=_("Hashed with the store's key in memory; the text is never kept."))
        if st.button(_("Open"), key="org_find") and typed:
            found = data.leader_of(auth.pseudonym_of(typed, s.key_file))
            if found is None:
                st.warning(_("Nobody in the directory has this e-mail or id."))
            else:
                st.session_state[PATH] = [found]
                st.rerun()


def _relays(f: Filters) -> None:
    st.subheader(_("Managers as relays"))
    fig = data.figure("managers-as-relays", f, by="organisation", group=None)
    rows = fig.rows.filter(pl.col("participation_with").is_not_null() | pl.col("participation_without").is_not_null())
    if rows.is_empty():
        st.caption(_("Not enough teams on each side to compare."))
        return
    charts.draw(charts.mark_partial(charts.relays_chart(
        rows, _("Teams whose manager took part against the others")), fig.partial), key="relays")
    last = fig.latest().row(0, named=True)
    if last["gap"] is not None:
        interval = (_(" (95% interval {low} to {high})").format(low=points(last["gap_low"]), high=points(last["gap_high"]))
                    if last["gap_low"] is not None else "")
        st.caption(md(_("In {period}, teams whose manager posted or replied: {with_rate} ({with_teams}); the others: "
                        "{without_rate} ({without_teams}). Gap {gap}{interval}.").format(
            period=label(last["period"]), with_rate=pct(last["participation_with"]),
            with_teams=ngettext("{n} team", "{n} teams", last["teams_with"]).format(n=count(last["teams_with"])),
            without_rate=pct(last["participation_without"]),
            without_teams=ngettext("{n} team", "{n} teams", last["teams_without"]).format(n=count(last["teams_without"])),
            gap=points(last["gap"]), interval=interval)))
    st.caption(md(_("Covers: {covers}.").format(covers=fig.covers)))


def mine_against_company(f: Filters) -> None:
    """The Overview's "My organisation": the signed-in person's organisation against the company
    in the last complete period, when they lead one that may be shown."""
    mine = own(guard.access())
    if mine is None:
        return
    fig = data.figure("hierarchy", f, by="reports_to", group=mine)
    company = data.figure("hierarchy", f, by="reports_to", group=None)
    whole = fig.latest().filter(pl.col("part") == hierarchy.WHOLE)
    top = company.latest().filter(pl.col("part") == hierarchy.WHOLE)
    if whole.is_empty() or top.is_empty():
        return
    st.subheader(_("My organisation"))
    c1, c2 = st.columns(2)
    c1.metric(md(whole["organisation"][0]), pct(whole["participation_rate"][0]))
    c2.metric(_("The company"), pct(top["participation_rate"][0]))
    st.caption(md(_("Participation in {period}: {mine} people in your organisation, {company} in the company.").format(
        period=label(whole["period"][0]), mine=count(whole["headcount"][0]), company=count(top["headcount"][0]))))

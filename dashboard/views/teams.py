"""Teams at risk: the community manager's weekly list."""

from __future__ import annotations

import io
import re
from datetime import date  # noqa: F401 - the doctests' dates

import polars as pl
import streamlit as st

from dashboard import data, guard, tables
from dashboard.filters import Filters
from dashboard.format import FORMULA_START, count, md
from metrics import figures
from ruche.i18n import N_, _, ngettext, number, pct, period_label as label, term

RULES = {
    "low_participation": N_("fewer than {p} of its people took part in the last complete period"),
    "no_contribution": N_("nobody in it posted or replied for {d} days or more"),
    "participation_drop": N_("its participation fell by {x} points or more against the period before"),
}

HELP = {
    "flagged": N_("A team is flagged when one of the rules fires on it in the last complete period: low "
    "participation, no contribution for a while, or a fall of participation."),
    "changes": N_("The teams whose flags differ from the period before: newly flagged, no longer flagged, or "
    "flagged by other rules."),
}

#: Rows per page of the worklist.
PAGE_SIZE = 25
#: A grain's periods, as the worklist's caption counts them.
GRAINS = {"week": N_("weeks"), "month": N_("months"), "quarter": N_("quarters")}


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The table as CSV, every text cell neutralised against spreadsheet formulas.

    >>> csv_bytes(pl.DataFrame({"team": ["=1+2", "Sales", "@x", None], "n": [-3, 1, 2, 3]})).decode().split()
    ['team,n', "'=1+2,-3", 'Sales,1', "'@x,2", ',3']
    """
    formula = "^[" + "".join(re.escape(c) for c in FORMULA_START) + "]"
    safe = frame.with_columns(
        pl.when(pl.col(c).str.contains(formula)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, t in frame.schema.items() if t == pl.Utf8
    )
    buf = io.BytesIO()
    safe.write_csv(buf)
    return buf.getvalue()


def worklist(flagged: pl.DataFrame, by: str, rules: dict[str, str]) -> pl.DataFrame:
    """One row per team, with the department beside it, the rules that fired in plain words, since
    when the earliest fired, the people it holds: the teams holding the most people first.

    >>> f = pl.DataFrame({"team": ["A", "A", "B"], "department": ["Ops", "Ops", "Tax"],
    ...                   "rule": ["no_contribution", "low_participation", "no_contribution"],
    ...                   "headcount": [6, 6, 9], "participation_now": [0.1, 0.1, 0.5], "participation_before": [0.2, 0.2, None],
    ...                   "last_contribution": [None, None, date(2026, 3, 1)],
    ...                   "flagged_since": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 31)]})
    >>> worklist(f, "team", {"no_contribution": "quiet", "low_participation": "low"}).rows()
    [('B', 'Tax', 9, 'quiet', datetime.date(2026, 3, 31), 0.5, None, '2026-03-01'), ('A', 'Ops', 6, 'low; quiet', datetime.date(2026, 1, 1), 0.1, 0.2, 'never')]
    """
    return (
        flagged.group_by(by)
        .agg(
            pl.col("department").first(),
            pl.col("headcount").first().alias("people"),
            pl.col("rule").replace_strict(rules, default=pl.col("rule")).sort().str.join("; ").alias("why"),
            pl.col("flagged_since").min(),
            pl.col("participation_now", "participation_before").first().round(3),
            pl.col("last_contribution").first().cast(pl.Utf8).fill_null(_("never")),
        )
        .sort(["people", by], descending=[True, False])
    )


def changes(now: pl.DataFrame, before: pl.DataFrame, new: pl.DataFrame, gone: pl.DataFrame, by: str,
            rules: dict[str, str]) -> pl.DataFrame:
    """One row per team with a flag raised or cleared (``new``, ``gone``: the flags of
    :func:`metrics.figures.risk_changes`): newly flagged, no longer flagged, or flagged by other
    rules, with what fired before and what fires now, in plain words.

    >>> flags = lambda *rows: pl.DataFrame(rows, schema=["team", "department", "rule"], orient="row")
    >>> now = flags(("A", "Ops", "low"), ("B", "Tax", "quiet"), ("B", "Tax", "low"))
    >>> before = flags(("B", "Tax", "quiet"), ("C", "Ops", "drop"))
    >>> changes(now, before, now.slice(0, 1).vstack(now.slice(2, 1)), before.slice(1, 1), "team",
    ...         {"low": "low", "quiet": "quiet", "drop": "drop"}).rows()
    [('B', 'Tax', 'flagged by other rules', 'quiet', 'low; quiet'), ('A', 'Ops', 'newly flagged', 'not flagged', 'low'), ('C', 'Ops', 'no longer flagged', 'drop', 'not flagged')]
    """
    def fired(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.group_by(by).agg(
            pl.col("department").first().alias(f"department_{name}"),
            pl.col("rule").replace_strict(rules, default=pl.col("rule")).sort().str.join("; ").alias(name))

    teams = pl.concat([new.select(by), gone.select(by)]).unique()
    both = (teams.join(fired(now, "now"), on=by, how="left")
            .join(fired(before, "before"), on=by, how="left"))
    return (
        both.with_columns(
            pl.coalesce("department_now", "department_before").alias("department"),
            pl.when(pl.col("before").is_null()).then(pl.lit(_("newly flagged")))
            .when(pl.col("now").is_null()).then(pl.lit(_("no longer flagged")))
            .otherwise(pl.lit(_("flagged by other rules"))).alias("change"),
        )
        .select(by, "department", "change", pl.col("before").fill_null(_("not flagged")),
                pl.col("now").fill_null(_("not flagged")))
        .sort(["change", by])
    )


def render(f: Filters) -> None:
    st.title(_("Teams at risk"))
    s = data.settings()
    rules = {k: _(v).format(p=pct(s.inactive_participation, 0), d=s.inactive_days, x=number(s.inactive_drop_points, 0))
             for k, v in RULES.items()}
    by = "team"
    now, before = figures.teams_at_risk(data.source(), data.query("inactive-teams", f))
    flagged = now.rows
    extra = now.extra
    as_of = extra.get("as_of")
    scope = _("Every team of the organisation")
    if f.group is not None and as_of is not None:
        scope = (_("The teams with people in {by} {group}").format(by=term(f.by), group=f.group) if f.by != "team"
                 else _("Team {group}").format(group=f.group))
    st.caption(md(_("As of {day}: period {period} against {previous}, the last complete {grains} up to the end of "
                    "the range. {scope}. Each team is listed once, with every rule that fires.").format(
                      day=as_of, period=label(extra.get("period")), previous=label(extra.get("previous_period")),
                      grains=_(GRAINS[f.period]) if f.period in GRAINS else f"{f.period}s", scope=scope)))
    if flagged.is_empty():
        st.success(md(_("{scope}: none is flagged by any rule.").format(scope=scope)))
        return
    shown = worklist(flagged, by, rules)
    st.subheader(ngettext("{n} team flagged", "{n} teams flagged", shown.height).format(n=count(shown.height)),
                 help=_(HELP["flagged"]))
    st.caption(_("The teams holding the most people first. \"Flagged since\": the first day the earliest of its "
                 "rules fired without a break (looking back 12 periods at most). \"never\": nobody in the team "
                 "ever posted or replied."))
    search = st.text_input(_("Team or department contains"), key="teams_search", placeholder=_("e.g. Paris"))
    if search:
        needle = search.lower()
        shown = shown.filter(pl.col(by).str.to_lowercase().str.contains(needle, literal=True)
                             | pl.col("department").fill_null("").str.to_lowercase().str.contains(needle, literal=True))
    pages = max(1, -(-shown.height // PAGE_SIZE))
    page = st.number_input(_("Page (of {pages})").format(pages=pages), min_value=1, max_value=pages, value=1, step=1, key="teams_page")
    st.dataframe(
        shown.slice((int(page) - 1) * PAGE_SIZE, PAGE_SIZE), hide_index=True, width="stretch",
        height=36 * (min(PAGE_SIZE, shown.height) + 1) + 4, key="teams_worklist",
        column_config={
            "team": st.column_config.TextColumn(term("team")),
            "department": st.column_config.TextColumn(term("department")),
            "people": st.column_config.NumberColumn(_("people"), format="%d"),
            "why": st.column_config.TextColumn(_("why it is flagged")),
            "flagged_since": st.column_config.DateColumn(_("flagged since")),
            "participation_now": st.column_config.NumberColumn(_("participation now"), format="percent"),
            "participation_before": st.column_config.NumberColumn(_("participation before"), format="percent"),
            "last_contribution": st.column_config.TextColumn(_("last contribution")),
        },
    )
    st.caption(_("Teams {first}–{last} of {n}.").format(first=min(shown.height, (int(page) - 1) * PAGE_SIZE + 1),
                                                        last=min(shown.height, int(page) * PAGE_SIZE), n=shown.height))
    st.download_button(_("Download as CSV"), csv_bytes(shown), file_name="teams-at-risk.csv",
                       mime="text/csv", key="teams_csv", on_click=guard.note,
                       args=("export", "teams-at-risk", {"rows": shown.height}))

    st.subheader(_("Changes since the last period"), help=_(HELP["changes"]))
    changed = figures.risk_changes(now, before)
    if changed is None:
        st.write(_("No earlier period to compare with."))
    else:
        new, gone = changed
        c1, c2, c3 = st.columns(3)
        c1.metric(_("New flags"), count(new.height), help=_("A rule that fires on a team now and did not the period "
                  "before (a team flagged by two new rules counts twice)."))
        c2.metric(_("Teams with a new flag"), count(new[by].n_unique()), help=_("Teams on which at least one rule "
                  "fires now that did not the period before."))
        c3.metric(_("Flags cleared"), count(gone.height), help=_("A rule that fired on a team the period before and "
                  "does not now."))
        teams = changes(flagged, before.rows, new, gone, by, rules)
        if teams.height:
            tables.show(teams, key="teams_changes", column_config={
                "team": term("team"), "department": term("department"), "change": _("change"),
                "before": _("before"), "now": _("now")})
    if now.suppressed_groups:
        st.caption(ngettext("{n} team of the organisation under the minimum size is never shown.",
                            "{n} teams of the organisation under the minimum size are never shown.",
                            now.suppressed_groups).format(n=count(now.suppressed_groups)))

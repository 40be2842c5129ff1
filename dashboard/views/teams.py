"""Teams at risk: the community manager's weekly list."""

from __future__ import annotations

import io
import re
from datetime import date  # noqa: F401 - the doctests' dates

import polars as pl
import streamlit as st

from dashboard import data, guard, tables
from dashboard.filters import Filters
from dashboard.format import FORMULA_START, count, md, plural
from metrics import figures

RULES = {
    "low_participation": "fewer than {p:.0%} of its people took part in the last complete period",
    "no_contribution": "nobody in it posted or replied for {d} days or more",
    "participation_drop": "its participation fell by {x:.0f} points or more against the period before",
}

HELP = {
    "flagged": "A team is flagged when one of the rules fires on it in the last complete period: low "
    "participation, no contribution for a while, or a fall of participation.",
    "changes": "The teams whose flags differ from the period before: newly flagged, no longer flagged, or "
    "flagged by other rules.",
}

#: Rows per page of the worklist.
PAGE_SIZE = 25


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
            pl.col("last_contribution").first().cast(pl.Utf8).fill_null("never"),
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
            pl.when(pl.col("before").is_null()).then(pl.lit("newly flagged"))
            .when(pl.col("now").is_null()).then(pl.lit("no longer flagged"))
            .otherwise(pl.lit("flagged by other rules")).alias("change"),
        )
        .select(by, "department", "change", pl.col("before").fill_null("not flagged"),
                pl.col("now").fill_null("not flagged"))
        .sort(["change", by])
    )


def render(f: Filters) -> None:
    st.title("Teams at risk")
    s = data.settings()
    rules = {k: v.format(p=s.inactive_participation, d=s.inactive_days, x=s.inactive_drop_points)
             for k, v in RULES.items()}
    by = "team"
    now, before = figures.teams_at_risk(data.source(), data.query("inactive-teams", f))
    flagged = now.rows
    extra = now.extra
    as_of = extra.get("as_of")
    scope = "Every team of the organisation"
    if f.group is not None and as_of is not None:
        scope = f"The teams with people in {f.by} {f.group}" if f.by != "team" else f"Team {f.group}"
    st.caption(md(f"As of {as_of}: period {extra.get('period')} against {extra.get('previous_period')}, the last "
                  f"complete {f.period}s up to the end of the range. {scope}. Each team is listed once, with "
                  "every rule that fires."))
    if flagged.is_empty():
        st.success(md(f"{scope}: none is flagged by any rule."))
        return
    shown = worklist(flagged, by, rules)
    st.subheader(f"{plural(shown.height, 'team')} flagged", help=HELP["flagged"])
    st.caption("The teams holding the most people first. \"Flagged since\": the first day the earliest of its "
               "rules fired without a break (looking back 12 periods at most). \"never\": nobody in the team "
               "ever posted or replied.")
    search = st.text_input("Team or department contains", key="teams_search", placeholder="e.g. Paris")
    if search:
        needle = search.lower()
        shown = shown.filter(pl.col(by).str.to_lowercase().str.contains(needle, literal=True)
                             | pl.col("department").fill_null("").str.to_lowercase().str.contains(needle, literal=True))
    pages = max(1, -(-shown.height // PAGE_SIZE))
    page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1, key="teams_page")
    st.dataframe(
        shown.slice((int(page) - 1) * PAGE_SIZE, PAGE_SIZE), hide_index=True, width="stretch",
        height=36 * (min(PAGE_SIZE, shown.height) + 1) + 4, key="teams_worklist",
        column_config={
            "people": st.column_config.NumberColumn("people", format="%d"),
            "why": st.column_config.TextColumn("why it is flagged"),
            "flagged_since": st.column_config.DateColumn("flagged since"),
            "participation_now": st.column_config.NumberColumn("participation now", format="percent"),
            "participation_before": st.column_config.NumberColumn("participation before", format="percent"),
            "last_contribution": st.column_config.TextColumn("last contribution"),
        },
    )
    st.caption(f"Teams {min(shown.height, (int(page) - 1) * PAGE_SIZE + 1)}–"
               f"{min(shown.height, int(page) * PAGE_SIZE)} of {shown.height}.")
    st.download_button("Download as CSV", csv_bytes(shown), file_name="teams-at-risk.csv",
                       mime="text/csv", key="teams_csv", on_click=guard.note,
                       args=("export", "teams-at-risk", {"rows": shown.height}))

    st.subheader("Changes since the last period", help=HELP["changes"])
    changed = figures.risk_changes(now, before)
    if changed is None:
        st.write("No earlier period to compare with.")
    else:
        new, gone = changed
        c1, c2, c3 = st.columns(3)
        c1.metric("New flags", count(new.height), help="A rule that fires on a team now and did not the period "
                  "before (a team flagged by two new rules counts twice).")
        c2.metric("Teams with a new flag", count(new[by].n_unique()), help="Teams on which at least one rule fires "
                  "now that did not the period before.")
        c3.metric("Flags cleared", count(gone.height), help="A rule that fired on a team the period before and "
                  "does not now.")
        teams = changes(flagged, before.rows, new, gone, by, rules)
        if teams.height:
            tables.show(teams, key="teams_changes")
    if now.suppressed_groups:
        st.caption(f"{plural(now.suppressed_groups, 'team')} of the organisation under the minimum size "
                   f"{'is' if now.suppressed_groups == 1 else 'are'} never shown.")

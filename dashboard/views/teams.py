"""Teams at risk: the community manager's weekly list."""

from __future__ import annotations

import io
import re

import polars as pl
import streamlit as st

from dashboard import data, guard
from dashboard.filters import Filters
from dashboard.format import FORMULA_START, count, md
from metrics import figures

RULES = {
    "low_participation": "participation under {p:.0%} over the last complete period",
    "no_contribution": "no contribution for {d} days",
    "participation_drop": "participation fell by {x:.0f} points or more against the period before",
}


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


def by_team(flagged: pl.DataFrame, by: str) -> pl.DataFrame:
    """One row per team: the rules that fired (comma-separated), most rules first."""
    return (
        flagged.group_by(by)
        .agg(
            pl.col("rule").sort().str.join(", ").alias("rules"),
            pl.len().alias("rules_fired"),
            pl.col("period", "headcount", "participation_now", "participation_before",
                   "last_contribution").first(),
        )
        .with_columns(pl.col("participation_now", "participation_before").round(3))
        .sort(["rules_fired", "participation_now", by], descending=[True, False, False])
        .drop("rules_fired")
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
                  f"complete {f.period}s up to the end of the range. {scope}. A team is flagged once per "
                  "rule that fires."))
    if flagged.is_empty():
        st.success(md(f"{scope}: none is flagged by any rule."))
        return
    teams = flagged[by].n_unique()
    st.subheader(f"{teams} team(s) flagged")
    st.caption("Teams flagged by the most rules first, then the least active.")

    picked = st.multiselect("Rules", list(rules), default=list(rules), format_func=lambda r: rules[r],
                            key="teams_rules")
    search = st.text_input("Team contains", key="teams_search", placeholder="e.g. Paris")
    shown = by_team(flagged.filter(pl.col("rule").is_in(picked)), by)
    if search:
        shown = shown.filter(pl.col(by).str.to_lowercase().str.contains(search.lower(), literal=True))
    st.dataframe(
        shown, hide_index=True, width="stretch",
        column_config={
            "participation_now": st.column_config.NumberColumn("participation now", format="percent"),
            "participation_before": st.column_config.NumberColumn("participation before", format="percent"),
            "last_contribution": st.column_config.DateColumn("last contribution"),
        },
    )
    st.download_button("Download as CSV", csv_bytes(shown), file_name="teams-at-risk.csv",
                       mime="text/csv", key="teams_csv", on_click=guard.note,
                       args=("export", "teams-at-risk", {"rows": shown.height, "rules": ",".join(picked)}))

    st.subheader("Changes since the last period")
    before = before.rows if before is not None else None
    if before is None or before.is_empty() and flagged.is_empty():
        st.write("No earlier period to compare with.")
    else:
        key = [by, "rule"]
        new = flagged.join(before.select(key), on=key, how="anti")
        gone = before.join(flagged.select(key), on=key, how="anti")
        c1, c2 = st.columns(2)
        c1.metric("Newly flagged", count(new.height))
        c2.metric("No longer flagged", count(gone.height))
        for title, frame in (("Newly flagged", new), ("No longer flagged", gone)):
            if frame.height:
                st.caption(title)
                st.dataframe(frame.select(key), hide_index=True, width="stretch")
    if now.suppressed_groups:
        st.caption(f"{now.suppressed_groups} team(s) of the organisation under the minimum size are never shown.")

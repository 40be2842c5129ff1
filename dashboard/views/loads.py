"""Data: what was loaded, what was rejected and why, coverage and freshness."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import streamlit as st

from dashboard import data, tables
from dashboard.filters import Filters
from dashboard.format import count, md
from ruche.config import PRIVATE_SETTINGS, SETTINGS


def render(f: Filters) -> None:
    st.title("Data")
    status = data.store_status(data.version())
    last_load = status["last_load"]
    age = None
    if last_load is not None:
        age = datetime.now(timezone.utc).replace(tzinfo=None) - last_load
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("People known", count(status["people"]), help="Every person in the store over the whole history, "
              "internal and external (guests, partners): not a headcount.")
    c2.metric("Activities", count(status["activities"]), help="Events loaded: posts, replies, reactions, "
              "mentions, reads, joins.")
    c3.metric("Last activity", status["last_activity"].date().isoformat() if status["last_activity"] else "–",
              help="The most recent event or usage report in the store.")
    c4.metric("Last load", "–" if age is None else (f"{age.days} days ago" if age.days else "today"),
              help="When the last successful load finished (UTC).")
    st.caption(md(f"Whole store, whatever the filters: {count(status['people'])} people known, of whom "
                  f"{count(status['internal_people'])} internal, ever. Sources: " + (", ".join(status["sources"]) or "none")))

    settings = data.settings()
    pulls = data.pulls(data.version(), datetime.now(timezone.utc).date(), int(settings.stale_after_days))
    if not pulls.is_empty():
        stale = pulls.filter(pl.col("stale"))
        if not stale.is_empty():
            # source names and days only: nothing an export can put here
            late = "; ".join(f"{r['source']} ends on {r['data_through']} ({count(r['days_behind'])} days missing)"
                             for r in stale.iter_rows(named=True))
            st.warning(f"Data older than {count(settings.stale_after_days)} days (setting stale_after_days): {late}. "
                       "Check that `ruche pull --all` runs (its cron line or systemd timer) and what its last run said.")
        st.subheader("Pulled from the APIs", help="Each source `ruche pull` fetches: the last day its data covers, "
                     "the whole days missing since, and when its last pull that brought data was published (UTC).")
        tables.show(pulls, key="pulls_table")

    st.subheader("Coverage per source and period",
                 help="Records (events, or usage-report rows) and distinct people per source: a hole "
                 "is a missing export.")
    cov = data.coverage(data.version(), f.period)
    st.caption(f"Per {f.period}, over the whole history and every group, whatever the range and group: "
               "what the store holds.")
    if cov.is_empty():
        st.write("No activity loaded yet.")
    else:
        tables.show(cov.pivot(on="source", index="period", values="records").sort("period"), key="coverage_table")

    st.subheader("Loads", help="Every load: its file, what it read, loaded, rejected and skipped by rule "
                 "(bots, system messages). A file loaded before is recorded as unchanged.")
    runs = data.runs(data.version())
    # a file's name is long: a column of fixed width keeps the table inside the page
    tables.show(runs, key="loads_table", column_config={"file": st.column_config.TextColumn("file", width="medium")})

    with st.expander("Configuration in force"):
        st.caption(md(f"Read from {settings.source or 'defaults and the environment (no ruche.toml)'}."))
        # the app registration's ids identify the organisation's tenant: said to be set, never shown
        st.json({s.name: ("(set)" if getattr(settings, s.name) else "") if s.name in PRIVATE_SETTINGS
                 else getattr(settings, s.name) for s in SETTINGS})

    st.subheader("Rejected rows", help="Rows that could not be loaded, by file and reason. The rows are "
                 "kept in the store's rejects table, identifiers pseudonymised.")
    rejects = data.rejects(data.version())
    if rejects.is_empty():
        st.success("No row was rejected.")
    else:
        tables.show(rejects, key="rejects_table")

    usage = data.organisation_usage(data.version(), f.min_group_size)
    if not usage.is_empty():
        st.subheader("Organisation-level usage (Microsoft 365 reports)",
                     help="Per report and window, the counts that are true of the whole organisation: users, "
                     "readers, posters, likers (ruche metrics organisation-usage).")
        if usage["concealed"].any():
            st.caption("Some reports conceal their users' names: their counts are the organisation's only, never a "
                       "person's, a department's or a community's, and no other figure uses them. An administrator "
                       "shows names again in the Microsoft 365 admin center > Settings > Org settings > Services > "
                       "Reports (docs/formats.md).")
        tables.show(usage.pivot(on="measure", index=["source", "report_date", "period_days", "covers"],
                                values="value").sort("report_date", "source"), key="usage_table")

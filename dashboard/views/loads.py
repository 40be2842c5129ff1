"""Data: what was loaded, what was rejected and why, coverage and freshness."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import streamlit as st

from dashboard import data, tables
from dashboard.filters import Filters
from dashboard.format import count, headers, md
from ingest.reasons import say
from ruche.config import PRIVATE_SETTINGS, SETTINGS
from ruche.i18n import _, ngettext, term


def render(f: Filters) -> None:
    st.title(_("Data"))
    status = data.store_status(data.version())
    last_load = status["last_load"]
    age = None
    if last_load is not None:
        age = datetime.now(timezone.utc).replace(tzinfo=None) - last_load
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("People known"), count(status["people"]), help=_("Every person in the store over the whole history, "
              "internal and external (guests, partners): not a headcount."))
    c2.metric(_("Activities"), count(status["activities"]), help=_("Events loaded: posts, replies, reactions, "
              "mentions, reads, joins."))
    c3.metric(_("Last activity"), status["last_activity"].date().isoformat() if status["last_activity"] else "–",
              help=_("The most recent event or usage report in the store."))
    c4.metric(_("Last load"), "–" if age is None else (ngettext("{n} day ago", "{n} days ago", age.days).format(n=age.days)
                                                     if age.days else _("today")),
              help=_("When the last successful load finished (UTC)."))
    st.caption(md(_("Whole store, whatever the filters: {people} people known, of whom {internal} internal, ever. "
                    "Sources: {sources}").format(people=count(status["people"]), internal=count(status["internal_people"]),
                                                 sources=", ".join(status["sources"]) or _("none"))))

    settings = data.settings()
    pulls = data.pulls(data.version(), datetime.now(timezone.utc).date(), int(settings.stale_after_days))
    if not pulls.is_empty():
        stale = pulls.filter(pl.col("stale"))
        if not stale.is_empty():
            # source names and days only: nothing an export can put here
            late = "; ".join(_("{source} ends on {day} ({n} days missing)").format(
                source=r["source"], day=r["data_through"], n=count(r["days_behind"])) for r in stale.iter_rows(named=True))
            st.warning(_("Data older than {n} days (setting stale_after_days): {late}. Check that `ruche pull --all` "
                         "runs (its cron line or systemd timer) and what its last run said.").format(
                n=count(settings.stale_after_days), late=late))
        st.subheader(_("Pulled from the APIs"), help=_("Each source `ruche pull` fetches: the last day its data covers, "
                     "the whole days missing since, and when its last pull that brought data was published (UTC)."))
        tables.show(pulls, key="pulls_table")

    st.subheader(_("Coverage per source and period"),
                 help=_("Records (events, or usage-report rows) and distinct people per source: a hole "
                 "is a missing export."))
    cov = data.coverage(data.version(), f.period)
    st.caption(_("Per {grain}, over the whole history and every group, whatever the range and group: "
                 "what the store holds.").format(grain=term(f.period)))
    if cov.is_empty():
        st.write(_("No activity loaded yet."))
    else:
        tables.show(cov.pivot(on="source", index="period", values="records").sort("period"), key="coverage_table")

    st.subheader(_("Loads"), help=_("Every load: its file, what it read, loaded, rejected and skipped by rule "
                 "(bots, system messages). A file loaded before is recorded as unchanged."))
    runs = data.runs(data.version())
    # a file's name is long: a column of fixed width keeps the table inside the page
    tables.show(runs, key="loads_table", column_config={"file": st.column_config.TextColumn("file", width="medium")})

    with st.expander(_("Configuration in force")):
        st.caption(md(_("Read from {source}.").format(
            source=settings.source or _("defaults and the environment (no ruche.toml)"))))
        # the app registration's ids identify the organisation's tenant: said to be set, never shown
        st.json({s.name: ("(set)" if getattr(settings, s.name) else "") if s.name in PRIVATE_SETTINGS
                 else getattr(settings, s.name) for s in SETTINGS})

    st.subheader(_("Rejected rows"), help=_("Rows that could not be loaded, by file and reason. The rows are "
                 "kept in the store's rejects table, identifiers pseudonymised."))
    rejects = data.rejects(data.version())
    if rejects.is_empty():
        st.success(_("No row was rejected."))
    else:
        # stored in English (data), read in the session's language
        said = {r: say(r) for r in rejects["reason"].unique().to_list() if r}
        tables.show(rejects.with_columns(pl.col("reason").replace(said)), key="rejects_table")

    usage = data.organisation_usage(data.version(), f.min_group_size)
    if not usage.is_empty():
        st.subheader(_("Organisation-level usage (Microsoft 365 reports)"),
                     help=_("Per report and window, the counts that are true of the whole organisation: users, "
                     "readers, posters, likers (ruche metrics organisation-usage)."))
        if usage["concealed"].any():
            st.caption(_("Some reports conceal their users' names: their counts are the organisation's only, never a "
                         "person's, a department's or a community's, and no other figure uses them. An administrator "
                         "shows names again in the Microsoft 365 admin center > Settings > Org settings > Services > "
                         "Reports (docs/formats.md)."))
        tables.show(usage.pivot(on="measure", index=["source", "report_date", "period_days", "covers"],
                                values="value").sort("report_date", "source"), key="usage_table")

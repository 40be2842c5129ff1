"""Audit: who viewed or exported what, with which filters, when (administrators only)."""

from __future__ import annotations

import json

import polars as pl
import streamlit as st

from dashboard import data, format as fmt, guard, tables
from dashboard.filters import Filters
from dashboard.views.teams import csv_bytes
from ruche import audit
from ruche.i18n import _
from dashboard.format import headers


def render(f: Filters) -> None:
    st.title(_("Audit"))
    st.caption(_("Every page view (once per set of filters), export, sign-in refusal and denied page, "
                 "newest first. Events reach the store with its next load; the newest ones are read from "
                 "the spool beside it until then."))
    stored = data.audit_log(data.version())
    pending = audit.pending(audit.spool_path(data.db_path()))
    if pending:
        fresh = pl.DataFrame(
            [{"occurred_at": e["at"], "user_email": e["user_email"], "role": e["role"], "action": e["action"],
              "page": e["page"], "detail": json.dumps(e.get("detail") or {}, default=str)} for e in reversed(pending)]
        ).with_columns(pl.col("occurred_at").str.to_datetime())
        log = pl.concat([fresh, stored.with_columns(pl.col("detail").cast(pl.Utf8))], how="vertical_relaxed")
    else:
        log = stored.with_columns(pl.col("detail").cast(pl.Utf8))
    # newest first; events of the same instant stay in the order they were written (newest first)
    log = log.sort("occurred_at", descending=True, maintain_order=True)
    users = sorted(u for u in log["user_email"].unique().to_list() if u)
    who = st.multiselect(_("People"), users, key="audit_users")
    if who:
        log = log.filter(pl.col("user_email").is_in(who))
    tables.show(log.with_columns(pl.col("detail").map_elements(fmt.detail, return_dtype=pl.Utf8)), key="audit_table")
    st.download_button(_("Download as CSV"), csv_bytes(log), file_name="ruche-audit.csv", mime="text/csv",
                       key="audit_csv", on_click=guard.note, args=("export", "audit", {"rows": log.height}))

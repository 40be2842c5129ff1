"""People: the boundary spanners and champions, for administrators only.

Rows are people, shown by pseudonym. With the ``directory_file`` setting, a name is added in
memory, read from that file and hashed with the key; it is never written anywhere.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data, guard, tables
from dashboard.filters import Filters
from dashboard.format import headers, md
from dashboard.words import MEANINGS
from dashboard.views.network import person_graph_age
from dashboard.views.teams import csv_bytes
from metrics import figures
from metrics.centrality import name_people
from metrics.groups import MetricError
from ruche.errors import RucheError
from ruche.i18n import _, term


def _named(frame: pl.DataFrame) -> pl.DataFrame:
    s = data.settings()
    if frame.is_empty() or not s.directory_file:
        return frame
    from ruche import keys
    from ruche.privacy import Pseudonymiser, load_key

    try:
        pseudonymiser = Pseudonymiser(load_key(s.key_file, create=False))
        keys.verify(data.cursor(), pseudonymiser)
        return name_people(frame, s.directory_file, pseudonymiser)
    except (RucheError, OSError) as exc:
        st.warning(md(_("Names cannot be shown: {error}").format(error=exc)))
        return frame


def render(f: Filters) -> None:
    st.title(_("People"))
    st.caption(_("Person-level views, for administrators. People appear by pseudonym, shortened to its first "
                 "8 characters (\"person 3f2a9c1b\"; the CSV holds the whole one)")
               + (_(", named from the directory file in memory only.") if data.settings().directory_file
                  else _("; set `directory_file` in the configuration to see names (resolved in memory, "
                         "never stored).")))
    st.subheader(_("Boundary spanners"), help=_("The people with the highest betweenness in the interaction "
                 "graph: those through whom groups reach each other. Betweenness is sampled on large "
                 "graphs; the sample is stated below.") + " " + _(MEANINGS["betweenness"]))
    try:
        bridges = data.figure("bridges", f)
    except MetricError as exc:  # the person graph refused, more memory than memory_limit gives: said as such
        bridges, refusal = None, exc
    if bridges is None:
        st.info(_("Not computed: {why}").format(why=refusal))
    elif (top := bridges.frame("top_spanners")).is_empty():
        st.write(_("No interactions between groups in this range."))
    else:
        info = bridges.extra.get("betweenness") or {}
        tables.show(_named(top), key="spanners_table")
        st.caption(md(_("Over the whole history and the whole organisation, whatever the period range and group")
                      + person_graph_age(info) + ". "
                      + (_("Betweenness exact.") if info.get("exact") else
                         _("Betweenness sampled from {n} sources.").format(n=info.get("sources")))))
        # the group each spanner is shown in: the one held on the graph's day, or today's
        st.caption(md(_("Covers: {covers}.").format(covers=bridges.covers)))
    st.subheader(_("Champions"), help=_("The people with the most posts and replies over the range, with the "
                 "replies their messages received from others."))
    fig = figures.champions(data.source(), data.query("champions", f))
    champions = fig.rows
    if fig.narrowed:
        st.caption(md(_("Over the range, the first {n} of {by} {group}.").format(
            n=champions.height, by=term(f.by), group=f.group)))
    elif f.group is not None:
        st.caption(md(_("Over the range, every group: the champions carry their department and team only, not "
                        "their {by}.").format(by=term(f.by))))
    else:
        st.caption(_("Over the range, the whole organisation."))
    champions = _named(champions)
    tables.show(champions, key="champions_table")
    st.download_button(_("Download as CSV"), csv_bytes(champions), file_name="champions.csv", mime="text/csv",
                       key="champions_csv", on_click=guard.note,
                       args=("export", "people", {"rows": champions.height, "named": "name" in champions.columns}))

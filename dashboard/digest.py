"""The digests ``ruche notify`` sends: what a community manager, a sponsor or a team lead reads.

A digest is a list of sections, each made by one function from the figures of
:mod:`metrics.figures` (and :mod:`metrics.headlines`), the ones the dashboard shows for the same
query: a digest formats figures, it computes none. Group figures only, never a person; every
group shown is one the layer shows (at least ``min_group_size`` people, the sponsors'
``sponsor_min_group_size``).

- **community** (weekly, community managers): teams newly at risk, participation this week,
  communities gone idle, unanswered threads, newcomers who lapsed;
- **sponsor** (monthly, sponsors): the Overview's headlines against the roadmap's targets, the
  groups leading and trailing with their phase, and the participation chart;
- **team** (weekly, a team's lead, only for a team of at least ``min_group_size`` people): the
  team's participation and the rules that flag it.

The sections on idle communities, unanswered threads and lapsed newcomers read the measures
``communities``, ``responsiveness`` and ``lifecycle`` (:data:`EXPECTED`); a build without one of
them says "not available in this version" in its section, never a figure.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from dashboard import charts, summary
from dashboard.format import count, pct, points
from metrics import headlines, registry
from metrics.figures import (Figure, Query, Source, communities_gone_idle, figure, risk_changes, scope_trend,
                             teams_at_risk)
from metrics.teams import rule_settings
from ruche.config import Settings
from ruche.i18n import N_, _, day_label, ngettext, number, period_label as label, term

NOT_AVAILABLE = N_("not available in this version")

#: The measures the sections on communities, threads and contributors read, and the columns each
#: needs: (measure, columns, what they are).
EXPECTED = {
    "idle": ("communities", ("community", "source", "idle"),
             "one row per community of at least k members (the organisation's, over the range), `idle` true "
             "when nobody posted or replied in it over the last 30 days of the range"),
    "unanswered": ("responsiveness", ("period", "threads", "threads_answered"),
                   "one row per period (by organisation): the threads started in the period and those that got "
                   "a reply from someone other than the author"),
    "lapsed": ("lifecycle", ("period", "new", "lapsed", "lapsed_newcomers"),
               "one row per period (by organisation): the people who contributed for the first time (new), those "
               "who contributed in the period before and not in this one (lapsed), and of them those whose first "
               "contribution was in the period before (lapsed_newcomers)"),
}

#: The rules of the teams at risk, in plain words (settings filled in).
RULES = {
    "low_participation": N_("participation under {p}"),
    "no_contribution": N_("no post or reply for {d} days"),
    "participation_drop": N_("participation down {x} points or more"),
}

#: What the sections' figures mean, one line each, for readers who never opened the dashboard.
MEANING = {
    "participation": N_("Participation: the share of the people employed who did at least one thing on the "
    "network (read, post, reply, react)."),
    "contribution": N_("Contribution: the share who posted or replied."),
    "at_risk": N_("A team is flagged by a rule that fired over the last complete week; newly flagged: a rule "
    "that did not fire the week before."),
}

#: A section's title and its change, by grain.
THIS = {"week": N_("Participation this week"), "month": N_("Participation this month"),
        "quarter": N_("Participation this quarter")}
BEFORE = {"week": N_("({change} against the week before)"), "month": N_("({change} against the month before)"),
          "quarter": N_("({change} against the quarter before)")
}

AUDIENCE = {"community": "community-manager", "sponsor": "sponsor", "team": "team-lead"}
PAGE = {"community": "teams-at-risk", "sponsor": "overview"}  # the dashboard page a digest's role must see


@dataclass
class Section:
    title: str
    lines: list[str]
    figures: dict[str, Any] = field(default_factory=dict)  # what the section says, for the checks
    available: bool = True


@dataclass
class Digest:
    kind: str  # community, sponsor, team
    period: str  # the period it describes: the key that keeps it from being sent twice
    subject: str
    sections: list[Section]
    team: str | None = None
    chart: Any = None  # the sponsor's participation chart (a plotly figure)

    @property
    def audience(self) -> str:
        return AUDIENCE[self.kind]

    def section(self, title: str) -> Section:
        return next(s for s in self.sections if s.title == title)

    def text(self) -> str:
        parts = [self.subject, ""]
        for s in self.sections:
            parts += [s.title, *(f"- {line}" for line in s.lines), ""]
        return "\n".join(parts).rstrip() + "\n"

    def markdown(self, bold: str = "**", escape=None) -> str:
        """Slack (``bold="*"``) and Mattermost (``"**"``) markdown; ``escape``: the channel's
        escaping of text (group names come from the exports: ``<!channel>`` or ``@all`` in a
        team's name must not notify a whole channel)."""
        escape = escape or (lambda text: text)
        parts = [f"{bold}{escape(self.subject)}{bold}"]
        for s in self.sections:
            parts.append(f"{bold}{escape(s.title)}{bold}\n" + "\n".join(f"• {escape(line)}" for line in s.lines))
        return "\n\n".join(parts)

    def html(self, image_cid: str | None = None, chart_note: str | None = None) -> str:
        body = [f"<h2 style=\"color:{charts.ACCENT}\">{html.escape(self.subject)}</h2>"]
        for s in self.sections:
            body.append(f"<h3>{html.escape(s.title)}</h3><ul>"
                        + "".join(f"<li>{html.escape(line)}</li>" for line in s.lines) + "</ul>")
        if image_cid:
            alt = html.escape(_("Participation per month"))
            body.append(f'<p><img src="cid:{html.escape(image_cid)}" alt="{alt}" '
                        'style="max-width:100%;height:auto"></p>')
        elif chart_note:
            body.append(f"<p style=\"color:{charts.NEUTRAL}\">{html.escape(chart_note)}</p>")
        return ("<!doctype html><html><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>"
                "<body style=\"font-family:system-ui,sans-serif;max-width:640px\">" + "".join(body) + "</body></html>")


def rule_words(settings: Settings) -> dict[str, str]:
    return {k: _(v).format(p=pct(settings.inactive_participation, 0), d=settings.inactive_days,
                           x=number(settings.inactive_drop_points, 0))
            for k, v in RULES.items()}


def inactive_extra(settings: Settings) -> dict:
    """The rules' settings as the dashboard and the stored results pass them
    (:func:`metrics.teams.rule_settings`)."""
    return rule_settings(settings)


# -- sections: each takes the layer's figures and words them ------------------------------------------------


def teams_newly_at_risk(now: Figure, before: Figure | None, settings: Settings, top: int = 15) -> Section:
    """The flags raised since the week before (:func:`metrics.figures.risk_changes`), by team."""
    title = _("Teams newly at risk")
    words = rule_words(settings)
    flagged = now.rows["team"].n_unique() if now.rows.height else 0
    changes = risk_changes(now, before)
    if changes is None:
        lines = [_("{n} team(s) flagged in {period}; no earlier week to compare with.").format(
            n=count(flagged), period=label(now.extra.get("period")))]
        return Section(title, lines, {"flagged_teams": flagged, "newly_flagged": None})
    new, gone = changes
    teams = new.group_by("team", maintain_order=True).agg(pl.col("rule"))
    lines = [_("{new} new flag(s) on {teams} team(s) in {period} against {previous}; {cleared} flag(s) cleared; "
               "{flagged} team(s) flagged in all.").format(
        new=count(new.height), teams=count(teams.height), period=label(now.extra.get("period")),
        previous=label(now.extra.get("previous_period")), cleared=count(gone.height), flagged=count(flagged))
        + " " + _(MEANING["at_risk"])]
    for team, rules in teams.head(top).iter_rows():
        lines.append(f"{team}: {', '.join(words[r] for r in rules)}")
    if teams.height > top:
        lines.append(_("and {n} more team(s) on the dashboard's Teams at risk page").format(n=count(teams.height - top)))
    if now.suppressed_groups:
        lines.append(_("{n} team(s) under {k} people are never shown.").format(
            n=count(now.suppressed_groups), k=now.query.min_group_size))
    return Section(title, lines, {"flagged_teams": flagged, "newly_flagged": new.height,
                                  "newly_flagged_teams": teams["team"].to_list(), "cleared": gone.height})


def participation_this_period(trend: Figure, grain: str = "week") -> Section:
    """The participation and contribution rates of the last complete period, and their change."""
    title = _(THIS[grain]) if grain in THIS else f"Participation this {grain}"
    p, c = trend.reading("participation_rate"), trend.reading("contribution_rate")
    if p.value is None:
        return Section(title, [_("No activity in the store for this range.")], {"participation_rate": None})
    row = trend.latest().row(0, named=True)
    change = points(p.delta)
    lines = [
        _("Participation {rate} in {period}").format(rate=pct(p.value), period=label(p.period))
        + (" " + _(BEFORE.get(grain, "({change} against the period before)")).format(change=change) if change else "")
        + _(": {active} of {headcount} people took part.").format(active=count(row["active"]),
                                                                   headcount=count(row["headcount"]))
        + " " + _(MEANING["participation"]),
        _("Contribution {rate}").format(rate=pct(c.value)) + (f" ({points(c.delta)})" if points(c.delta) else "")
        + _(": {n} people posted or replied.").format(n=count(row["contributors"])),
    ]
    return Section(title, lines, {"period": p.period, "participation_rate": p.value, "participation_delta": p.delta,
                                  "contribution_rate": c.value, "active": row["active"],
                                  "headcount": row["headcount"]})


def unavailable(title: str, key: str) -> Section:
    return Section(title, [f"{title}: {_(NOT_AVAILABLE)}."], {key: None}, available=False)


def available(key: str) -> bool:
    """Whether this version registers the measure of :data:`EXPECTED` ``key``."""
    return EXPECTED[key][0] in registry.names()


def expected_figure(source: Source, query: Query, key: str) -> Figure | None:
    """The figure of :data:`EXPECTED` ``key`` under ``query``, or None when no measure of that name
    gives its columns (this version does not measure it)."""
    measure, columns, _ = EXPECTED[key]
    if not available(key):
        return None
    fig = figure(source, query.but(measure=measure))
    return fig if set(columns) <= set(fig.rows.columns) else None


def idle_communities(source: Source, query: Query, top: int = 15) -> Section:
    """The communities idle as of the end of the week that were not a week before
    (:func:`metrics.figures.communities_gone_idle`), named only when the measure lists them."""
    title = _("Communities gone idle")
    if not available("idle"):
        return unavailable(title, "idle")
    now, before, gone = communities_gone_idle(source, query, days=7)
    if before is None or now.window is None or not set(EXPECTED["idle"][1]) <= set(now.rows.columns):
        return Section(title, [_("No community activity in the store for this range.")], {"idle": None})
    end, earlier = now.window[1], before.query.end
    names = gone["community"].to_list()
    k, days = query.min_group_size, now.extra.get("idle_days", 30)
    lines = [ngettext("{n} community of {k} members or more went idle in the week to {end} (no post or reply in the "
                      "{days} days to {end}, some in the {days} days to {earlier})",
                      "{n} communities of {k} members or more went idle in the week to {end} (no post or reply in the "
                      "{days} days to {end}, some in the {days} days to {earlier})", len(names)).format(
        n=count(len(names)), k=k, end=day_label(end), days=days, earlier=day_label(earlier))
             + (":" if names else ".")] + [term(name) for name in names[:top]]
    if len(names) > top:
        lines.append(_("and {n} more on the dashboard's Communities page").format(n=count(len(names) - top)))
    lines.append(_("{idle} of {communities} communities idle as of {end}, {before} as of {earlier}: communities under "
                   "{k} members are counted, never named; private conversations are never named.").format(
        idle=count(now.extra.get("idle")), communities=count(now.extra.get("communities")), end=day_label(end),
        before=count(before.extra.get("idle")), earlier=day_label(earlier), k=k))
    return Section(title, lines, {"idle": len(names), "gone_idle": names, "idle_now": now.extra.get("idle"),
                                  "idle_before": before.extra.get("idle"),
                                  "communities": now.extra.get("communities")})


def unanswered_threads(source: Source, query: Query, top: int = 5) -> Section:
    """The threads started in the last complete week that got no reply (by someone other than
    the author, up to the end of the range), and the change against the week before; then the
    communities they were started in (:func:`unanswered_by_community`)."""
    title = _("Unanswered threads")
    fig = expected_figure(source, query.but(by="organisation", group=None), "unanswered")
    if fig is None:
        return unavailable(title, "unanswered")
    series = fig.rows.with_columns((pl.col("threads") - pl.col("threads_answered")).alias("unanswered"))
    r, threads = fig.reading("unanswered", series), fig.reading("threads")
    if r.value is None:
        return Section(title, [_("No thread figure for this range.")], {"unanswered": None})
    change = "" if r.delta is None else " " + _(BEFORE["week"]).format(
        change=("+" if r.delta > 0 else "") + count(r.delta))
    lines = [_("{n} of the {threads} threads started in {period} got no reply{change}.").format(
        n=count(r.value), threads=count(threads.value), period=label(r.period), change=change)]
    where = unanswered_by_community(source, query, r.period, top)
    if where is not None and where.height:
        end = week_days(r.period)[1]
        lines.append(_("Where (communities of {k} members or more, replies up to {end}): ").format(
                         k=query.min_group_size, end=day_label(end))
                     + "; ".join(_("{community}: {n} of {threads}").format(community=term(c), n=count(n), threads=count(t))
                                 for c, n, t in where.iter_rows()) + ".")
    return Section(title, lines, {"period": r.period, "unanswered": r.value, "unanswered_delta": r.delta,
                                  "threads": threads.value,
                                  "by_community": None if where is None else where.rows()})


def week_days(label: str) -> tuple[date, date]:
    """The first and last day of an ISO week label.

    >>> week_days("2026-W13")
    (datetime.date(2026, 3, 23), datetime.date(2026, 3, 29))
    """
    year, week = label.split("-W")
    first = date.fromisocalendar(int(year), int(week), 1)
    return first, first + timedelta(days=6)


def unanswered_by_community(source: Source, query: Query, period: str, top: int) -> pl.DataFrame | None:
    """The listed communities with threads started in the week ``period`` and no reply by its last
    day (``threads`` − ``threads_answered`` of ``communities`` over that week, the Communities
    page's figure for that range): ``community``, ``unanswered``, ``threads``, the most first."""
    if "communities" not in registry.names():
        return None
    first, last = week_days(period)
    fig = figure(source, Query("communities", by="organisation", start=first, end=last,
                               min_group_size=query.min_group_size))
    if not {"community", "threads", "threads_answered"} <= set(fig.rows.columns):
        return None
    return (fig.rows.select("community", (pl.col("threads") - pl.col("threads_answered")).alias("unanswered"),
                            "threads")
            .filter(pl.col("unanswered") > 0).sort(["unanswered", "community"], descending=[True, False]).head(top))


def lapsed_newcomers(source: Source, query: Query) -> Section:
    """The newcomers of the week before the last complete one (their first post or reply ever) who
    did not post or reply in it (``lapsed_newcomers`` of :mod:`metrics.lifecycle`), out of that
    week's newcomers (``new``); then every contributor who lapsed (``lapsed``)."""
    title = _("Newcomers who lapsed")
    fig = expected_figure(source, query.but(by="organisation", group=None), "lapsed")
    if fig is None:
        return unavailable(title, "lapsed_newcomers")
    r, everyone = fig.reading("lapsed_newcomers"), fig.reading("lapsed")
    if r.value is None:
        return Section(title, [_("No contributor figure for this range.")], {"lapsed_newcomers": None})
    before = fig.previous_period
    new = fig.reading("new")  # this week's newcomers and the change: the week before's are the difference
    new_before = None if new.delta is None else new.value - new.delta

    def change(delta):
        return "" if delta is None else " " + _(BEFORE["week"]).format(
            change=("+" if delta > 0 else "") + count(delta))

    if before is None or new_before is None:
        lines = [ngettext("{n} newcomer did not post or reply in {period}; no earlier week to compare with.",
                          "{n} newcomers did not post or reply in {period}; no earlier week to compare with.",
                          r.value).format(n=count(r.value), period=label(r.period))]
    else:
        lines = [_("{n} of the {newcomers} people who posted or replied for the first time in {before} did not "
                   "in {period}{change}.").format(n=count(r.value), newcomers=count(new_before), before=label(before),
                                                  period=label(r.period), change=change(r.delta))]
    lines.append(_("{n} people in all, newcomers or not, posted or replied in the week before {period} and not in "
                   "{period}{change}.").format(n=count(everyone.value), period=label(r.period),
                                               change=change(everyone.delta)))
    return Section(title, lines, {"period": r.period, "lapsed_newcomers": r.value, "lapsed_newcomers_delta": r.delta,
                                  "newcomers_before": new_before, "lapsed": everyone.value,
                                  "lapsed_delta": everyone.delta})


def headline_lines(o: headlines.Overview) -> Section:
    """The Overview's four headlines, each with its meaning and its roadmap target."""
    from dashboard.report import plain

    lines, values = [], {}
    for h in o.headlines:
        change = points(h.delta)
        change = change and change.replace(" pts", " percentage points")  # the report's plain words
        meaning = plain(h.help, o.by).split(". ")[0].rstrip(".")
        if h.value is None:
            lines.append(_("{label}: no figure for this range (no group large enough, or no data). "
                           "Meaning: {meaning}.").format(label=h.label, meaning=meaning))
            values[h.label] = None
            continue
        line = (f"{h.label}: {pct(h.value)}" + (_(" in {period}").format(period=label(h.period)) if h.period else "")
                + (_(" (partial)") if h.partial else "")
                + (_(", {change} against the month before").format(change=change) if change else "")
                + _(". Meaning: {meaning}.").format(meaning=meaning))
        if h.target:
            line += f" {summary.target_line(h.target)}."
        lines.append(line)
        values[h.label] = h.value
    return Section(_("Headlines"), lines, values)


def roadmap_lines(o: headlines.Overview, phases: dict[str, str]) -> Section:
    """The groups leading and trailing adoption, with their phase, and the phases of the roadmap."""
    lines = []
    reading = o.curves_reading()
    if reading:
        low, high = reading
        by = o.by
        phase = lambda g: f", {term(phases[g])}" if phases.get(g) else ""  # noqa: E731
        lines.append(_("By {by}, participation in {period} ranges from {low_rate} ({low}) to {high_rate} ({high}).").format(
            by=term(by), period=label(high["period"]), low_rate=pct(low["participation_rate"]),
            low=f"{low[by]}{phase(low[by])}", high_rate=pct(high["participation_rate"]), high=f"{high[by]}{phase(high[by])}"))
    for name in ("pilot", "rollout", "generalised"):
        groups = sorted(g for g, p in phases.items() if p == name)
        if groups:
            lines.append(_("Phase {name}: {groups}.").format(name=term(name), groups=", ".join(groups)))
    if not lines:
        lines.append(_("No roadmap phases in the configuration."))
    return Section(_("Roadmap"), lines, {"curves": reading})


# -- the digests ------------------------------------------------------------------------------------------


def community(source: Source, settings: Settings, as_of: date | None) -> Digest:
    """The community managers' weekly digest, as of ``as_of`` (None: the last day of data)."""
    k = settings.min_group_size
    risk = Query("inactive-teams", by="team", period="week", end=as_of, min_group_size=k,
                 extra=inactive_extra(settings))
    now, before = teams_at_risk(source, risk)
    trend = scope_trend(source, Query("participation", by="department", period="week", end=as_of, min_group_size=k))
    period = now.extra.get("period") or trend.last_period
    org = Query("participation", by="organisation", period="week", end=as_of, min_group_size=k)
    sections = [
        teams_newly_at_risk(now, before, settings),
        participation_this_period(trend, "week"),
        idle_communities(source, Query("communities", by="organisation", end=as_of, min_group_size=k)),
        unanswered_threads(source, org.but(measure="responsiveness")),
        lapsed_newcomers(source, org.but(measure="lifecycle")),
    ]
    return Digest("community", period, _("Ruche weekly digest {period}: community").format(period=label(period)), sections)


def sponsor(source: Source, settings: Settings, as_of: date | None, by: str = "department") -> Digest:
    """The sponsors' monthly digest: the Overview against the roadmap, groups of at least
    ``sponsor_min_group_size`` people."""
    from dashboard.report import silo_settings

    k = max(settings.min_group_size, settings.sponsor_min_group_size)
    query = Query("participation", by=by, period="month", end=as_of, min_group_size=k)
    o = headlines.overview(source, query, settings.targets, settings.phases, silo_settings(settings))
    last = o.last()
    period = last["period"] if last else None
    chart = None
    if last:
        trend = o.trend.rows
        chart = charts.mark_partial(charts.participation_trend(
            trend, charts.trend_title(trend, partial=o.partial)), o.partial)
        chart.update_layout(template=charts.REPORT_TEMPLATE)
    sections = [headline_lines(o), roadmap_lines(o, settings.phases)]
    return Digest("sponsor", period, _("Ruche monthly digest {period}: adoption against the roadmap").format(
        period=label(period)), sections, chart=chart)


def team(source: Source, settings: Settings, as_of: date | None, name: str) -> Digest | None:
    """The weekly digest of team ``name`` for its lead; None when the team is under
    ``min_group_size`` people (nothing of it is said anywhere)."""
    k = settings.min_group_size
    trend = figure(source, Query("participation", by="team", group=name, period="week", end=as_of, min_group_size=k))
    if trend.hidden:
        return None
    now, _before = teams_at_risk(source, Query("inactive-teams", by="team", group=name, period="week", end=as_of,
                                         min_group_size=k, extra=inactive_extra(settings)))
    words = rule_words(settings)
    rules = now.rows["rule"].to_list()
    flags = Section(_("Flags"), [_("Flagged in {period}: {rules}.").format(
                        period=label(now.extra.get("period")), rules=", ".join(words[r] for r in rules))
                              if rules else _("No rule flags the team in {period}.").format(
                                  period=label(now.extra.get("period")))],
                    {"rules": rules})
    section = participation_this_period(trend, "week")
    period = section.figures.get("period") or now.extra.get("period")
    return Digest("team", period, _("Ruche weekly digest {period}: team {name}").format(period=label(period), name=name),
                  [section, flags], team=name)

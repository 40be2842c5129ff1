"""The dashboard's words, in one place: what each table column is called on screen, and what each
technical term means in one line.

The meanings are shown beside the figures (a metric's or a column's tooltip) and repeated in
docs/glossary.md, which a test keeps equal to :data:`MEANINGS` (docs/glossary.fr.md to their French).
Every word is marked for the catalog (``N_``) and translated where it is shown: :func:`meaning`,
:func:`dashboard.tables.label`.
"""

from __future__ import annotations

from ruche.i18n import N_, _

#: Term → its meaning in one line. The keys are the glossary's headings.
MEANINGS = {
    N_("participation rate"): N_("Share of the headcount active in the period: at least one activity of any kind (read, "
    "reaction, post, reply, join), or a usage report vouching for one."),
    N_("contribution rate"): N_("Share of the headcount who posted or replied in the period (reading and reacting "
    "do not count)."),
    N_("headcount"): N_("The internal people employed during the period (hired before its end, not left before its "
    "start): the population every rate is a share of."),
    N_("retention"): N_("Share of the people active in the period before, still employed, who are active again in "
    "this one."),
    N_("cross-silo share"): N_("Share of all ties that link people of two different groups."),
    N_("tie"): N_("A reply, a mention or a reaction between two people, either way (a reply ties its author to "
    "the author answered); a person's ties with themself are left out."),
    N_("E-I index"): N_("(ties leaving the group − ties inside it) / all its ties: −1 for a closed silo, +1 for a "
    "group that only talks outward (Krackhardt & Stern)."),
    N_("silo"): N_("A group whose E-I index is below the silo threshold: most of its ties stay inside it."),
    N_("modularity"): N_("How far the formal groups explain who talks to whom: 0 not at all, above 0.3 strongly "
    "(Newman)."),
    N_("normalised mutual information"): N_("How closely the communities found in the conversations match the "
    "formal groups: 1 exactly, 0 unrelated."),
    N_("informal community"): N_("A set of people who talk mostly among themselves, found in the interaction graph "
    "(Louvain method, seeded), whatever the organisation chart says."),
    N_("betweenness"): N_("Share of the shortest paths between other people that pass through a person: high for "
    "the people through whom groups reach each other."),
    N_("Gini coefficient"): N_("How unequally contributions are spread over the headcount: 0 when everybody "
    "contributes equally, close to 1 when a few people write everything."),
    N_("Lorenz curve"): N_("The share of contributions made by the least contributing x% of people; the further "
    "below the diagonal, the more unequal."),
    N_("contributor absence factor"): N_("The smallest number of people who together produce at least half of all "
    "contributions."),
    N_("superuser"): N_("The top 1% of the headcount by contributions (posts and replies), ties included (the "
    "superuser_share setting)."),
    N_("contributor"): N_("Someone who posted or replied, and is not a superuser."),
    N_("lurker"): N_("Someone active (read, reacted, joined) without posting or replying."),
    N_("inactive"): N_("Someone of the headcount with no activity at all."),
    N_("non-contributor"): N_("Lurkers and inactive people together, when no source reports reads to tell them "
    "apart."),
    N_("persona"): N_("A person's way of taking part, from the contributions made and the responses received over "
    "the range; counted per group, never shown for a person."),
    N_("engager"): N_("A persona: the rest, neither giving nor receiving more than twice the other."),
    N_("catalyst"): N_("A persona: receives (replies and reactions from others) more than twice what it gives."),
    N_("responder"): N_("A persona: gives (posts, replies, reactions) more than twice what it receives, mostly "
    "replies and reactions."),
    N_("broadcaster"): N_("A persona: gives more than twice what it receives, with more posts than replies and "
    "reactions."),
    N_("observer"): N_("A persona: active (reads, joins) but gives no post, reply or reaction."),
    N_("pilot"): N_("Roadmap phase: the first groups to use the network, to try it."),
    N_("rollout"): N_("Roadmap phase: the groups the network is being opened to after the pilot."),
    N_("generalised"): N_("Roadmap phase: the network is in general use in the group, the step after pilot and "
    "rollout."),
    N_("partial period"): N_("A period the data covers only in part (it starts or ends inside it): drawn, but "
    "never read for a headline, a change or a trend."),
    N_("health score"): N_("0 to 100: the weighted sum of a community's parts (active members, threads answered, "
    "answered within a day, replies per thread, momentum), each 0 to 1."),
    N_("time to first reply"): N_("Calendar time, nights and weekends included, from a thread's first post to "
    "the first reply by someone else."),
    N_("pseudonym"): N_("The keyed hash that stands for a person in the store; shown shortened as \"person "
    "3f2a9c1b\". Names are never stored."),
    N_("minimum group size"): N_("Groups of fewer people than this are never shown one by one, so that no figure "
    "describes an identifiable person."),
}

#: Column name → its label on screen. A column missing here is shown with its underscores made
#: spaces; a test checks that no table of the sample shows a snake_case name.
LABELS = {
    # the Data page
    "run_id": N_("load"),
    "source": N_("source"),
    "file": N_("file"),
    "status": N_("status"),
    "started_at": N_("started"),
    "seconds": N_("seconds"),
    "rows_read": N_("rows read"),
    "rows_loaded": N_("loaded"),
    "rows_rejected": N_("rejected"),
    "rows_skipped": N_("skipped"),
    "reason": N_("reason"),
    "rows": N_("rows"),
    "first_line": N_("first line"),
    "data_through": N_("data through"),
    "days_behind": N_("days missing"),
    "pulled_at": N_("last successful pull"),
    "files": N_("files of that pull"),
    "report_date": N_("report date"),
    "period_days": N_("days covered"),
    "covers": N_("covers"),
    "active_users": N_("active users"),
    "users": N_("users"),
    "readers": N_("readers"),
    "read": N_("reads"),
    "posters": N_("posters"),
    "posted": N_("posts"),
    "likers": N_("likers"),
    "liked": N_("likes"),
    "period": N_("period"),
    # the Audit page
    "occurred_at": N_("when"),
    "user_email": N_("who"),
    "role": N_("role"),
    "action": N_("action"),
    "page": N_("page"),
    "detail": N_("detail"),
    # the People page
    "person": N_("person"),
    "name": N_("name"),
    "department": N_("department"),
    "team": N_("team"),
    "betweenness": N_("betweenness"),
    "groups_reached": N_("groups reached"),
    "neighbours": N_("people in contact"),
    "contributions": N_("posts and replies"),
    "posts": N_("posts"),
    "replies": N_("replies"),
    "replies_received": N_("replies received"),
    "active_months": N_("months active"),
    # the Network page
    "community": N_("community"),
    "people": N_("people"),
    "share": N_("share of the community"),
    # Teams at risk
    "why": N_("why it is flagged"),
    "flagged_since": N_("flagged since"),
    "participation_now": N_("participation now"),
    "participation_before": N_("participation before"),
    "last_contribution": N_("last contribution"),
    "change": N_("change"),
    "before": N_("rules firing before"),
    "now": N_("rules firing now"),
    # Communities
    "kind": N_("kind"),
    "health": N_("health"),
    "part_active": N_("score: active members"),
    "part_answered": N_("score: threads answered"),
    "part_quick": N_("score: answered within a day"),
    "part_depth": N_("score: replies per thread"),
    "part_momentum": N_("score: momentum"),
    "members": N_("members"),
    "active_members": N_("active members"),
    "threads": N_("threads"),
    "replies_per_thread": N_("replies per thread"),
    "answered_share": N_("threads answered"),
    "first_reply_median_hours": N_("median hours to first reply"),
    "first_reply_p90_hours": N_("90th percentile (hours)"),
    "trend": N_("trend (contributions, last 30 days against the 30 before)"),
}

#: Column name → the term of :data:`MEANINGS` its tooltip gives.
COLUMN_TERMS = {
    "betweenness": "betweenness",
    "health": "health score",
    "first_reply_median_hours": "time to first reply",
    "first_reply_p90_hours": "time to first reply",
    "person": "pseudonym",
    "participation_now": "participation rate",
    "participation_before": "participation rate",
}

#: Columns holding a share (0 to 1), shown as a percentage.
PERCENT = {"share", "participation_now", "participation_before", "answered_share", "part_active",
           "part_answered", "part_quick", "part_depth", "part_momentum", "people_share", "contributions_share"}

#: Columns holding a date where none means the thing never happened.
NEVER = {"last_contribution"}

#: Every time the store keeps is in UTC, without a zone of its own.
TIME_ZONE = "UTC"

#: A group-by attribute → how one group of it and several are called.
GROUP_WORDS = {
    "department": (N_("department"), N_("departments")),
    "team": (N_("team"), N_("teams")),
    "site": (N_("site"), N_("sites")),
    "country": (N_("country"), N_("countries")),
    "level": (N_("job level"), N_("job levels")),
    "frontline": (N_("population"), N_("populations")),
}


def group_words(by: str) -> tuple[str, str]:
    """('country', 'countries') for ``by='country'``, in the language in use; an attribute not listed
    takes an 's'."""
    one, many = GROUP_WORDS.get(by, (by, by + "s"))
    return _(one), _(many)


def meaning(term: str) -> str | None:
    """A term's one-line meaning in the language in use (None for a term without one)."""
    return _(MEANINGS[term]) if term in MEANINGS else None


#: A group-by attribute → "the only X shown", and "the most closed X" for one group and for several:
#: whole phrases, as their words agree with the attribute in other languages ("la seule équipe
#: affichée", "le seul pays affiché").
GROUP_PHRASES = {
    "department": (N_("the only department shown"), N_("the most closed department"),
                   N_("the most closed departments")),
    "team": (N_("the only team shown"), N_("the most closed team"), N_("the most closed teams")),
    "site": (N_("the only site shown"), N_("the most closed site"), N_("the most closed sites")),
    "country": (N_("the only country shown"), N_("the most closed country"), N_("the most closed countries")),
    "level": (N_("the only job level shown"), N_("the most closed job level"), N_("the most closed job levels")),
    "frontline": (N_("the only population shown"), N_("the most closed population"),
                  N_("the most closed populations")),
}


def group_phrases(by: str, kind: str | tuple[str, str]) -> tuple[str, str, str]:
    """('the only team shown', 'the most closed team', 'the most closed teams') for ``by='team'``, in
    the language in use; an attribute not listed is said with ``kind``, its word (and plural)."""
    if by in GROUP_PHRASES:
        return tuple(_(p) for p in GROUP_PHRASES[by])
    one, many = kind if isinstance(kind, tuple) else (kind, kind + "s")
    return (_("the only {kind} shown").format(kind=one), _("the most closed {kind}").format(kind=one),
            _("the most closed {kinds}").format(kinds=many))


#: A persona → its plural, for the titles ("Observers are the largest persona").
PERSONAS = {
    "engager": N_("engagers"), "catalyst": N_("catalysts"), "responder": N_("responders"),
    "broadcaster": N_("broadcasters"), "observer": N_("observers"),
}


def personas(persona: str) -> str:
    """A persona's plural in the language in use; one not listed takes an 's'."""
    return _(PERSONAS[persona]) if persona in PERSONAS else persona + "s"


#: The glossary's opening paragraph, before its entries (docs/glossary.md, and its translations).
GLOSSARY_INTRO = N_(
    "What the dashboard's technical words mean, in one line each. The same line is the tooltip (the "
    "question mark) beside the figure or the column on screen; [metrics](metrics.md) and "
    "[network](network.md) say how each figure is computed. Tables show a person by a short pseudonym "
    "label (\"person 3f2a9c1b\", the first 8 characters of the keyed hash): the store never holds a "
    "name, and an administrator sees names only from the `directory_file` setting, in memory "
    "([privacy](privacy.md), [access](access.md)). Times are in UTC, said beside each one.")


def glossary() -> str:
    """The glossary in the language in use: a heading per term of :data:`MEANINGS`, its meaning below
    (``ruche``'s docs/glossary.md in English, docs/glossary.fr.md in French)."""
    import textwrap

    out = ["# " + _("Glossary"), "", *textwrap.wrap(_(GLOSSARY_INTRO), 100, break_on_hyphens=False,
                                                    break_long_words=False)]
    for term, text in MEANINGS.items():
        out += ["", "## " + _(term), "", _(text)]
    return "\n".join(out) + "\n"

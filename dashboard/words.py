"""The dashboard's words, in one place: what each table column is called on screen, and what each
technical term means in one line.

The meanings are shown beside the figures (a metric's or a column's tooltip) and repeated in
docs/glossary.md, which a test keeps equal to :data:`MEANINGS`. Plain string literals only.
"""

from __future__ import annotations

from ruche.i18n import N_, _

#: Term → its meaning in one line. The keys are the glossary's headings.
MEANINGS = {
    "participation rate": "Share of the headcount active in the period: at least one activity of any kind (read, "
    "reaction, post, reply, join), or a usage report vouching for one.",
    "contribution rate": "Share of the headcount who posted or replied in the period (reading and reacting "
    "do not count).",
    "headcount": "The internal people employed during the period (hired before its end, not left before its "
    "start): the population every rate is a share of.",
    "retention": "Share of the people active in the period before, still employed, who are active again in "
    "this one.",
    "cross-silo share": "Share of all ties that link people of two different groups.",
    "tie": "A reply, a mention or a reaction between two people, either way (a reply ties its author to "
    "the author answered); a person's ties with themself are left out.",
    "E-I index": "(ties leaving the group − ties inside it) / all its ties: −1 for a closed silo, +1 for a "
    "group that only talks outward (Krackhardt & Stern).",
    "silo": "A group whose E-I index is below the silo threshold: most of its ties stay inside it.",
    "modularity": "How far the formal groups explain who talks to whom: 0 not at all, above 0.3 strongly "
    "(Newman).",
    "normalised mutual information": "How closely the communities found in the conversations match the "
    "formal groups: 1 exactly, 0 unrelated.",
    "informal community": "A set of people who talk mostly among themselves, found in the interaction graph "
    "(Louvain method, seeded), whatever the organisation chart says.",
    "betweenness": "Share of the shortest paths between other people that pass through a person: high for "
    "the people through whom groups reach each other.",
    "Gini coefficient": "How unequally contributions are spread over the headcount: 0 when everybody "
    "contributes equally, close to 1 when a few people write everything.",
    "Lorenz curve": "The share of contributions made by the least contributing x% of people; the further "
    "below the diagonal, the more unequal.",
    "contributor absence factor": "The smallest number of people who together produce at least half of all "
    "contributions.",
    "superuser": "The top 1% of the headcount by contributions (posts and replies), ties included (the "
    "superuser_share setting).",
    "contributor": "Someone who posted or replied, and is not a superuser.",
    "lurker": "Someone active (read, reacted, joined) without posting or replying.",
    "inactive": "Someone of the headcount with no activity at all.",
    "non-contributor": "Lurkers and inactive people together, when no source reports reads to tell them "
    "apart.",
    "persona": "A person's way of taking part, from the contributions made and the responses received over "
    "the range; counted per group, never shown for a person.",
    "engager": "A persona: the rest, neither giving nor receiving more than twice the other.",
    "catalyst": "A persona: receives (replies and reactions from others) more than twice what it gives.",
    "responder": "A persona: gives (posts, replies, reactions) more than twice what it receives, mostly "
    "replies and reactions.",
    "broadcaster": "A persona: gives more than twice what it receives, with more posts than replies and "
    "reactions.",
    "observer": "A persona: active (reads, joins) but gives no post, reply or reaction.",
    "pilot": "Roadmap phase: the first groups to use the network, to try it.",
    "rollout": "Roadmap phase: the groups the network is being opened to after the pilot.",
    "generalised": "Roadmap phase: the network is in general use in the group, the step after pilot and "
    "rollout.",
    "partial period": "A period the data covers only in part (it starts or ends inside it): drawn, but "
    "never read for a headline, a change or a trend.",
    "health score": "0 to 100: the weighted sum of a community's parts (active members, threads answered, "
    "answered within a day, replies per thread, momentum), each 0 to 1.",
    "time to first reply": "Calendar time, nights and weekends included, from a thread's first post to "
    "the first reply by someone else.",
    "pseudonym": "The keyed hash that stands for a person in the store; shown shortened as \"person "
    "3f2a9c1b\". Names are never stored.",
    "minimum group size": "Groups of fewer people than this are never shown one by one, so that no figure "
    "describes an identifiable person.",
}

#: Column name → its label on screen. A column missing here is shown with its underscores made
#: spaces; a test checks that no table of the sample shows a snake_case name.
LABELS = {
    # the Data page
    "run_id": "load",
    "source": "source",
    "file": "file",
    "status": "status",
    "started_at": "started",
    "seconds": "seconds",
    "rows_read": "rows read",
    "rows_loaded": "loaded",
    "rows_rejected": "rejected",
    "rows_skipped": "skipped",
    "reason": "reason",
    "rows": "rows",
    "first_line": "first line",
    "data_through": "data through",
    "days_behind": "days missing",
    "pulled_at": "last successful pull",
    "files": "files of that pull",
    "report_date": "report date",
    "period_days": "days covered",
    "covers": "covers",
    "active_users": "active users",
    "users": "users",
    "readers": "readers",
    "read": "reads",
    "posters": "posters",
    "posted": "posts",
    "likers": "likers",
    "liked": "likes",
    "period": "period",
    # the Audit page
    "occurred_at": "when",
    "user_email": "who",
    "role": "role",
    "action": "action",
    "page": "page",
    "detail": "detail",
    # the People page
    "person": "person",
    "name": "name",
    "department": "department",
    "team": "team",
    "betweenness": "betweenness",
    "groups_reached": "groups reached",
    "neighbours": "people in contact",
    "contributions": "posts and replies",
    "posts": "posts",
    "replies": "replies",
    "replies_received": "replies received",
    "active_months": "months active",
    # the Network page
    "community": "community",
    "people": "people",
    "share": "share of the community",
    # Teams at risk
    "why": "why it is flagged",
    "flagged_since": "flagged since",
    "participation_now": "participation now",
    "participation_before": "participation before",
    "last_contribution": "last contribution",
    "change": "change",
    "before": "rules firing before",
    "now": "rules firing now",
    # Communities
    "kind": "kind",
    "health": "health",
    "part_active": "score: active members",
    "part_answered": "score: threads answered",
    "part_quick": "score: answered within a day",
    "part_depth": "score: replies per thread",
    "part_momentum": "score: momentum",
    "members": "members",
    "active_members": "active members",
    "threads": "threads",
    "replies_per_thread": "replies per thread",
    "answered_share": "threads answered",
    "first_reply_median_hours": "median hours to first reply",
    "first_reply_p90_hours": "90th percentile (hours)",
    "trend": "trend (contributions, last 30 days against the 30 before)",
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

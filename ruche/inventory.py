"""The data inventory: every stored column, where it comes from and why it is kept; every view and
who may see it.

This registry is what the works-council pack (``ruche privacy-pack``) prints, what key rotation
(``ruche key rotate``) reads to find the columns that hold pseudonyms, and what a test holds the
schema against: a column added to a table without an entry here fails the suite, so nothing is
stored undocumented.

>>> TABLES["people"].columns["person_id"].pseudonym
'value'
>>> TABLES["activities"].person_level, TABLES["group_history"].person_level
(True, False)
>>> PAGES["data"].title
'Data'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One stored column.

    ``pseudonym`` says how the column depends on the pseudonymisation key: ``""`` not at all,
    ``"value"`` the value is a pseudonym (or, with a prefix, ends with one), ``"json"`` the
    listed ``keys`` of a JSON object are pseudonyms, ``"digest"`` a keyed digest
    (``event_uid``: the key of an event). ``where`` is the SQL condition on the table's rows that hold such a value
    (empty: every non-null value).
    """

    origin: str
    purpose: str
    pseudonym: str = ""
    where: str = ""
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    purpose: str
    retention: str
    person_level: bool
    columns: dict[str, Column] = field(default_factory=dict)
    derived: bool = False  # rebuilt from the other tables (materialised metrics), not loaded
    #: a derived table whose stored results may carry pseudonyms: key rotation drops it (it is
    #: computed again, or live, afterwards)
    dropped_on_rotation: bool = False


C = Column
_UNTIL_PURGE = "person-level: purged after retention_months (ruche purge)"
_KEPT = "kept while the store exists"
_DERIVED = "rebuilt after every load, purge and key rotation from the tables above"

_DIRECTORY = "HR directory export"
_NETWORK = "network export (Viva Engage, Slack, Mattermost, events file)"
_ATTRIBUTE = "the group-by attributes of every aggregate"

#: The columns of the kept rows of each person's activity in each group (metrics.range_groups),
#: everyone's and those of the people touched since alike.
_RANGE_GROUP_COLUMNS = {
    "person_key": C("people", "follow each person's rows: those of the people a load touched are computed again"),
    "by_attribute": C("metrics", "which group attribute the row is of"),
    "by_group": C("people, people_history (" + _ATTRIBUTE + ")", "the group held"),
    "is_external": C(_DIRECTORY, "90/9/1 counts internal people; the personas put external ones apart"),
    "hired_on": C(_DIRECTORY, "the people employed during a range"),
    "left_on": C(_DIRECTORY, "the people employed during a range"),
    "activities": C("activities", "each person's activity while holding the group"),
    "contributions": C("activities", "90/9/1: contributors and their contributions"),
    "posts": C("activities", "personas: what each person gives"),
    "replies": C("activities", "personas: what each person gives"),
    "reactions": C("activities", "personas: what each person gives"),
    "received": C("activities", "personas: what each person receives"),
    "active": C("activities, usage reports", "90/9/1 and personas: the active people"),
    "months_contributed": C("activities", "the months contributed in (none kept: 0)"),
}

TABLES: dict[str, Table] = {
    "schema_version": Table(
        "the schema migrations applied to this store",
        _KEPT,
        False,
        {
            "version": C("Ruche", "which migrations are applied"),
            "name": C("Ruche", "the migration's file name"),
            "applied_at": C("Ruche (clock)", "when it was applied"),
        },
    ),
    "store_meta": Table(
        "facts about the store itself: the key fingerprint, the retention cut-off",
        _KEPT,
        False,
        {
            "key": C("Ruche", "name of the fact (key_fingerprint, purged_before, key_rotated_at)"),
            "value": C(
                "Ruche: the fingerprint is the pseudonym of a fixed text under the key",
                "recognise the key a store was built with, without storing the key; remember up to "
                "when person-level data was purged",
            ),
        },
    ),
    "people": Table(
        "one row per person: the reference population and the attributes aggregates are broken down by",
        "person-level: a leaver's row (left before the retention cut-off) and a non-directory "
        "person's with no activity since the cut-off are deleted by ruche purge",
        True,
        {
            "person_key": C("Ruche (sequence)", "the person's key inside the store, what activities point to"),
            "person_id": C(
                f"{_DIRECTORY} or {_NETWORK}: pseudonym of the e-mail address, else of source:account",
                "match the same person across sources and loads",
                pseudonym="value",
            ),
            "employee_id": C(
                f"{_DIRECTORY}: pseudonym of the HR employee id",
                "keep a person across e-mail changes; resolve events files naming employee ids",
                pseudonym="value",
            ),
            "in_directory": C(_DIRECTORY, "the reference population (headcount) is the directory's"),
            "is_external": C(f"{_NETWORK}: guest accounts, people absent from the directory",
                             "external people never count in a headcount"),
            "department": C(_DIRECTORY, _ATTRIBUTE),
            "team": C(_DIRECTORY, _ATTRIBUTE),
            "site": C(_DIRECTORY, _ATTRIBUTE),
            "country": C(_DIRECTORY, _ATTRIBUTE),
            "level": C(_DIRECTORY, f"{_ATTRIBUTE}; leaders' participation (executive, manager, staff)"),
            "manager_key": C(f"{_DIRECTORY}: the manager's HR id, resolved to their person_key",
                             "profile completeness (has a manager); views by manager hierarchy"),
            "frontline": C(_DIRECTORY, f"{_ATTRIBUTE}: frontline against desk workers"),
            "hired_on": C(_DIRECTORY, "headcount: employed during a period"),
            "left_on": C(_DIRECTORY, "headcount: employed during a period; retention of leavers"),
            "has_photo": C(f"{_NETWORK}: user list (whether a photo is set, not the photo)", "profile completeness"),
            "has_title": C(f"{_NETWORK}: user list (whether a title is set, not the title)", "profile completeness"),
            "has_location": C(f"{_NETWORK}: user list (whether set, not the location)", "profile completeness"),
            "has_about": C(f"{_NETWORK}: user list (whether set, not the text)", "profile completeness"),
            "first_seen": C(f"{_NETWORK}: first join or activity", "adoption curve; retention of non-directory people"),
            "updated_at": C("Ruche (clock)", "when the row last changed (troubleshooting loads)"),
        },
    ),
    "people_history": Table(
        "the directory attributes a person held before their current ones",
        "person-level: rows that ended before the retention cut-off are purged",
        True,
        {
            "person_key": C("Ruche", "whose attributes"),
            "valid_from": C(_DIRECTORY + " (load date)", "from when the attributes held"),
            "valid_to": C(_DIRECTORY + " (load date)", "until when (exclusive); null while current"),
            "department": C(_DIRECTORY, _ATTRIBUTE + " for past periods"),
            "team": C(_DIRECTORY, _ATTRIBUTE + " for past periods"),
            "site": C(_DIRECTORY, _ATTRIBUTE + " for past periods"),
            "country": C(_DIRECTORY, _ATTRIBUTE + " for past periods"),
            "level": C(_DIRECTORY, _ATTRIBUTE + " for past periods"),
            "manager_key": C(_DIRECTORY, "manager hierarchy for past periods"),
            "frontline": C(_DIRECTORY, _ATTRIBUTE + " for past periods"),
        },
    ),
    "accounts": Table(
        "a person's (or a bot's) account in one network",
        "person-level: deleted with the person by ruche purge",
        True,
        {
            "source": C(_NETWORK, "which network"),
            "account_id": C(f"{_NETWORK}: pseudonym of the network's user id", "attach later exports' activity to the same person",
                            pseudonym="value"),
            "person_key": C("Ruche: the person with the account's e-mail", "whose account; null for bots"),
            "is_bot": C(_NETWORK, "bots and integrations are never people"),
            "is_guest": C(_NETWORK, "guests are external"),
            "is_deleted": C(_NETWORK, "deactivated accounts (coverage)"),
            "joined_at": C(_NETWORK, "adoption curve (first seen)"),
        },
    ),
    "home_domains": Table(
        "the enterprise's own e-mail domains, learnt from the directory (else from the first Viva Engage export's users)",
        "replaced at every directory load",
        False,
        {
            "domain_id": C(f"{_DIRECTORY} (else Viva Engage Users.csv): pseudonym of an e-mail domain",
                           "tell guests from employees in network exports, incremental ones included",
                           pseudonym="value"),
            "people": C(_DIRECTORY, "how many directory e-mails use it (a domain of under 1% is a contractor's; "
                                    "learnt from a Viva Engage export: how many of its users)"),
        },
    ),
    "spaces": Table(
        "groups, channels and conversations",
        _KEPT,
        False,
        {
            "space_key": C("Ruche (sequence)", "what activities point to"),
            "source": C(_NETWORK, "which network"),
            "space_ref": C(
                f"{_NETWORK}: the network's id of the space; a Mattermost direct channel is "
                "'direct:' and a pseudonym of its members, a Slack folder no channel list declares "
                "'folder:' and a pseudonym of its name",
                "recognise the space in later exports",
                pseudonym="value",
                where="(source = 'mattermost' and space_ref like 'direct:%') "
                      "or (source = 'slack' and space_ref like 'folder:%')",
            ),
            "name": C(f"{_NETWORK}: name of a public or private channel or group (never of a direct conversation)",
                      "meeting spaces of insiders and outsiders"),
            "kind": C(_NETWORK, "group, channel, private-channel, direct"),
            "is_private": C(_NETWORK, "external collaboration"),
            "is_external": C(_NETWORK, "shared channels (external collaboration)"),
            "created_at": C(_NETWORK, "coverage"),
        },
    ),
    "activities": Table(
        "one row per event: post, reply, reaction, mention, read, join; never the message itself",
        _UNTIL_PURGE + ", after being folded into group_history",
        True,
        {
            "activity_uid": C(
                f"{_NETWORK}: keyed digest of the network's own key of the event",
                "a second load of an overlapping export adds nothing twice",
                pseudonym="digest",
            ),
            "source": C(_NETWORK, "which network"),
            "occurred_at": C(_NETWORK, "periods (UTC); retention cut-off"),
            "person_key": C("Ruche: the author's account, resolved to the person", "who was active"),
            "kind": C(_NETWORK, "participation (any kind), contribution (post, reply), personas"),
            "space_key": C("Ruche: the space's key", "external collaboration, meeting spaces"),
            "thread_ref": C(
                f"{_NETWORK}: the network's id of the thread (Mattermost: a pseudonym of the root message's key, "
                "which names its author; Slack: the channel and the root's ts, the channel of an undeclared "
                "folder a pseudonym)",
                "replies to leaders' threads; thread depth",
                pseudonym="value",
                where="source = 'mattermost' or (source = 'slack' and thread_ref like 'folder:%')",
            ),
            "target_key": C("Ruche: the person replied to, reacted to or mentioned", "interaction network, silos, bridges, personas"),
            "body_length": C(f"{_NETWORK}: the length of the message (not the message)", "personas (broadcaster)"),
            "has_file": C(_NETWORK, "contribution quality"),
            "has_link": C(_NETWORK, "contribution quality"),
            "run_id": C("Ruche", "which load brought the event (incremental refresh)"),
        },
    ),
    "deleted_events": Table(
        "messages an export listed as deleted: their key and author, never the message",
        _UNTIL_PURGE + "; with the person when the person goes",
        True,
        {
            "source": C(_NETWORK, "which network"),
            "activity_uid": C(
                f"{_NETWORK}: keyed digest of the network's own key of the deleted message",
                "a reply written before the deletion, loaded from a later export, still ties to its author",
                pseudonym="digest",
            ),
            "person_key": C("Ruche: the author's account, resolved to the person", "the tie of replies to the message"),
            "occurred_at": C(_NETWORK, "retention cut-off"),
        },
    ),
    "usage_snapshots": Table(
        "per person and report window, the counts of a Microsoft 365 usage report or of a day of Slack's "
        "member analytics (source slack-analytics): the only sources of reads",
        _UNTIL_PURGE + " (by the day it vouches for), after being folded into group_history",
        True,
        {
            "source": C("Microsoft 365 usage report", "which report"),
            "person_key": C("Ruche: the report's UPN, resolved to the person", "who was active"),
            "report_date": C("Microsoft 365 usage report", "the report's window"),
            "period_days": C("Microsoft 365 usage report", "the report's window"),
            "last_activity": C("Microsoft 365 usage report", "the day a person is vouched active"),
            "posted_count": C("Microsoft 365 usage report", "participation, contribution"),
            "read_count": C("Microsoft 365 usage report (Slack member analytics: 1 when Slack counts the "
                            "member active that day, read or posted; Slack reports no number of reads)",
                            "participation (readers)"),
            "liked_count": C("Microsoft 365 usage report", "participation"),
            "run_id": C("Ruche", "which load brought the row"),
        },
    ),
    "usage_group_snapshots": Table(
        "per community and report window, the counts of the Microsoft 365 groups activity report "
        "(a report whose names are concealed gives no row here)",
        _KEPT + " (counts per community, no person)",
        False,
        {
            "source": C("Microsoft 365 groups activity report", "which report"),
            "group_name": C("Microsoft 365 groups activity report: Group Display Name", "the community"),
            "report_date": C("Microsoft 365 groups activity report", "the report's window"),
            "period_days": C("Microsoft 365 groups activity report", "the report's window"),
            "is_deleted": C("Microsoft 365 groups activity report", "communities still open"),
            "group_type": C("Microsoft 365 groups activity report: public or private", "communities by kind"),
            "office365_connected": C("Microsoft 365 groups activity report", "communities by kind"),
            "last_activity": C("Microsoft 365 groups activity report", "dormant communities"),
            "member_count": C("Microsoft 365 groups activity report", "community size, reach"),
            "posted_count": C("Microsoft 365 groups activity report", "community activity"),
            "read_count": C("Microsoft 365 groups activity report", "community reach (reads)"),
            "liked_count": C("Microsoft 365 groups activity report", "community activity"),
            "run_id": C("Ruche", "which load brought the row"),
        },
    ),
    "usage_device_snapshots": Table(
        "per person and report window, the devices of the Microsoft 365 device usage report",
        _UNTIL_PURGE + " (by the day it vouches for)",
        True,
        {
            "source": C("Microsoft 365 device usage report", "which report"),
            "person_key": C("Ruche: the report's UPN, resolved to the person", "mobile against desktop use"),
            "report_date": C("Microsoft 365 device usage report", "the report's window"),
            "period_days": C("Microsoft 365 device usage report", "the report's window"),
            "last_activity": C("Microsoft 365 device usage report", "the day the row vouches for"),
            "used_web": C("Microsoft 365 device usage report", "desktop use"),
            "used_windows_phone": C("Microsoft 365 device usage report", "mobile use"),
            "used_android_phone": C("Microsoft 365 device usage report", "mobile use"),
            "used_iphone": C("Microsoft 365 device usage report", "mobile use"),
            "used_ipad": C("Microsoft 365 device usage report", "mobile use"),
            "used_others": C("Microsoft 365 device usage report", "desktop use"),
            "run_id": C("Ruche", "which load brought the row"),
        },
    ),
    "usage_org_snapshots": Table(
        "per report window and measure, the organisation's totals of a Microsoft 365 report whose names are "
        "concealed (true of the whole tenant only)",
        _KEPT + " (organisation totals, no person)",
        False,
        {
            "source": C("Microsoft 365 usage report (concealed names)", "which report"),
            "report_date": C("Microsoft 365 usage report", "the report's window"),
            "period_days": C("Microsoft 365 usage report", "the report's window"),
            "measure": C("Ruche: users, readers, posters, groups, mobile_users, ...", "organisation-level usage"),
            "value": C("Ruche: the count over the report's rows", "organisation-level usage"),
            "run_id": C("Ruche", "which load brought the row"),
        },
    ),
    "ingest_runs": Table(
        "one row per load",
        _KEPT,
        False,
        {
            "run_id": C("Ruche (sequence)", "the load's key"),
            "source": C("ruche ingest", "which kind of export"),
            "path": C("ruche ingest: the file name given", "the Data page: which file was loaded"),
            "file_sha256": C("ruche ingest: digest of the file's bytes", "never load the same file twice"),
            "started_at": C("Ruche (clock)", "freshness; retention of rejected rows"),
            "finished_at": C("Ruche (clock)", "freshness"),
            "status": C("ruche ingest", "loaded, unchanged, failed"),
            "rows_read": C("ruche ingest", "the Data page: counts that add up"),
            "rows_loaded": C("ruche ingest", "the Data page"),
            "rows_rejected": C("ruche ingest", "the Data page"),
            "rows_skipped": C("ruche ingest", "the Data page"),
            "summary": C("ruche ingest: counts per input and outcome (no identifiers)", "the Data page"),
        },
    ),
    "loaded_files": Table(
        "every file whose content was loaded",
        _KEPT,
        False,
        {
            "file_sha256": C("ruche ingest: digest of the file's bytes", "the manifest: the same bytes are loaded once"),
            "source": C("ruche ingest", "which kind of export"),
            "path": C("ruche ingest: the file name given", "troubleshooting"),
            "run_id": C("Ruche", "which load"),
            "loaded_at": C("Ruche (clock)", "troubleshooting"),
        },
    ),
    "pull_state": Table(
        "where each source pulled from its API stands (ruche pull); no credential, token or account id",
        _KEPT,
        False,
        {
            "source": C("ruche pull", "which API"),
            "cursor": C("ruche pull: a day", "where the source's next pull starts"),
            "data_through": C("ruche pull: a day", "the Data page: the last day pulled, and the stale-data banner"),
            "pulled_at": C("Ruche (clock)", "the Data page: the last successful pull"),
            "files": C("ruche pull", "the Data page: how many files that pull loaded"),
        },
    ),
    "rejects": Table(
        "rows that could not be loaded, for the administrator",
        "person-level: rows of loads started before the retention cut-off are purged",
        True,
        {
            "run_id": C("Ruche", "which load"),
            "file": C("ruche ingest", "where the row was"),
            "line": C("ruche ingest", "where the row was"),
            "table_name": C("ruche ingest", "what the row would have become"),
            "reason": C("ruche ingest", "why it was rejected (what to fix in the export)"),
            "record": C(
                "ruche ingest: the row's identifiers, pseudonymised; free text left out",
                "find the row's person in later loads",
                pseudonym="json",
                keys=("employee_id", "email", "account", "actor", "manager_id"),
            ),
        },
    ),
    "group_history": Table(
        "what retention keeps of purged months: counts per month and directory attribute value, no person key",
        _KEPT,
        False,
        {
            "period_start": C("ruche purge", "the month"),
            "attribute": C("ruche purge", "which directory attribute the group is a value of"),
            "value": C(_DIRECTORY, "the group"),
            "headcount": C("ruche purge: from people", "participation rate's denominator; minimum group size"),
            "active": C("ruche purge: from activities and usage reports", "participation rate"),
            "contributors": C("ruche purge: from activities", "contribution rate"),
            "contributions": C("ruche purge: from activities", "contributions over time"),
            "activities": C("ruche purge: from activities", "activity over time"),
            "active_days": C("ruche purge: from activities", "stickiness"),
            "days": C("ruche purge", "stickiness"),
            "active_before": C("ruche purge: from activities", "retention rate"),
            "retained": C("ruche purge: from activities", "retention rate"),
            "day_active": C("ruche purge: from activities", "stickiness (people with a dated activity)"),
            "contributed_before": C("ruche purge: from activities", "contributors retained"),
            "contributors_retained": C("ruche purge: from activities", "contributors retained"),
            "read_before": C("ruche purge: from activities and usage reports", "readers retained"),
            "readers_retained": C("ruche purge: from activities and usage reports", "readers retained"),
            "folded_at": C("Ruche (clock)", "when the month was folded"),
        },
    ),
    "audit_log": Table(
        "who viewed or exported what in the dashboard, when",
        "events older than retention_months are deleted by ruche purge",
        True,
        {
            "event_id": C("dashboard (random)", "folding the same event twice adds nothing"),
            "occurred_at": C("dashboard (clock)", "when"),
            "user_email": C("sign-in (OpenID Connect): the viewer's e-mail, or 'local'", "accountability of viewers"),
            "role": C("sign-in: the role the viewer held", "accountability of viewers"),
            "action": C("dashboard", "view, export, sign-in, denied"),
            "page": C("dashboard", "which page"),
            "detail": C("dashboard: the filters, or what was exported", "accountability of viewers"),
        },
    ),
    "notifications": Table(
        "which digest ruche notify sent, or failed to send, to whom and when: nothing is sent twice",
        "kept while the store is kept; a row says nothing about a person of the network",
        False,
        {
            "send_id": C("ruche notify (random)", "folding the same send twice adds nothing"),
            "digest": C("ruche notify", "community, sponsor or team digest"),
            "period": C("ruche notify", "the period the digest describes"),
            "recipient_hash": C("ruche notify: keyed digest of the recipient's address or webhook URL",
                                "nothing sent twice to the same recipient for the same period"),
            "channel": C("ruche notify", "smtp, slack, mattermost or teams"),
            "status": C("ruche notify", "sent, failed"),
            "attempts": C("ruche notify", "how many tries the send took"),
            "error": C("ruche notify: the server's answer, without address or URL", "why a send failed"),
            "sent_at": C("ruche notify (clock)", "when"),
        },
    ),
    # Materialised metrics (metrics/materialise.py, metrics/ties.py, metrics/refresh.py): what a page reads fast.
    "m_state": Table(
        "what the materialised bases were built from", _DERIVED, False,
        {"key": C("metrics", "name of the fact"), "value": C("metrics", "row counts and last load")},
        derived=True,
    ),
    "m_person_day": Table(
        "activity per person and day", _DERIVED + " (so purged days leave it)", True,
        {
            "person_key": C("activities, usage_snapshots", "per-person base of every metric"),
            "day": C("activities, usage_snapshots", "the day (UTC)"),
            "activities": C("activities", "activity counts"),
            "posts": C("activities", "contribution"),
            "replies": C("activities", "contribution"),
            "reactions": C("activities", "personas"),
            "received": C("activities", "personas (responses received)"),
            "replies_received": C("activities", "champions (replies received from others)"),
            "reads": C("activities", "readers retained"),
            "usage_active": C("usage_snapshots", "participation (reads)"),
            "usage_read": C("usage_snapshots", "readers retained"),
            "usage_span": C("usage_snapshots", "which grains a report's presence counts at (its window)"),
            "dated_active": C("activities", "stickiness, weekly participation (a day that saw an activity)"),
            "active": C("activities, usage_snapshots", "participation"),
        },
        derived=True,
    ),
    "m_person_period": Table(
        "activity per person and week, month, quarter", _DERIVED + " (so purged periods leave it)", True,
        {
            "grain": C("metrics", "week, month or quarter"),
            "period_start": C("m_person_day", "the period"),
            "person_key": C("m_person_day", "per-person base of every metric"),
            "activities": C("m_person_day", "activity counts"),
            "posts": C("m_person_day", "contribution"),
            "replies": C("m_person_day", "contribution"),
            "reactions": C("m_person_day", "personas"),
            "received": C("m_person_day", "personas"),
            "replies_received": C("m_person_day", "champions"),
            "reads": C("m_person_day", "readers retained"),
            "usage_active": C("m_person_day", "participation (reads)"),
            "usage_read": C("m_person_day", "readers retained"),
            "usage_span": C("m_person_day", "which grains a report's presence counts at (its window)"),
            "active": C("m_person_day", "participation"),
            "read": C("m_person_day", "readers retained"),
            "active_days": C("m_person_day", "stickiness"),
            "last_contribution": C("m_person_day", "inactive teams (days without contribution)"),
            "active_before": C("m_person_day", "retention (active in the period before as well)"),
            "contributed_before": C("m_person_day", "contributors retained (contributed in the period before)"),
            "read_before": C("m_person_day", "readers retained (read in the period before)"),
        },
        derived=True,
    ),
    "m_thread_reply": Table(
        "the first day each person replied in each thread", _DERIVED + " (so purged threads leave it)", True,
        {
            "source": C("activities", "which network the thread is on"),
            "thread_ref": C(
                "activities: the thread (Mattermost: a pseudonym, like in activities)",
                "recompute the threads a load posted in without reading the activities",
                pseudonym="value",
                where="source = 'mattermost' or (source = 'slack' and thread_ref like 'folder:%')",
            ),
            "person_key": C("activities", "leadership: whether someone other than the author replied"),
            "first_day": C("activities", "leadership: when a thread got its first reply (a load adds its own rows: "
                           "the earliest counts)"),
        },
        derived=True,
    ),
    "m_thread_start": Table(
        "threads started per person and day, with the first reply from someone else",
        _DERIVED + " (so purged threads leave it)", True,
        {
            "source": C("activities", "which network the thread is on"),
            "thread_ref": C(
                "activities: the thread (Mattermost: a pseudonym, like in activities)",
                "recompute the threads a load answered",
                pseudonym="value",
                where="source = 'mattermost' or (source = 'slack' and thread_ref like 'folder:%')",
            ),
            "person_key": C("activities", "leadership: replies to leaders' threads"),
            "day": C("activities", "the day the thread started"),
            "threads": C("activities", "threads started"),
            "replied_on": C("activities", "leadership: whether and when a thread got a reply"),
        },
        derived=True,
    ),
    "m_thread_post": Table(
        "the posts of each person in each thread per day, with the first reply by someone else",
        _DERIVED + " (so purged threads leave it)", True,
        {
            "source": C("activities", "which network the thread is on"),
            "thread_ref": C(
                "activities: the thread (Mattermost: a pseudonym, like in activities)",
                "the thread's posts and its first reply read again when a load adds to it",
                pseudonym="value",
                where="source = 'mattermost' or (source = 'slack' and thread_ref like 'folder:%')",
            ),
            "person_key": C("activities", "responsiveness: the group of the thread's author"),
            "day": C("activities", "the day of the posts (a range reads its own days)"),
            "posted_at": C("activities", "time to first reply: when the author first posted in the thread that day"),
            "replied_at": C("activities", "time to first reply: the first reply by someone else at or after it"),
            "seconds": C("activities", "time to first reply, in seconds"),
            "prev_day": C("activities", "where the author started the thread over a range (their previous day of posting)"),
        },
        derived=True,
    ),
    "m_space_thread_post": Table(
        "the same per space, replies in a space only (communities)",
        _DERIVED + " (so purged threads leave it)", True,
        {
            "space_key": C("activities", "communities: the space the posts are in"),
            "source": C("activities", "which network the thread is on"),
            "thread_ref": C(
                "activities: the thread (Mattermost: a pseudonym, like in activities)",
                "the thread's posts and its first reply read again when a load adds to it",
                pseudonym="value",
                where="source = 'mattermost' or (source = 'slack' and thread_ref like 'folder:%')",
            ),
            "person_key": C("activities", "responsiveness: the group of the thread's author"),
            "day": C("activities", "the day of the posts (a range reads its own days)"),
            "posted_at": C("activities", "time to first reply: when the author first posted in the thread that day"),
            "replied_at": C("activities", "time to first reply: the first reply by someone else at or after it"),
            "seconds": C("activities", "time to first reply, in seconds"),
            "prev_day": C("activities", "where the author started the thread over a range (their previous day of posting)"),
        },
        derived=True,
    ),
    "m_space_thread_count": Table(
        "the threads of each space counted per day (communities)",
        _DERIVED + " (so purged threads leave it)", False,
        {
            "space_key": C("m_space_thread_post", "communities: the space the threads are in"),
            "day": C("m_space_thread_post", "the day of the posts (a range reads its own days)"),
            "prev_day": C("m_space_thread_post",
                          "where the author started the thread over a range (their previous day of posting)"),
            "reply_day": C("m_space_thread_post", "threads answered by the end of a range"),
            "fast": C("m_space_thread_post", "threads answered within a day"),
            "threads": C("m_space_thread_post", "communities: threads started, answered, answered within a day"),
        },
        derived=True,
    ),
    "m_space_reply_time": Table(
        "the times to a first reply of each space's threads (communities)",
        _DERIVED + " (so purged threads leave it)", False,
        {
            "space_key": C("m_space_thread_post", "communities: the space the thread is in"),
            "day": C("m_space_thread_post", "the day of the posts (a range reads its own days)"),
            "prev_day": C("m_space_thread_post",
                          "where the author started the thread over a range (their previous day of posting)"),
            "reply_day": C("m_space_thread_post", "threads answered by the end of a range"),
            "seconds": C("m_space_thread_post", "communities: median and 90th percentile time to first reply"),
        },
        derived=True,
    ),
    "m_space_day": Table(
        "activities per space, person and day", _DERIVED + " (so purged activity leaves it)", True,
        {
            "space_key": C("activities", "communities: the space"),
            "person_key": C("activities", "communities: active members, readers"),
            "day": C("activities", "the day (a range reads its own days)"),
            "activities": C("activities", "activity counts"),
            "posts": C("activities", "communities: posts"),
            "replies": C("activities", "communities: replies"),
            "reads": C("activities", "communities: readers"),
            "prev_day": C("activities", "the person's first day in the space over a range (their previous day)"),
            "prev_read_day": C("activities", "the person's first read in the space over a range"),
        },
        derived=True,
    ),
    "m_space_member": Table(
        "each person's first day in each space", _DERIVED + " (so purged activity leaves it)", True,
        {
            "space_key": C("m_space_day", "communities: the space"),
            "person_key": C("m_space_day", "communities: members up to a day"),
            "first_day": C("m_space_day", "communities: members up to a day"),
        },
        derived=True,
    ),
    "m_space_total": Table(
        "contributions per space and day", _DERIVED + " (so purged activity leaves it)", True,
        {
            "space_key": C("m_space_day", "communities: the space"),
            "day": C("m_space_day", "communities: last contribution, trend"),
            "posts": C("m_space_day", "communities: last contribution, trend"),
            "replies": C("m_space_day", "communities: last contribution, trend"),
        },
        derived=True,
    ),
    "m_person_month": Table(
        "the months each person was active, reacted and contributed in, and the quarters they were active in, as bits",
        _DERIVED + " (so purged activity leaves it)", True,
        {
            "person_key": C("m_person_period", "lifecycle: the onboarding funnel over a range"),
            "block": C("m_person_period", "the block of 60 months the bits count from"),
            "active_months": C("m_person_period", "lifecycle: seen, over the months of a range"),
            "reacted_months": C("m_person_period", "lifecycle: reacted, over the months of a range"),
            "contributed_months": C("m_person_period", "lifecycle: posted and contributes regularly"),
            "active_quarters": C("m_person_period", "lifecycle: seen, over the whole quarters of a range"),
        },
        derived=True,
    ),
    "m_person_arrival": Table(
        "each person's first activity, ever", _DERIVED + " (so purged activity leaves it)", True,
        {
            "person_key": C("activities", "lifecycle: the cohorts"),
            "first_at": C("activities", "lifecycle: the month of arrival of the cohorts"),
        },
        derived=True,
    ),
    "m_space_month": Table(
        "the months each person was active and read in each space, as bits", _DERIVED + " (so purged activity leaves it)",
        True,
        {
            "space_key": C("m_space_day", "communities: the space"),
            "person_key": C("m_space_day", "communities: active members, readers over whole months"),
            "block": C("m_space_day", "the block of 62 months the bits count from"),
            "months": C("m_space_day", "communities: active members over whole months"),
            "read_months": C("m_space_day", "communities: readers over whole months"),
            "prev_month": C("m_space_day", "the person's first block in the space over a range (their last month before)"),
            "prev_read_month": C("m_space_day", "the person's first read in the space over a range"),
        },
        derived=True,
    ),
    "m_space_month_count": Table(
        "the people active and reading per space and month, by their previous month in the space",
        _DERIVED + " (so purged activity leaves it)", False,
        {
            "space_key": C("m_space_month", "communities: the space"),
            "read": C("m_space_month", "whether the row counts readers (else active members)"),
            "month": C("m_space_month", "the month the people were active in (year * 12 + month - 1)"),
            "prev_month": C("m_space_month", "their first month in the space over a range (their month before)"),
            "people": C("m_space_month", "communities: active members, readers over whole months"),
        },
        derived=True,
    ),
    "m_space_person": Table(
        "activities per space and person over the whole history", _DERIVED + " (so purged activity leaves it)", True,
        {
            "space_key": C("activities", "external collaboration: spaces where insiders and outsiders meet"),
            "person_key": C("activities", "external collaboration: distinct people per space"),
            "activities": C("activities", "activity counts"),
        },
        derived=True,
    ),
    "m_person_network": Table(
        "each person's community and betweenness in the interaction graph", _DERIVED, True,
        {
            "person_key": C("activities", "person-level network results"),
            "community": C("activities (Louvain)", "informal communities against the formal groups"),
            "betweenness": C("activities", "bridges: boundary spanners (administrators only)"),
        },
        derived=True,
    ),
    "m_results": Table(
        "metric results of the dashboard's default views, computed after each load (after the metrics' own "
        "small-group suppression; the cells of the lifecycle's cohort curves before it, counts per group and "
        "month of arrival that a range of whole months cuts and suppresses as its own), and what the next load "
        "reads instead of computing it again: the groups each period left out, each team's participation per "
        "period for the inactivity rules (never shown)",
        _DERIVED, True,
        {
            "key": C("metrics", "which metric, with which parameters (minimum group size included)"),
            "state": C("metrics", "what the store held when computed: stale results are never read"),
            "rows": C("metrics: the result rows (Arrow)", "serve the default views fast"),
            "suppressed": C("metrics", "how many groups the metric left out"),
            "extra": C("metrics: organisation-wide figures (JSON)", "serve the default views fast"),
        },
        derived=True,
        dropped_on_rotation=True,
    ),
    "m_group_ties": Table(
        "tie weight between groups per day, for every group attribute", _DERIVED + " (so purged activity leaves it)",
        False,
        {
            "attribute": C("metrics", "which group attribute the groups are of"),
            "day": C("activities", "the day of the interactions"),
            "grp_a": C("people (" + _ATTRIBUTE + ")", "silos, E-I index and group graph over any range"),
            "grp_b": C("people (" + _ATTRIBUTE + ")", "silos, E-I index and group graph over any range"),
            "weight": C("activities", "how many replies, mentions and reactions link the two groups that day"),
        },
        derived=True,
    ),
    "m_group_ends": Table(
        "tie weight inside and out of each group per month, for every group attribute",
        _DERIVED + " (so purged activity leaves it)", False,
        {
            "attribute": C("metrics", "which group attribute the groups are of"),
            "month": C("activities", "the month of the interactions"),
            "grp": C("people (" + _ATTRIBUTE + ")", "silos, E-I index and the group graph's busiest groups over any range"),
            "internal_ties": C("activities", "how many replies, mentions and reactions link two people of the group"),
            "external_ties": C("activities", "how many link one of its people to someone outside it"),
        },
        derived=True,
    ),
    "m_group_ties_today": Table(
        "tie weight between groups per day in today's organisation, for the group attributes someone held "
        "otherwise on some day", _DERIVED + " (so purged activity leaves it)", False,
        {
            "attribute": C("metrics", "which group attribute the groups are of"),
            "day": C("activities", "the day of the interactions"),
            "grp_a": C("people (" + _ATTRIBUTE + ")", "silos, E-I index and group graph as today's organisation over any range"),
            "grp_b": C("people (" + _ATTRIBUTE + ")", "silos, E-I index and group graph as today's organisation over any range"),
            "weight": C("activities", "how many replies, mentions and reactions link the two groups that day"),
        },
        derived=True,
    ),
    "m_group_ends_today": Table(
        "tie weight inside and out of each group of today's organisation per month, for the group attributes "
        "someone held otherwise on some day", _DERIVED + " (so purged activity leaves it)", False,
        {
            "attribute": C("metrics", "which group attribute the groups are of"),
            "month": C("activities", "the month of the interactions"),
            "grp": C("people (" + _ATTRIBUTE + ")", "silos, E-I index and the group graph's busiest groups as "
                     "today's organisation over any range"),
            "internal_ties": C("activities", "how many replies, mentions and reactions link two people of the group"),
            "external_ties": C("activities", "how many link one of its people to someone outside it"),
        },
        derived=True,
    ),
    "m_group_members": Table(
        "the days each person counts in the headcount of each group they held, from their employment and "
        "the versions of their attributes, without their key: for every group attribute, and in today's "
        "organisation for the group attributes someone held otherwise on some day", _DERIVED, True,
        {
            "attribution": C("metrics", "the organisation as it was on each day, or today's"),
            "attribute": C("metrics", "which group attribute the groups are of"),
            "grp": C("people (" + _ATTRIBUTE + ")", "the headcount of each group over any range: silos, E-I index "
                     "and the group graph"),
            "first_day": C("people, people_history (hire date, first day of the version)",
                           "a range counts the person from this day on"),
            "last_day": C("people, people_history (leaving date, last day of the version)",
                          "a range counts the person up to this day"),
            "earlier_last_day": C("people, people_history", "the person counts once in the group over a range "
                                  "that several of their versions touch"),
        },
        derived=True,
    ),
    "m_group_ties_state": Table(
        "what the group ties were computed from", _DERIVED, False,
        {
            "state": C("metrics", "counts of the store: stale group ties are never read"),
            "facts": C("metrics", "count and last run of the activities, last person key, digest of the groups: "
                       "a load that only adds activities updates their days"),
        },
        derived=True,
    ),
    "m_external_days": Table(
        "the days each external person did something", _DERIVED + " (so purged activity leaves it)", True,
        {
            "day": C("activities", "the people of the group External in a period"),
            "person_key": C("activities", "the people of the group External in a period"),
        },
        derived=True,
    ),
    "m_person_pairs": Table(
        "the pairs of people with a tie (a reply, mention or reaction either way) over the whole history",
        _DERIVED + " (so purged activity leaves it)", True,
        {
            "person_a": C("activities", "bridges: how many people and groups each person reaches"),
            "person_b": C("activities", "bridges: how many people and groups each person reaches"),
        },
        derived=True,
    ),
    "m_hierarchy": Table(
        "the reporting tree: every person with each of their managers up the tree, over the days it holds",
        _DERIVED + " (built again only when the directory changed)", True,
        {
            "person_key": C("people, people_history (manager)", "views by the hierarchy: the organisation of a leader"),
            "ancestor_key": C("people, people_history (manager)", "views by the hierarchy: who is under whom"),
            "distance": C("people, people_history (manager)", "the level of an organisation; the teams of managers"),
            "valid_from": C("people_history", "the tree as it was on each period's last day"),
            "valid_to": C("people_history", "the tree as it was on each period's last day"),
        },
        derived=True,
    ),
    "m_hierarchy_links": Table(
        "the directory's manager links by version, with why a refused one is (self-manager, unknown, cycle)",
        _DERIVED + " (built again only when the directory changed)", True,
        {
            "person_key": C("people, people_history", "the reporting tree"),
            "valid_from": C("people_history", "the reporting tree over time"),
            "valid_to": C("people_history", "the reporting tree over time"),
            "manager_key": C("people, people_history (manager)", "the reporting tree"),
            "reason": C("metrics", "the links refused and why"),
        },
        derived=True,
    ),
    "m_hierarchy_state": Table(
        "what the reporting tree was built from", _DERIVED, False,
        {"state": C("metrics", "counts and digests of the directory's managers: a stale tree is never read")},
        derived=True,
    ),
    "m_hierarchy_periods": Table(
        "each organisation of the reporting tree per period, for every grain: its people, active and contributors, "
        "and what the hierarchy's floor shows of it, a row per floor (the minimum group size's, a sponsor's)",
        _DERIVED + " (so purged activity leaves it)", False,
        {
            "grain": C("metrics", "which period grain"),
            "floor": C("metrics", "the smallest part shown, whose decisions the row holds (min_group_size, "
                       "sponsor_min_group_size)"),
            "period_start": C("metrics", "the period"),
            "period": C("metrics", "the period's label"),
            "partial": C("activities", "whether the data holds only part of the period"),
            "head_key": C("people, people_history (manager)", "the organisation's head (a key, no name)"),
            "parent_key": C("people, people_history (manager)", "the head's manager: the drill-down"),
            "level": C("people, people_history (manager)", "organisations by level"),
            "headcount": C("people", "people employed in the organisation (unsuppressed: never shown as such)"),
            "active": C("activities", "how many of them were active (unsuppressed)"),
            "contributors": C("activities", "how many of them posted or replied (unsuppressed)"),
            "remainder": C("people", "its people in none of its sub-organisations (unsuppressed)"),
            "shown": C("metrics", "whether the floor lets the organisation be shown"),
            "remainder_shown": C("metrics", "whether the floor lets its remainder be shown"),
        },
        derived=True,
    ),
    "m_hierarchy_teams": Table(
        "each manager's team per period, for every grain: managers as relays", _DERIVED + " (so purged activity "
        "leaves it)", False,
        {
            "grain": C("metrics", "which period grain"),
            "period_start": C("metrics", "the period"),
            "period": C("metrics", "the period's label"),
            "partial": C("activities", "whether the data holds only part of the period"),
            "manager_key": C("people, people_history (manager)", "the team's manager (a key, no name; never shown)"),
            "took_part": C("activities", "whether the manager posted or replied in the period"),
            "headcount": C("people", "people employed reporting straight to the manager (never shown)"),
            "active": C("activities", "how many of them were active (never shown)"),
        },
        derived=True,
    ),
    "m_hierarchy_team_sizes": Table(
        "the managers' teams per period and side counted by size, for every grain: managers as relays",
        _DERIVED + " (so purged activity leaves it)", False,
        {
            "grain": C("metrics", "which period grain"),
            "period_start": C("metrics", "the period"),
            "period": C("metrics", "the period's label"),
            "partial": C("activities", "whether the data holds only part of the period"),
            "took_part": C("activities", "whether the manager posted or replied in the period"),
            "headcount": C("people", "the size of the teams counted (never shown)"),
            "teams": C("people, people_history (manager)", "how many teams of that size (never shown)"),
            "active": C("activities", "how many of their people were active (never shown)"),
            "active_squared": C("activities", "the sum of the squares of each team's active people: the "
                                "interval of the gap (never shown)"),
        },
        derived=True,
    ),
    "m_hierarchy_periods_state": Table(
        "what the tree's figures per period were computed from", _DERIVED, False,
        {"facts": C("metrics", "the tree's state, digests of the people, count and last run of the activities, the "
                    "data's first and last day, the floors: a load that only adds activities recomputes its periods")},
        derived=True,
    ),
    "m_network_state": Table(
        "what the network results were computed from", _DERIVED, False,
        {"key": C("metrics", "name of the fact"),
         "value": C("metrics", "counts, seed, sample, when computed and from data up to which day: the pages "
                    "say how recent the communities and the betweenness are")},
        derived=True,
    ),
    # three per participation query (grain, attribution, attributes): metrics.participation.shared_stays
    "m_stays_{digest}_staff": Table(
        "internal people with each version of the attributes one participation query groups by (one table "
        "per query)", _DERIVED + " (computed again whenever a person or their history changed)", True,
        {
            "person_key": C("people", "follow each person's versions"),
            "by_attribute": C("metrics", "which group attribute the row is of, when a query groups by several"),
            "g{n}": C("people_history (" + _ATTRIBUTE + ")",
                      "the groups a person held, version by version (one column per attribute grouped by)"),
            "hired_period": C(_DIRECTORY, "the period of hiring: headcounts per period"),
            "left_period": C(_DIRECTORY, "the period of leaving: headcounts per period"),
            "valid_from": C("people_history", "the first day of the version"),
            "valid_to": C("people_history", "the day after the version's last"),
        },
        derived=True,
    ),
    "m_stays_{digest}_held": Table(
        "each group's stays: the periods its people held it in, from the table above (one table per query)",
        _DERIVED + " (computed again whenever a person or their history changed)", True,
        {
            "by_attribute": C("metrics", "which group attribute the row is of, when a query groups by several"),
            "g{n}": C("people_history (" + _ATTRIBUTE + ")", "the groups held (one column per attribute grouped by)"),
            "hired_period": C(_DIRECTORY, "the period of hiring: headcounts per period"),
            "left_period": C(_DIRECTORY, "the period of leaving: headcounts per period"),
        },
        derived=True,
    ),
    "m_stays_{digest}_moves": Table(
        "each group's people arriving and leaving per period, from the table above (one table per query)",
        _DERIVED + " (computed again whenever a person or their history changed)", False,
        {
            "by_attribute": C("metrics", "which group attribute the row is of, when a query groups by several"),
            "g{n}": C("people_history (" + _ATTRIBUTE + ")", "the groups held (one column per attribute grouped by)"),
            "period_start": C(_DIRECTORY, "the period of arrival (hiring) or the one after leaving: headcounts "
                              "per period"),
            "people": C("metrics", "the people arriving (positive) or leaving (negative) in that period"),
        },
        derived=True,
    ),
    # metrics.range_groups: per attribution (as_it_was, today)
    "m_range_group_{attribution}": Table(
        "each person's activity over the whole history in each group they held, for every attribute the "
        "stored results ask for (90/9/1, personas), as last built for everyone",
        _DERIVED + " (built again whenever a person, their history or an activity went or changed)", True,
        _RANGE_GROUP_COLUMNS,
        derived=True,
    ),
    "m_range_group_{attribution}_since": Table(
        "the same rows of the people whose rows changed since they were built for everyone",
        _DERIVED + " (each load that only adds activities writes those of the people it touched)", True,
        _RANGE_GROUP_COLUMNS,
        derived=True,
    ),
    "m_range_group_{attribution}_people": Table(
        "the people whose rows changed since they were built for everyone", _DERIVED, True,
        {"person_key": C("activities, people_history", "their rows are read from the table above")},
        derived=True,
    ),
    "m_range_group_state": Table(
        "what each person's activity in each group was computed from", _DERIVED, False,
        {"attribution": C("metrics", "the organisation as it was on each day, or today's"),
         "facts": C("metrics", "counts and last runs of the activities and usage reports, digests of the people "
                    "tables, the attributes, the first and last day of the data: a load that only adds rows "
                    "computes again the rows of the people it touched")},
        derived=True,
    ),
    "m_results_facts": Table(
        "what the dashboard's stored results were computed from", _DERIVED, False,
        {"facts": C("metrics", "counts and last runs of the activities and usage reports, digests of the people "
                    "tables, the last day of the data, the settings of the calls: a load that only adds rows "
                    "recomputes the periods it touched")},
        derived=True,
    ),
}


def table_kind(name: str) -> str:
    """The entry of :data:`TABLES` that documents the stored table ``name``: itself, or the kind of
    the tables one entry documents under one name (``m_stays_<digest>_held``).

    >>> table_kind("m_stays_0123456789abcdef_held"), table_kind("people")
    ('m_stays_{digest}_held', 'people')
    >>> table_kind("m_range_group_today"), table_kind("m_range_group_as_it_was_since")
    ('m_range_group_{attribution}', 'm_range_group_{attribution}_since')
    """
    match = re.fullmatch(r"m_stays_[0-9a-f]{16}_(staff|held|moves)", name)
    if match:
        return f"m_stays_{{digest}}_{match[1]}"
    match = re.fullmatch(r"m_range_group_(?:as_it_was|today)(_people|_since)?", name)
    return f"m_range_group_{{attribution}}{match[1] or ''}" if match else name


def pseudonym_columns() -> list[tuple[str, str, Column]]:
    """(table, column, entry) of every stored column whose values depend on the key."""
    return [(t, c, col) for t, table in TABLES.items() for c, col in table.columns.items() if col.pseudonym]


# --------------------------------------------------------------------------------------------
# Who sees what. Which role may open each dashboard page is enforced, and registered, by
# dashboard.auth.PAGE_ROLES; what each page shows is described here (a test holds the two
# together). The command line runs on the store itself: whoever can run it is an administrator.

ROLES: dict[str, str] = {
    "sponsor": "leadership sponsor: the overview and the report, on the organisation and large groups "
    "(sponsor_min_group_size)",
    "community-manager": "every aggregate page, teams at risk included; no person-level view",
    "admin": "the Data and Audit pages, the configuration, the command line and the person-level views "
    "(bridges: the top boundary spanners, named in memory from the directory file and the key)",
}


@dataclass(frozen=True)
class Page:
    title: str
    shows: str
    person_level: bool = False


#: Every dashboard page, by its URL path.
PAGES: dict[str, Page] = {
    "overview": Page("Overview", "participation, contribution, leaders' participation and cross-silo share against "
                     "the roadmap targets; participation over time; the adoption curve of each group"),
    "organisation": Page("Organisation", "an organisation of the reporting tree against the company, its "
                         "sub-organisations (drill-down), and managers as relays; groups under the hierarchy's "
                         "floor hidden"),
    "participation": Page("Participation", "participation by group and period, retention, frontline against desk, "
                          "job levels"),
    "contributors": Page("Contributors", "the 90/9/1 split, Lorenz curve and Gini, personas per group"),
    "network": Page("Network", "group graph, E-I index per group, cross-silo share, informal communities against "
                    "the formal groups"),
    "communities": Page("Communities", "each community (group or channel) with its health score and its parts, the "
                        "idle ones, time to first reply, unanswered threads, new, returning and lapsed contributors, "
                        "the onboarding funnel and cohorts; private conversations pooled, communities under k "
                        "members not listed"),
    "teams-at-risk": Page("Teams at risk", "a worklist of the teams flagged by the inactivity rules: why, since when, "
                          "the people they hold"),
    "data": Page("Data", "loads, rejected rows by reason (identifiers pseudonymised), coverage, freshness"),
    "people": Page("People", "person-level views (boundary spanners, champions), named in memory for an administrator",
                   person_level=True),
    "audit": Page("Audit", "who viewed or exported what, with which filters, when", person_level=True),
}


@dataclass(frozen=True)
class Command:
    name: str
    roles: tuple[str, ...]
    shows: str
    person_level: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("ruche report", ("sponsor", "community-manager", "admin"),
            "the overview as a self-contained HTML file (written by an administrator, read by sponsors)"),
    Command("ruche metrics", ("admin",), "every metric as a table, CSV or JSON, groups under min_group_size left out"),
    Command("ruche metrics bridges --names-from", ("admin",),
            "the top boundary spanners, named in memory from the directory file and the key", person_level=True),
    Command("ruche ingest, purge, key, lake, privacy-pack", ("admin",),
            "loads, retention, key check and rotation, the copy of the store to DuckLake, this pack"),
)

#: Views broken down by the manager hierarchy describe small, nameable teams: their floor.
MANAGER_HIERARCHY_MIN_GROUP_SIZE = 10

"""The reasons a load gives a rejected or skipped row, and the names of its inputs, in words.

A reason is data: the ``rejects`` table keeps it in English, whatever the language of the load,
so a store never mixes languages and a query on ``reason`` reads the same everywhere. It is said
in the reader's language where it is shown (the summary of ``ruche ingest``, its errors, the Data
page) by :func:`say`, which finds the reason's template below and translates it with its values.

A reason holding values (a column's name, a date, a count) is one of the templates with
``{fields}``; :func:`say` recognises it by its fixed words and puts the same values into the
translated template. Each value that is itself a reason or an input's name is said too. A text
that matches no template is shown as it is: a new reason is added here with its French
(docs/ingest.md).

>>> from ruche.i18n import use
>>> with use("fr"):
...     say("unreadable CSV line: more fields than the 5 columns of the header")
"ligne CSV illisible : plus de champs que les 5 colonnes de l'en-tête"
>>> say("hired_on is outside 2000-01-01 to 2027-12-31 (not a plausible hire date)")
'hired_on is outside 2000-01-01 to 2027-12-31 (not a plausible hire date)'
"""

from __future__ import annotations

import functools
import re

from ruche.i18n import N_, _

# --- Reasons built by the Python readers (values put in with str.format) ---------------------------

UNREADABLE_CSV_LINE = N_("unreadable CSV line: {reason}")
MORE_FIELDS = N_("more fields than the {n} columns of the header")
FEWER_FIELDS = N_("fewer fields than the {n} columns of the header")
QUOTE_INSIDE = N_("a quote inside an unquoted field")
QUOTE_NEVER_CLOSED = N_("a quoted field never closed")
LINE_TOO_LONG = N_("line longer than {size} MB")

#: Every reason a load stores or counts, and every name it gives an input, in English: the texts
#: of the SQL files (ingest/*.sql) and of the readers. ``{field}``: a value the reason holds.
TEMPLATES = (
    UNREADABLE_CSV_LINE, MORE_FIELDS, FEWER_FIELDS, QUOTE_INSIDE, QUOTE_NEVER_CLOSED, LINE_TOO_LONG,
    # the directory (directory.sql)
    N_("id is empty (expected the employee id)"),
    N_("email is not an e-mail address"),
    N_("level is not one of executive, manager, staff"),
    N_("frontline is not a boolean (expected true/false, yes/no or 1/0)"),
    N_("hired_on is not a date (expected YYYY-MM-DD)"),
    N_("left_on is not a date (expected YYYY-MM-DD)"),
    N_("hired_on is outside {earliest} to {latest} (not a plausible hire date)"),
    N_("left_on is outside {earliest} to {latest} (not a plausible leaving date)"),
    N_("left_on is before hired_on (left before being hired)"),
    N_("effective_from is not a date (expected YYYY-MM-DD, or empty for the first row)"),
    N_("effective_from is outside {earliest} to {latest} (not a plausible date)"),
    N_("{reason} (the first row is kept)"),
    N_("id listed twice on the same effective_from"),
    N_("id listed twice"),
    N_("email listed twice on the same effective_from"),
    N_("email listed twice"),
    N_("email listed under two ids (each e-mail is one person)"),
    N_("manager_id is the person's own id (loaded without a manager)"),
    N_("manager_id names nobody in the directory (loaded without a manager)"),
    # events (events.sql, events.py)
    N_("occurred_at is empty"),
    N_("occurred_at is not a date-time (expected ISO 8601, e.g. 2024-03-05T14:02:11Z)"),
    N_("occurred_at names a time zone that does not exist (expected Z, an offset such as +05:30, or a zone "
       "such as Europe/Paris)"),
    N_("occurred_at has an impossible UTC offset (expected -12:00 to +14:00)"),
    N_("actor is empty"),
    N_("kind is empty"),
    N_("kind is not one of post, reply, reaction, mention, read, join"),
    N_("target matches no directory id or e-mail"),
    N_("actor matches no directory id or e-mail"),
    # every network's activities (activities.sql)
    N_("date outside 2000-01-01 to {year}-12-31 (an event cannot be dated nowhere)"),
    N_("date outside 2000-01-01 to {year}-12-31 (an event cannot be dated before 2000)"),
    N_("date outside 2000-01-01 to {year}-12-31 (an event cannot be dated after next year)"),
    # the Microsoft 365 reports (m365*.sql, m365.py)
    N_("{column} is empty"),
    N_("{column} is concealed (a 32-hex digest) in a report that names its other {others}"),
    N_("Report Refresh Date is empty"),
    N_("Report Refresh Date is not a date (expected YYYY-MM-DD)"),
    N_("Report Refresh Date is not a plausible date (expected 2000-01-01 to {latest})"),
    N_("Report Period is not 1, 7, 30, 90 or 180 days"),
    N_("Last Activity Date is not a date (expected YYYY-MM-DD)"),
    N_("Last Activity Date is not a plausible date (expected 2000-01-01 to {latest})"),
    N_("{column} is not a whole number of zero or more"),
    N_("a Used column is not Yes or No"),
    N_("User principal name is empty"),
    N_("User principal name is not an address (expected name@domain)"),
    N_("When created is not a date (expected YYYY-MM-DD hh:mm:ssZ)"),
    N_("When created is not a plausible date (expected 2000-01-01 to {latest})"),
    # Mattermost (mattermost.sql, mattermost.py)
    N_("user without a username"),
    N_("post is not a JSON object"),
    N_("direct_post is not a JSON object"),
    N_("reply is not a JSON object"),
    N_("replies is not a list"),
    N_("reactions is not a list"),
    N_("user is not a username"),
    N_("create_at is not epoch milliseconds"),
    N_("create_at is not a plausible time (before 2000 or after next year)"),
    N_("channel_members is not a list of usernames"),
    N_("post without a team or channel"),
    N_("channel not declared in the export (no channel line for its team and name)"),
    N_("post without a user"),
    N_("reaction without a user"),
    N_("user not among the export's users"),
    # Slack (slack.sql, slack.py)
    N_("user without an id"),
    N_("ts is not epoch seconds (expected e.g. 1459052866.000012)"),
    N_("ts is not a plausible time (before 2000 or after next year)"),
    N_("message without a user"),
    N_("user is not a Slack user id"),
    N_("reactor is not a Slack user id"),
    N_("author not in users.json"),
    # Slack member analytics (slack_analytics.sql)
    N_("user_id is empty"),
    N_("date is not a day (expected YYYY-MM-DD)"),
    N_("date is not a plausible day (before 2000 or after next year)"),
    N_("is_active is not true or false"),
    N_("is_guest is not true or false"),
    N_("messages_posted_count is not a whole number from 0 to 2147483647"),
    N_("reactions_added_count is not a whole number from 0 to 2147483647"),
    # Viva Engage (viva_engage.sql, viva_engage.py)
    N_("group without an id"),
    N_("private is not true or false"),
    N_("external is not true or false"),
    N_("message without an id"),
    N_("message without a sender_id"),
    N_("in_private_conversation is not true or false"),
    N_("sender_id not in Users.csv, nor listed by an earlier export, and no sender_email"),
    N_("{column} has a UTC offset out of range ({offset}; expected -12:00 to +14:00)"),
    N_("{column} is not a date-time (expected ISO 8601, e.g. 2024-03-05T14:02:11Z or 2024-03-05 14:02:11 +0100)"),
    N_("{column} {day} is implausible (expected between 2000 and the end of {year})"),
    # why rows are skipped (the summary's last column)
    N_("bot"),
    N_("system message"),
    N_("deleted message"),
    N_("deleted message, copy loaded earlier removed"),
    N_("deleted"),
    N_("not a message"),
    N_("not activity"),
    N_("day file not in a channel folder"),
    N_("before the retention cut-off"),
    N_("mention of a bot or unknown account"),
    N_("already loaded"),
    N_("listed twice"),
    N_("sign-in blocked"),
    N_("unknown line type"),
    N_("unlicensed (a shared mailbox, room or service account)"),
    # the inputs a load counts (the summary's first column)
    N_("directory rows"),
    N_("events"),
    N_("users"),
    N_("groups"),
    N_("channels"),
    N_("messages"),
    N_("posts and replies"),
    N_("reactions"),
    N_("mentions"),
    N_("other lines"),
    N_("member days"),
    N_("report rows"),
    N_("group rows"),
    N_("device rows"),
    N_("{input} (concealed names)"),
    N_("senders absent from Users.csv"),
    N_("users seen only in messages"),
    # what a JSON lines reader's own check says of a line (mattermost.py)
    N_('"type" is not a string'),
)

_FIELD = re.compile(r"\{(\w+)\}")


@functools.cache
def _patterns() -> tuple[dict[str, str], list[tuple[re.Pattern, str]]]:
    """The templates without values (looked up as they are) and, longest fixed text first, those
    with values as patterns capturing them."""
    plain, patterns = {}, []
    for template in TEMPLATES:
        if not _FIELD.search(template):
            plain[template] = template
            continue
        parts = _FIELD.split(template)  # text, field, text, field, ..., text
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        patterns.append((re.compile(regex + r"\Z", re.DOTALL), template))
    patterns.sort(key=lambda pt: -len(_FIELD.sub("", pt[1])))
    return plain, patterns


def say(reason: str | None) -> str | None:
    """A stored reason (or an input's name) in the language in use; a text no template knows, as it is."""
    if not reason:
        return reason
    plain, patterns = _patterns()
    if reason in plain:
        return _(reason)
    for pattern, template in patterns:
        m = pattern.match(reason)
        if m:
            return _(template).format(**{k: say(v) for k, v in m.groupdict().items()})
    return reason


def known(reason: str | None) -> bool:
    """Whether ``reason`` is one of :data:`TEMPLATES` (with its values): :func:`say` can say it in
    every language.

    >>> known("email listed twice (the first row is kept)"), known("a reason nobody wrote")
    (True, False)
    """
    if not reason:
        return False
    plain, patterns = _patterns()
    return reason in plain or any(p.match(reason) for p, _t in patterns)

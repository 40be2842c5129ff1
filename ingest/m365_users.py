"""The Microsoft 365 admin centre's Users export (Users > Active users > Export users): one row per
user of the tenant, the never-active included.

It gives the population the usage reports cannot: every licensed user, so that the people who
never used the network (absolute non-users) count in participation even without an HR file. Each
user becomes an account (source ``m365-users``) and a person, joined to the others by their User
Principal Name (their e-mail). Names, phones, addresses and the Object Id are not kept.

Not every row is a person of the population: a user without a licence (shared mailboxes, rooms,
service accounts), one whose sign-in is blocked and one deleted (Soft deletion time stamp) are
skipped, each with its reason. A guest (``#EXT#`` in the User Principal Name) is external.
"""

from __future__ import annotations

from ingest.canonical import create_staging, write_accounts
from ingest.common import Context, InputCount, counts_from, queries, store_parse_rejects
from ingest.m365 import checks, first_failure, open_report
from ruche.i18n import N_, _

SOURCE = "m365-users"
STEPS = 2

# The columns documented for the export (older files say CountryOrRegion, StateOrProvince).
FIELDS = {
    "upn": "User principal name",
    "created_date": "When created",
    "soft_deleted_date": "Soft deletion time stamp",
    "block_credential": "Block credential",
    "licenses": "Licenses",
    "title": "Title",
    "department": "Department",
    "office": "Office",
    "city": "City",
}
REQUIRED = ["User principal name", "Licenses"]


def load(ctx: Context) -> list[InputCount]:
    report, parse_rejects = open_report(ctx, "stg_m365_users_raw", FIELDS, REQUIRED,
                                        N_("the Microsoft 365 admin centre's Users export (Export users)"))
    ctx.progress.step(_("users read"))
    ctx.run("m365_users.sql", "stage", checks(report))
    counts = counts_from(ctx.con, queries("m365_users.sql")["counts"])
    count = counts[0] if counts else InputCount("users")
    count.read += len(parse_rejects)
    count.rejected += len(parse_rejects)
    first_failure(ctx, ctx.label, "stg_m365_users", report, parse_rejects, count)
    create_staging(ctx)
    ctx.run("m365_users.sql", "accounts")
    write_accounts(ctx)
    ctx.run("m365_users.sql", "rejects")
    store_parse_rejects(ctx, ctx.label, "accounts", parse_rejects)
    ctx.progress.step(_("people"))
    return [count]

"""The works-council pack (``ruche privacy-pack --out DIR``): what a works council or a data
protection officer asks for, generated from the code's own registries so that it cannot drift.

- the data inventory: every column of every table a store holds (read from a real store built by
  the migrations, so the types are the stored ones), its origin and its purpose
  (:mod:`ruche.inventory`);
- every dashboard page and command, and the roles that may see it (the pages' roles are the ones
  the dashboard enforces, ``dashboard.auth.PAGE_ROLES``);
- the thresholds (the minimum group sizes of the settings table, the floor of views by manager
  hierarchy) and the retention, with the values of the configuration in force.

It writes ``README.md``, ``inventory.md``, ``access.md``, ``thresholds.md`` and the same content as
``privacy-pack.json``.

>>> pack = build(None)
>>> pack["tables"][0]["table"], pack["retention"]["retention_months"]
('schema_version', 13)
"""

from __future__ import annotations

import re

import argparse
import json
from pathlib import Path
from typing import Any

from ruche import inventory
from ruche.config import SETTINGS, Settings
from ruche.i18n import N_, _, term

PSEUDONYM_NOTE = {
    "value": N_("pseudonym"),
    "json": N_("pseudonyms inside"),
    "digest": N_("keyed digest"),
}


def stored_columns() -> dict[str, list[tuple[str, str]]]:
    """table -> [(column, type)] of a store built by the migrations, with the materialised tables."""
    from metrics import refresh
    from ruche.store import connect

    con = connect(":memory:")
    try:
        refresh.refresh_metrics(con, None)
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'main' order by table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        kind_of = inventory.table_kind(table)
        if kind_of != table and re.fullmatch(r"g[0-9]+", column):
            column = "g{n}"  # one column per attribute grouped by
        listed = out.setdefault(kind_of, [])
        if (column, kind) not in listed:  # the tables of one kind: each column once
            listed.append((column, kind))
    return out


def page_roles() -> dict[str, list[str]]:
    """Each dashboard page (URL path) and the roles the dashboard lets open it."""
    from dashboard.auth import PAGE_ROLES, ROLES

    return {path: [r for r in ROLES if r in roles] for path, roles in PAGE_ROLES.items()}


def build(settings: Settings | None) -> dict[str, Any]:
    """The pack's content, as plain data, its texts in the language in use."""
    settings = settings or Settings()
    columns = stored_columns()
    order = list(inventory.TABLES) + sorted(set(columns) - set(inventory.TABLES))
    tables = []
    for name in order:
        if name not in columns:
            continue
        entry = inventory.TABLES.get(name)
        tables.append({
            "table": name,
            "purpose": _(entry.purpose) if entry else _("(undocumented)"),
            "retention": _(entry.retention) if entry else _("(undocumented)"),
            "person_level": entry.person_level if entry else None,
            "derived": entry.derived if entry else None,
            "columns": [
                {
                    "column": column,
                    "type": kind,
                    "origin": _(col.origin) if col else _("(undocumented)"),
                    "purpose": _(col.purpose) if col else _("(undocumented)"),
                    "pseudonym": _(PSEUDONYM_NOTE[col.pseudonym]) if col and col.pseudonym in PSEUDONYM_NOTE else "",
                }
                for column, kind in columns[name]
                for col in [entry.columns.get(column) if entry else None]
            ],
        })
    roles = page_roles()
    pages = [
        {
            "page": _(inventory.PAGES[path].title) if path in inventory.PAGES else path,
            "path": f"/{path}",
            "roles": roles[path],
            "shows": _(inventory.PAGES[path].shows) if path in inventory.PAGES else _("(undocumented)"),
            "person_level": inventory.PAGES[path].person_level if path in inventory.PAGES else None,
        }
        for path in roles
    ]
    commands = [
        {"command": c.name, "roles": list(c.roles), "shows": _(c.shows), "person_level": c.person_level}
        for c in inventory.COMMANDS
    ]
    thresholds = [
        {"name": s.name, "value": getattr(settings, s.name), "default": s.default, "meaning": _(s.help),
         "setting": True}
        for s in SETTINGS if s.name.endswith("min_group_size")
    ]
    thresholds.append({
        "name": _("manager hierarchy"), "value": max(inventory.MANAGER_HIERARCHY_MIN_GROUP_SIZE, settings.min_group_size),
        "default": inventory.MANAGER_HIERARCHY_MIN_GROUP_SIZE, "setting": False,
        "meaning": _("Smallest group a view broken down by the manager hierarchy may show (teams under one "
                     "manager are small and nameable): the Organisation page, ruche metrics hierarchy and "
                     "managers-as-relays, at every level of the drill-down, an organisation shown only when every "
                     "organisation above it is; never below min_group_size."),
    })
    retention_setting = next(s for s in SETTINGS if s.name == "retention_months")
    return {
        "tables": tables,
        "roles": [{"role": r, "may": _(inventory.ROLES[r]) if r in inventory.ROLES else _("(undocumented)")}
                  for r in _role_names()],
        "pages": pages,
        "commands": commands,
        "thresholds": thresholds,
        "retention": {
            "retention_months": settings.retention_months,
            "meaning": _(retention_setting.help),
            "purged": [t["table"] for t in tables if t["person_level"] and not t["derived"]
                       and t["table"] != "audit_log"],
            "kept": _("group_history: per month and directory attribute value, headcount, active, contributors, "
                      "contributions, activities, active days and retention counts, with no person key"),
        },
    }


def _role_names() -> list[str]:
    from dashboard.auth import ROLES

    return list(ROLES)


# --------------------------------------------------------------------------------------------
# Markdown


def _cell(value: Any) -> str:
    text = ", ".join(value) if isinstance(value, list) else ("" if value is None else str(value))
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def render(pack: dict[str, Any]) -> dict[str, str]:
    """File name -> Markdown text."""
    yes, no = _("yes"), _("no")
    inv = ["# " + _("Data inventory"), "",
           _("Every table and column a Ruche store holds, where each value comes from and why it is kept. "
             "Identifiers are pseudonyms (HMAC-SHA256 under a key kept outside the store); no message, "
             "name or e-mail address of an employee is stored."), ""]
    for t in pack["tables"]:
        inv += [f"## `{t['table']}`", "", f"{t['purpose']}.", "",
                _("Person-level: {yes_no}. Retention: {retention}.").format(
                    yes_no=yes if t["person_level"] else no, retention=t["retention"]), ""]
        inv.append(_table([_("column"), _("type"), _("origin"), _("purpose"), _("key-dependent")],
                          [[f"`{c['column']}`", c["type"], c["origin"], c["purpose"], c["pseudonym"]]
                           for c in t["columns"]]))
        inv.append("")
    access = ["# " + _("Who sees what"), "", "## " + _("Roles"), "",
              _("Deny by default: a signed-in person sees nothing until the `roles` setting (or the "
                "identity provider's claim named by `role_claim`) gives them a role."), "",
              _table([_("role"), _("may see")], [[term(r["role"]), r["may"]] for r in pack["roles"]]), "",
              "## " + _("Dashboard pages"), "",
              _table([_("page"), _("path"), _("roles"), _("shows"), _("person-level")],
                     [[p["page"], p["path"], [term(r) for r in p["roles"]], p["shows"], yes if p["person_level"] else no]
                      for p in pack["pages"]]), "",
              "## " + _("Commands"), "",
              _table([_("command"), _("roles"), _("shows"), _("person-level")],
                     [[c["command"], [term(r) for r in c["roles"]], c["shows"], yes if c["person_level"] else no]
                      for c in pack["commands"]]), ""]
    r = pack["retention"]
    thresholds = ["# " + _("Thresholds and retention"), "", "## " + _("Minimum group sizes"), "",
                  _("No aggregate over fewer people is shown or exported; a hidden group is never recoverable "
                    "by subtracting its visible siblings from a total (secondary suppression)."), "",
                  _table([_("threshold"), _("value in force"), _("default"), _("meaning")],
                         [[t["name"], t["value"], t["default"], t["meaning"]] for t in pack["thresholds"]]), "",
                  "## " + _("Retention"), "",
                  _("Person-level data is kept for {months} months.").format(months=r["retention_months"])
                  + f" {r['meaning']}", "",
                  _("Purged: {purged}. Kept: {kept}.").format(purged=", ".join(f"`{t}`" for t in r["purged"]),
                                                             kept=r["kept"]), ""]
    readme = ["# " + _("Ruche: privacy pack"), "",
              _("Generated by `ruche privacy-pack` from the product's own registries and the configuration in "
                "force, for a works council or a data protection officer."), "",
              "- [inventory.md](inventory.md): " + _("every stored column, its type, origin and purpose"),
              "- [access.md](access.md): " + _("the roles, every page and command and who may see it"),
              "- [thresholds.md](thresholds.md): " + _("the minimum group sizes and the retention"),
              "- [privacy-pack.json](privacy-pack.json): " + _("the same, as data"), ""]
    return {"README.md": "\n".join(readme), "inventory.md": "\n".join(inv), "access.md": "\n".join(access),
            "thresholds.md": "\n".join(thresholds)}


def write(out: str | Path, settings: Settings | None) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pack = build(settings)
    written = []
    for name, text in render(pack).items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    (out / "privacy-pack.json").write_text(json.dumps(pack, indent=2, default=str) + "\n", encoding="utf-8")
    written.append(out / "privacy-pack.json")
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = _("example:\n  ruche privacy-pack --out privacy-pack/")
    parser.add_argument("--out", metavar=_("DIR"), required=True, help=_("folder to write the pack into"))


def run(args: argparse.Namespace, settings: Settings) -> int:
    for path in write(args.out, settings):
        print(path)
    return 0

"""The works-council pack, and the inventory it is made from: nothing stored or shown undocumented."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ruche import inventory, privacy_pack
from ruche.cli import main
from ruche.config import Settings
from ruche.store import migrations

ROOT = Path(__file__).resolve().parents[1]


def test_every_stored_column_has_an_origin_and_a_purpose():
    stored = privacy_pack.stored_columns()
    missing = [f"{t}.{c}" for t, cols in stored.items() for c, _ in cols
               if t not in inventory.TABLES or c not in inventory.TABLES[t].columns]
    assert not missing, f"add these columns to ruche/inventory.py: {', '.join(missing)}"
    for t, cols in stored.items():
        entry = inventory.TABLES[t]
        assert entry.purpose and entry.retention, t
        for c, _ in cols:
            assert entry.columns[c].origin and entry.columns[c].purpose, f"{t}.{c}"


def test_the_inventory_names_no_column_a_stored_table_lacks():
    stored = privacy_pack.stored_columns()
    stale = [f"{t}.{c}" for t, cols in stored.items() for c in inventory.TABLES[t].columns
             if c not in {name for name, _ in cols}]
    assert not stale


def test_columns_the_schema_calls_pseudonyms_are_rotated():
    # a migration's comment "pseudonym" on a column: the inventory must know it depends on the key
    said = set()
    for _, _, sql in migrations():
        table = None
        for line in sql.splitlines():
            m = re.match(r"\s*create table (\w+)", line)
            if m:
                table = m.group(1)
            m = re.match(r"\s*(\w+)\s+\w+.*--.*pseudonym", line)
            if m and table:
                said.add((table, m.group(1)))
    assert said
    flagged = {(t, c) for t, c, _ in inventory.pseudonym_columns()}
    assert said <= flagged


def test_every_dashboard_page_is_described_and_every_role_too():
    from dashboard.auth import PAGE_ROLES, ROLES

    app = (ROOT / "dashboard" / "app.py").read_text(encoding="utf-8")
    listed = set(re.findall(r'\("screens/\w+\.py", (?:N_\()?"[^"]+"\)?, "([\w-]+)"\)', app))
    assert listed and listed <= set(PAGE_ROLES)
    assert set(inventory.PAGES) == set(PAGE_ROLES)
    assert set(inventory.ROLES) == set(ROLES)
    for c in inventory.COMMANDS:
        assert set(c.roles) <= set(ROLES), c.name


def test_the_pack_says_what_is_stored_who_sees_it_and_the_thresholds_in_force(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RUCHE_MIN_GROUP_SIZE", "7")
    monkeypatch.setenv("RUCHE_RETENTION_MONTHS", "24")
    out = tmp_path / "pack"
    assert main(["privacy-pack", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "access.md", "inventory.md", "privacy-pack.json", "thresholds.md"]
    pack = json.loads((out / "privacy-pack.json").read_text())
    assert {t["table"] for t in pack["tables"]} == set(privacy_pack.stored_columns())
    people = next(t for t in pack["tables"] if t["table"] == "people")
    person_id = next(c for c in people["columns"] if c["column"] == "person_id")
    assert person_id["type"] == "VARCHAR" and person_id["pseudonym"] == "pseudonym"
    thresholds = {t["name"]: t["value"] for t in pack["thresholds"]}
    assert thresholds["min_group_size"] == 7 and thresholds["manager hierarchy"] == 10
    assert pack["retention"]["retention_months"] == 24
    assert "activities" in pack["retention"]["purged"]
    data = next(p for p in pack["pages"] if p["path"] == "/data")
    assert data["roles"] == ["admin"]
    overview = next(p for p in pack["pages"] if p["path"] == "/overview")
    assert overview["roles"] == ["sponsor", "community-manager", "admin"]
    text = "\n".join(p.read_text() for p in out.glob("*.md"))
    assert "(undocumented)" not in text
    assert "| `person_id` | VARCHAR |" in text and "| min_group_size | 7 | 5 |" in text
    assert "kept for 24 months" in text


def test_the_manager_hierarchy_floor_is_never_below_the_minimum_group_size():
    pack = privacy_pack.build(Settings(values={"min_group_size": 12}))
    assert {t["name"]: t["value"] for t in pack["thresholds"]}["manager hierarchy"] == 12

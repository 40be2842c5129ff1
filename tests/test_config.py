"""The settings table: file, environment, overrides, and documentation of every setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from ruche.config import SETTINGS, ConfigError, Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_defaults_file_environment_and_overrides_in_that_order(tmp_path):
    f = tmp_path / "ruche.toml"
    f.write_text('min_group_size = 8\nsilo_threshold = -0.4\ndb = "from-file.duckdb"\n')
    s = Settings.load(f, env={"RUCHE_MIN_GROUP_SIZE": "9"}, db="from-option.duckdb")
    assert (s.min_group_size, s.silo_threshold, s.db, s.inactive_days) == (9, -0.4, "from-option.duckdb", 30)


def test_a_ruche_table_in_the_file_is_read_too(tmp_path):
    f = tmp_path / "ruche.toml"
    f.write_text("[ruche]\nmin_group_size = 3\n[ruche.phases]\nSales = \"pilot\"\n")
    s = Settings.load(f, env={})
    assert (s.min_group_size, s.phases) == (3, {"Sales": "pilot"})


@pytest.mark.parametrize(
    "text, message",
    [
        ("min_grup_size = 3\n", "unknown setting 'min_grup_size'"),
        ("min_group_size = 'many'\n", "min_group_size must be int"),
        ("min_group_size = 0\n", "at least 1"),
        ("min_group_size = \n", "not valid TOML"),
    ],
)
def test_a_wrong_file_is_refused_with_its_name(tmp_path, text, message):
    f = tmp_path / "ruche.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        Settings.load(f, env={})
    if "TOML" in message or "unknown" in message:
        assert str(f) in str(err.value)


def test_every_setting_is_documented_with_its_default():
    text = DOC.read_text(encoding="utf-8")
    for s in SETTINGS:
        assert f"`{s.name}`" in text, f"{s.name} missing from docs/configuration.md"
        assert f"RUCHE_{s.name.upper()}" in text or s.type is dict, s.name

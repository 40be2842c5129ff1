"""The command line in French: its help (argparse's own words included), the table of `ruche metrics`,
the messages of `ruche key`, `ruche purge`, `ruche notify`, with the language taken from the
`language` setting, else the environment's locale, else English."""

from __future__ import annotations

import argparse
import json
import re

import polars as pl
import pytest

from metrics import registry
from metrics.graph import OTHER
from metrics.groups import GROUP_ATTRIBUTES
from ruche import i18n
from ruche.cli import COMMANDS, build_parser, main

#: English words a French command line must not hold once its identifiers are set aside.
ENGLISH = {
    "the", "of", "and", "to", "in", "is", "are", "by", "with", "from", "for", "at", "as", "its", "it",
    "this", "that", "which", "what", "when", "each", "every", "not", "no", "be", "was", "were", "would",
    "positional", "show", "help", "exit", "default", "file", "folder",
    "store", "key", "load", "loads", "loaded", "error", "examples", "example", "command", "metric", "metrics",
    "people", "group", "groups", "period", "periods", "day", "days", "first", "last", "rate", "rates", "share",
    "headcount", "contributors", "retention", "stickiness", "partial", "suppressed", "fewer", "than",
    "covers", "window", "output", "print", "write", "nothing", "changed", "dry", "run", "sent", "failed",
    "planned", "send", "digest", "already", "yes", "true", "false", "none", "null", "built", "recorded",
    "yet", "rows", "row", "before", "after", "went", "go", "purged", "folded", "months", "month",
    "week", "today", "data", "reads", "known", "employed", "department", "network",
}
#: Proper nouns and product names kept as they are.
PROPER = {"Ruche", "Viva Engage", "Slack", "Mattermost", "Microsoft", "DuckDB", "DuckLake", "PostgreSQL",
          "Gephi", "Louvain", "Gini", "Lorenz", "Graph", "JSON", "CSV", "HTML", "UTC", "NMI", "E-I", "cron"}


def identifiers(parser: argparse.ArgumentParser) -> set[str]:
    """What a command line shows that is typed, not read: command and metric names, the values an
    option takes (``week``, ``department``, ``as-it-was``), of the parser and its sub-parsers."""
    names = set(COMMANDS) | set(registry.names()) | set(GROUP_ATTRIBUTES) | {"check", "rotate"}
    for action in parser._actions:  # noqa: SLF001
        names |= {str(c) for c in (action.choices or ())}
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sub in action.choices.values():
                names |= identifiers(sub)
    return names


def english_words(text: str, allowed: set[str] = frozenset()) -> list[str]:
    """The English words of ``text`` once its identifiers are set aside: option, setting, file and
    variable names (a word with -, _, =, /, ., $ or :), code between backticks, upper-case
    placeholders, the lines of examples (`  ruche ...`), proper nouns and ``allowed``."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("ruche ", "RUCHE_", "30 6")))
    text = re.sub(r"`[^`]*`|\{[^}]*\}|\[[^\]]*\]", " ", text)
    for name in sorted(PROPER | allowed, key=len, reverse=True):
        text = text.replace(name, " ")
    words = [w for w in re.split(r"[\s,;()«»'’\"]+", text) if w]
    words = [w.strip(".:") for w in words if not re.search(r"[-_=/.$:]\w", w) and not w.isupper()]
    return [w for w in words if w.lower() in ENGLISH and w not in allowed]


def plain(text: str) -> str:
    """``text`` with its no-break spaces (French puts them before a colon, in 12 345 and 68,2 %) made spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, plain(out.out), plain(out.err)


def printed(capsys) -> str:
    return plain(capsys.readouterr().out)


@pytest.fixture
def french(monkeypatch):
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    yield
    i18n.set_default(None)


@pytest.fixture(autouse=True)
def _english_after(monkeypatch):
    monkeypatch.delenv("RUCHE_LANGUAGE", raising=False)
    yield
    i18n.set_default(None)


@pytest.mark.parametrize("env, setting, expected", [
    ({"LANG": "fr_FR.UTF-8"}, None, "fr"),
    ({"LC_MESSAGES": "fr_CA.UTF-8", "LANG": "en_US.UTF-8"}, None, "fr"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "fr_FR.UTF-8"}, None, "en"),
    ({"LC_ALL": "C", "LANG": "fr_FR.UTF-8", "LANGUAGE": "fr"}, None, "en"),  # C ignores LANGUAGE, as gettext does
    ({"LANG": "de_DE.UTF-8", "LANGUAGE": "de:fr:en"}, None, "fr"),
    ({"LANG": "C.UTF-8"}, None, "en"),
    ({}, None, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "en", "en"),  # the setting first
    ({"LANG": "en_US.UTF-8"}, "fr", "fr"),
])
def test_the_command_line_s_language(env, setting, expected):
    assert i18n.cli_language(setting, env) == expected


def test_help_in_french_from_the_environment(french, capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = printed(capsys)
    assert out.startswith("usage : ruche [-h] [--config FICHIER] COMMANDE ...\n")
    assert "\narguments positionnels :\n" in out and "\noptions :\n" in out
    assert re.search(r"\n  -h, --help +afficher cette aide et quitter\n", out)
    assert english_words(out, identifiers(build_parser())) == []


def test_metrics_help_in_french(french, capsys):
    with pytest.raises(SystemExit):
        main(["metrics", "participation", "--help"])
    out = printed(capsys)
    assert out.startswith("usage : ruche metrics [-h] [--db FICHIER] [--by ATTRIBUT] [--group NOM]")
    assert "indicateurs de réseau :\n" in out and "\nexemples :\n" in out
    assert re.search(r"\n  managers-as-relays +participation des équipes dont le manager a participé", out)
    parser = build_parser()
    from metrics import cli as metrics_cli
    metrics_cli.add_arguments(parser._subparsers._group_actions[0].choices["metrics"])  # noqa: SLF001
    assert english_words(out, identifiers(parser)) == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_s_help_in_french(french, capsys, command):
    import importlib

    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = printed(capsys)
    parser = build_parser()
    importlib.import_module(COMMANDS[command][0]).add_arguments(
        parser._subparsers._group_actions[0].choices[command])  # noqa: SLF001
    assert out.startswith(f"usage : ruche {command}")
    assert english_words(out, identifiers(parser) | {"sample_data"}) == []


def test_argparse_s_errors_in_french(french, capsys):
    with pytest.raises(SystemExit) as done:
        main(["metrics", "participation", "--period", "year"])
    assert done.value.code == 2
    err = plain(capsys.readouterr().err)
    assert err.splitlines()[-1] == ("ruche metrics : erreur : argument --period : choix invalide : 'year' "
                                    "(choisir parmi 'week', 'month', 'quarter')")


def test_help_in_english_by_default(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = printed(capsys)
    assert out.startswith("usage: ruche [-h] [--config FILE] COMMAND ...\n")
    assert "\noptions:\n" in out and "show this help message and exit" in out


def test_the_setting_wins_over_the_environment(french, tmp_path, capsys):
    config = tmp_path / "ruche.toml"
    config.write_text('language = "en"\n', encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["--config", str(config), "key", "--help"])
    assert printed(capsys).startswith("usage: ruche key [-h] ACTION ...")


def test_the_metrics_table_in_french(french, tiny_store, tmp_path, capsys):
    code, out, _ = run(capsys, "--config", str(tmp_path / "none.toml"), "metrics", "participation",
                       "--db", str(tiny_store))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "participation par direction, par mois, du premier jour au dernier jour"
    assert lines[1] == ("couvre : l'organisation · salariés présents sur la période · organisation telle qu'elle "
                        "était chaque jour · du 5 janv. 2026 au 28 févr. 2026 · période partielle : janv. 2026")
    rows = [[cell.strip() for cell in line.strip("│").split("┆")] for line in lines if line.startswith("│")]
    assert rows[0] == ["période", "direction", "effectif", "actifs", "contributeurs", "taux de participation",
                       "taux de contribution", "assiduité", "fidélisation", "contributeurs fidélisés",
                       "lecteurs fidélisés", "jours", "période partielle"]
    assert rows[1:] == [
        ["janv. 2026", "Legal", "5", "1", "0", "20,0 %", "0,0 %", "3,7 %", "–", "–", "–", "27", "oui"],
        ["janv. 2026", "Sales", "6", "2", "2", "33,3 %", "33,3 %", "3,7 %", "–", "–", "–", "27", "oui"],
        ["févr. 2026", "Legal", "5", "2", "0", "40,0 %", "0,0 %", "3,6 %", "0,0 %", "–", "–", "28",
         "non"],
        ["févr. 2026", "Sales", "6", "2", "2", "33,3 %", "33,3 %", "3,6 %", "50,0 %", "50,0 %",
         "–", "28", "non"],
    ]
    assert lines[-4:] == [
        "population : salariés présents sur la période",
        "fenêtre : du 5 janv. 2026 au 28 févr. 2026",
        "attribution : organisation telle qu'elle était chaque jour",
        "groupes masqués : 0 (groupes de moins de 5 personnes, et au besoin les plus petits des autres, pour "
        "qu'aucun ne puisse être retrouvé)",
    ]
    assert english_words(out, {"Legal", "Sales", "participation"}) == []


def test_csv_and_json_keep_the_machine_names_in_french(french, tiny_store, tmp_path, capsys):
    base = ["--config", str(tmp_path / "none.toml"), "metrics", "participation", "--db", str(tiny_store)]
    _, out, _ = run(capsys, *base, "--format", "csv")
    assert out.splitlines()[:2] == [
        "period,department,headcount,active,contributors,participation_rate,contribution_rate,stickiness,retention,"
        "contributors_retained,readers_retained,days,partial",
        "2026-01,Legal,5,1,0,0.2,0.0,0.037037037037037035,,,,27,true"]
    _, out, _ = run(capsys, *base, "--format", "json")
    document = json.loads(out)
    assert document["rows"][0]["participation_rate"] == 0.2 and document["rows"][0]["period"] == "2026-01"
    assert document["attribution"] == "as-it-was"


def test_the_table_says_the_stored_words_in_french():
    from metrics.cli import readable

    frame = pl.DataFrame({"department": [OTHER, "Sales"], "status": ["disconnected", "silo"],
                          "rule": ["no_contribution", "low_participation"], "partial": [True, False]})
    with i18n.use("fr"):
        assert readable(frame).rows(named=True) == [
            {"direction": "Autres (petits groupes)", "statut": "trop peu de liens pour le dire",
             "règle": "aucune contribution", "période partielle": "oui"},
            {"direction": "Sales", "statut": "silo", "règle": "participation faible", "période partielle": "non"}]


def test_the_dashboard_says_the_stored_words_in_french():
    from dashboard import format as fmt
    from dashboard import tables

    frame = pl.DataFrame({"department": [OTHER, "Sales"], "people": [7, 9]})
    with i18n.use("fr"):
        assert tables.readable(frame)["department"].to_list() == ["Autres (petits groupes)", "Sales"]
        assert fmt.detail({"attribution": "as-it-was", "group": OTHER}) == (
            "rattachement à l'organisation de chaque jour · groupe Autres (petits groupes)")
        assert fmt.detail({"attribution": "today"}) == "rattachement à l'organisation d'aujourd'hui"
    assert fmt.detail({"attribution": "as-it-was", "group": OTHER}) == "attribution as-it-was · group Other (small groups)"
    assert tables.readable(frame)["department"].to_list() == [OTHER, "Sales"]  # the store's word, in English


def test_key_check_in_french(french, tiny_store, tmp_path, capsys, monkeypatch):
    code, out, _ = run(capsys, "--config", str(tmp_path / "none.toml"), "key", "check", "--db", str(tiny_store))
    assert code == 0
    assert out == (f"{tiny_store} : aucun chargement n'a encore enregistré de clé ; le premier chargement "
                   "enregistrera RUCHE_KEY.\n")
    code, _, err = run(capsys, "--config", str(tmp_path / "none.toml"), "key", "check", "--db", str(tmp_path / "no"))
    assert code == 1 and err == f"ruche key : erreur : {tmp_path / 'no'} : aucune base ici\n"


def test_purge_dry_run_in_french(french, tiny_store, tmp_path, capsys):
    code, out, _ = run(capsys, "--config", str(tmp_path / "none.toml"), "purge", "--dry-run", "--db", str(tiny_store),
                       "--as-of", "2027-03-31")
    assert code == 0
    assert out.splitlines() == [
        "Conservation : 13 mois. Au 31 mars 2027, les données individuelles antérieures au 1 févr. 2026 seraient "
        "supprimées :",
        "  activities                      4",
        "  usage_snapshots                 0",
        "  usage_device_snapshots          0",
        "  people_history                  0",
        "  rejects                         0",
        "  accounts                        0",
        "  people                          1",
        "  audit_log                       0",
        "Agrégé d'abord dans group_history : janv. 2026 (10 lignes, sans clé de personne).",
        "Simulation : rien n'a été modifié.",
    ]
    # table names are the store's: the only English left
    assert english_words(out, {"activities", "usage_snapshots", "people", "rejects", "accounts"}) == []


def test_notify_dry_run_in_french(french, sample_store, tmp_path, capsys):
    config = tmp_path / "ruche.toml"
    config.write_text('roles = {community-manager = ["cm@example.com"]}\n[notify]\n'
                      'webhooks = [{kind = "slack", url = "https://hooks.example.com/x", digests = ["community"]}]\n',
                      encoding="utf-8")
    code, out, err = run(capsys, "--config", str(config), "notify", "--db", str(sample_store), "--dry-run")
    assert code == 0
    assert err == ("2 envoi(s) prévu(s) : e-mail 1 de la synthèse communauté, webhook 1 (slack) pour la synthèse "
                   "communauté\n")
    assert out.startswith("Synthèse hebdomadaire Ruche semaine 43 2026 : communauté\n")


def test_what_a_report_covers_is_said_in_french(french, sample_store, tmp_path, capsys):
    """``covers`` of organisation-usage is written by its SQL: the words the catalog translates are
    exactly those (metrics.usage_org.COVERS), kept in the CSV and said in French in the table."""
    from metrics.usage_org import COVERS

    base = ["--config", str(tmp_path / "none.toml"), "metrics", "organisation-usage", "--db", str(sample_store)]
    _, out, _ = run(capsys, *base, "--format", "csv")
    covers = pl.read_csv(out.encode())["covers"]
    assert set(covers) == {"organisation: a report naming its users"} and set(covers) <= set(COVERS)
    _, out, _ = run(capsys, *base)
    assert out.count("organisation : un rapport qui nomme ses utilisateurs") == len(covers)
    assert "a report naming its users" not in out


def test_the_organisation_usage_table_says_its_measures_and_their_scale_in_french(french, sample_store, tmp_path, capsys):
    """The Microsoft 365 reports' measures are said in words, and the ``level`` column (the scale the
    figures are at, here the organisation) is not headed as the job level; the CSV keeps the codes."""
    base = ["--config", str(tmp_path / "none.toml"), "metrics", "organisation-usage", "--db", str(sample_store)]
    _, out, _ = run(capsys, *base, "--format", "csv")
    measures = pl.read_csv(out.encode())["measure"]
    assert set(measures) == {"users", "active_users", "posters", "readers", "likers", "posted", "read", "liked"}
    _, out, _ = run(capsys, *base)
    assert "niveau hiérarchique" not in out and "chiffres pour" in out
    assert out.count("utilisateurs actifs") == (measures == "active_users").sum()
    assert out.count("messages lus") == (measures == "read").sum()
    for code in ("active_users", "posters", "likers"):
        assert code not in out

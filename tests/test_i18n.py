"""The catalogs: every message the code marks has a French translation, and the language is applied."""

from __future__ import annotations

import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from ruche import i18n
from ruche.config import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[1]
#: The packages whose marked strings the catalogs translate (babel.cfg).
PACKAGES = ("ruche", "ingest", "metrics", "dashboard")


def template() -> Catalog:
    """What `pybabel extract -F babel.cfg` makes of the code: every _(), N_() and ngettext(), and the
    texts of the registries the privacy pack prints."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    # the registries' method by its function, whether or not the package's entry point is installed
    method_map = [(pattern, i18n.extract_registries if method == "ruche_registries" else method)
                  for pattern, method in method_map]
    catalog = Catalog(domain=i18n.DOMAIN)
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, method_map=method_map, options_map=options_map, comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def catalog(language: str) -> Catalog:
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as fh:
        return read_po(fh, locale=language)


def fields(text: str) -> set[str]:
    """The replacement fields of a str.format template: '{n} of {total}' -> {'n', 'total'}."""
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_french_is_a_language():
    assert i18n.LANGUAGES == ("en", "fr")


@pytest.mark.parametrize("language", [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT])
def test_every_message_has_a_translation(language):
    """A message the code marks but the catalog lacks, leaves empty or marks fuzzy fails here, as
    does a translation whose {fields} differ from the message's (it would raise, or drop a figure)."""
    tmpl, cat = template(), catalog(language)
    assert len(tmpl) > 50  # the extractor found the marked strings
    problems = []
    for message in tmpl:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        entry = cat.get(message.id, context=message.context)
        if entry is None:
            problems.append(f"missing: {key!r} ({where})")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {key!r} ({where})")
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            problems.append(f"untranslated: {key!r} ({where})")
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(fields(i) for i in ids))
        for s in strings:
            if fields(s) - wanted or (not isinstance(message.id, tuple) and fields(s) != wanted):
                problems.append(f"fields differ: {key!r} -> {s!r} ({where})")
    assert not problems, f"{len(problems)} messages of the {language} catalog need work:\n" + "\n".join(problems)


def test_no_message_hides_inside_an_f_string():
    """The extractor does not read inside an f-string's braces: a message marked there would never
    reach the catalog, and stay English."""
    hidden = [f"{path.relative_to(ROOT)}:{n}" for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if re.search(r"""\{\s*(_|N_|ngettext)\(\s*[rRbB]?["']""", line)]
    assert hidden == []


def test_the_catalog_has_no_fuzzy_entry_at_all():
    for language in i18n.LANGUAGES[1:]:
        assert [m.id for m in catalog(language) if m.id and m.fuzzy] == []


def test_a_missing_mo_is_compiled_from_the_po(tmp_path, monkeypatch):
    """A fresh clone installed with `pip install -e .` has the .po only: the first use compiles it."""
    shutil.copytree(i18n.LOCALE_DIR, tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    i18n.translations.cache_clear()
    try:
        with i18n.use("fr"):
            assert i18n._("Participation rate") == "Taux de participation"
        mo = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "ruche.mo"
        assert mo.read_bytes() == i18n.compile_po(mo.with_suffix(".po"))
    finally:
        i18n.translations.cache_clear()


def test_figures_and_dates_in_french():
    with i18n.use("fr"):
        assert i18n.pct(0.682) == "68,2\u00a0%"
        assert i18n.pct(0.5, 0) == "50\u00a0%"
        assert i18n.count(1234567) == "1\u202f234\u202f567"
        assert i18n.number(2.25, 1) == "2,2" or i18n.number(2.25, 1) == "2,3"
        assert i18n.period_label("2026-10") == "oct. 2026"
        assert i18n.period_label("2026-05") == "mai 2026"
        assert i18n.period_label("2026-W42") == "semaine 42 2026"
        assert i18n.period_label("2026") == "2026"
        assert i18n.plotly_separators() == ",\u202f"
    # English keeps the figures and the ISO periods every existing reader knows.
    assert (i18n.pct(0.682), i18n.count(1234567), i18n.period_label("2026-W42")) == ("68.2%", "1,234,567", "2026-W42")


def test_the_language_setting(tmp_path):
    toml = tmp_path / "ruche.toml"
    toml.write_text('language = "fr"\n', encoding="utf-8")
    assert Settings.load(path=toml, env={}).language == "fr"
    assert Settings.load(path=None, env={}).language == ""
    toml.write_text('language = "de"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"language 'de' has no catalog \(known: en, fr\)"):
        Settings.load(path=toml, env={})


def test_a_session_language_does_not_leak_into_the_process():
    with i18n.use("fr"):
        assert i18n.current() == "fr"
    assert i18n.current() == "en"


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "ruche.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_cli_errors_in_french(tmp_path):
    (tmp_path / "ruche.toml").write_text('language = "fr"\n', encoding="utf-8")
    r = cli("ingest", "directory", "nowhere.csv", "--db", str(tmp_path / "s.duckdb"), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr.strip() == "ruche ingest : erreur : nowhere.csv : aucun fichier ni dossier de ce nom"
    r = cli("metrics", "participation", "--from", "2026-03-01", "--to", "2026-01-01", "--db",
            str(tmp_path / "s.duckdb"), cwd=tmp_path)
    assert r.stderr.strip() == "ruche metrics : erreur : --from 2026-03-01 est après --to 2026-01-01"
    # argparse's own errors, and the help
    r = cli("metrics", "participation", "--from", "2026-13-01", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.splitlines()[-1] == "ruche metrics : erreur : argument --from : pas une date (AAAA-MM-JJ) : '2026-13-01'"
    r = cli("--help", cwd=tmp_path)
    assert "Ruche : mesure de l'adoption des réseaux sociaux d'entreprise." in r.stdout
    assert "privacy-pack" in r.stdout and "CSE" in r.stdout
    # English unless configured
    (tmp_path / "ruche.toml").write_text("", encoding="utf-8")
    r = cli("ingest", "directory", "nowhere.csv", "--db", str(tmp_path / "s.duckdb"), cwd=tmp_path)
    assert r.stderr.strip() == "ruche ingest: error: nowhere.csv: no such file or folder"


def test_the_report_in_french(tiny_store, tmp_path):
    """`ruche report` with language = "fr": the page, its cards, readings and charts in French, its
    figures written the French way; the same store in English keeps the English report."""
    out = tmp_path / "rapport.html"
    (tmp_path / "ruche.toml").write_text('language = "fr"\n', encoding="utf-8")
    done = cli("report", "--db", str(tiny_store), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"Rapport écrit dans {out} (")
    page = out.read_text(encoding="utf-8")
    assert '<html lang="fr">' in page
    assert "<h1>Adoption du réseau social d&#x27;entreprise</h1>" in page
    assert '<div class="label">Taux de participation</div>' in page
    assert '<div class="value">36,4\u00a0%</div>' in page
    assert "févr. 2026" in page and "2026-02" not in page.split("<div class=\"cards\">")[1].split("<svg")[0]
    for english in ("Participation rate", "took part", "headcount", "Covers:", "against the period before"):
        assert english not in page, english


def test_the_privacy_pack_in_french(tmp_path):
    """A works council reads the pack in French: headings, the inventory's every origin and purpose,
    the pages, roles and thresholds; the table and column names stay those of the store."""
    (tmp_path / "ruche.toml").write_text('language = "fr"\n', encoding="utf-8")
    done = cli("privacy-pack", "--out", "pack", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pack = tmp_path / "pack"
    readme = (pack / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Ruche : dossier protection des données\n")
    assert "à l'intention d'un CSE ou d'un délégué à la protection des données" in readme
    inventory_md = (pack / "inventory.md").read_text(encoding="utf-8")
    assert inventory_md.startswith("# Inventaire des données\n")
    assert "| colonne | type | origine | finalité | dépend de la clé |" in inventory_md
    assert ("| `person_id` | VARCHAR | export de l'annuaire RH ou export du réseau (Viva Engage, Slack, Mattermost, "
            "fichier d'événements) : pseudonyme de l'adresse e-mail, sinon de source:compte | reconnaître la même "
            "personne d'une source et d'un chargement à l'autre | pseudonyme |") in inventory_md
    access = (pack / "access.md").read_text(encoding="utf-8")
    assert "| Vue d'ensemble | /overview | sponsor, animateur de communauté, administrateur |" in access
    thresholds = (pack / "thresholds.md").read_text(encoding="utf-8")
    assert "Les données individuelles sont conservées 13 mois." in thresholds
    for text in (readme, inventory_md, access, thresholds):
        assert "(undocumented)" not in text and "(non documenté)" not in text
        for english in ("Person-level:", "Retention:", "Who sees what", "the group-by attributes", "network export"):
            assert english not in text, english


def test_the_digests_in_french(tiny_store):
    """The sponsors' and the community managers' digests in French: subjects, section titles, lines."""
    from dashboard import digest
    from metrics.figures import Live
    from ruche import store

    con = store.connect(tiny_store, read_only=True)
    try:
        settings = Settings.load(path=None, env={}, min_group_size=3, sponsor_min_group_size=3)
        with i18n.use("fr"):
            sponsor = digest.sponsor(Live(con), settings, None)
            community = digest.community(Live(con), settings, None)
    finally:
        con.close()
    assert sponsor.subject == "Synthèse mensuelle Ruche févr. 2026 : l'adoption au regard de la feuille de route"
    assert [s.title for s in sponsor.sections] == ["Indicateurs clés", "Feuille de route"]
    assert sponsor.period == "2026-02"  # the key that keeps a digest from being sent twice stays the label
    assert community.subject.startswith("Synthèse hebdomadaire Ruche semaine ")
    assert [s.title for s in community.sections] == [
        "Équipes nouvellement à risque", "Participation de la semaine", "Communautés passées en sommeil",
        "Fils sans réponse", "Nouveaux venus perdus"]
    text = sponsor.text() + community.text()
    for english in ("Headlines", "Meaning:", "against the", "took part", "No activity", "people"):
        assert english not in text, english

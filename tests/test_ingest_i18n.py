"""`ruche ingest` in French: a bad file of every source is named with its line in French, a load's
summary says its inputs and reasons in French, and everything stays English by default.

The files are those of the hostile corpus (tests/hostile), loaded as a user would, with
``language = "fr"`` in the ruche.toml of the run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest import reasons
from ruche import i18n

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "hostile"

#: Words that are English and not French: one left in a French message is a message not translated.
#: (Words both languages write, "message", "source", "date", "export", are not among them.)
ENGLISH = set("""
the of and or not no is are was were be been has have had with without from into than more fewer
only every each per line lines row rows record records file files folder empty expected found missing
column columns header field fields read readable unreadable loaded load rejected nothing skipped
truncated damaged neither nor but this that its which where when after before between outside
twice once listed names name named holds holding contains inside never closed opened quoted quote
yet again still must should cannot could would value values list lists answer answered
valid invalid deeply nested object objects array text bytes byte sequence byte known unknown
""".split())

#: What may stay as it is in a French message: the names of files, columns, settings and keys,
#: the networks' and products' names, JSON's own words.
ALLOWED = set("""
id email department hired_on left_on effective_from occurred_at actor kind target sender_id
Users Messages Groups csv json jsonl zip gz users channels ruche ingest SOURCE Viva Engage Slack
Mattermost Microsoft Graph Report Refresh Date UTF type version value member analytics
user_id is_active date
""".split())


def words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z_]+", text)}


def english_left(message: str, *names: str) -> set[str]:
    """The English words of ``message``, once the file names and paths it quotes are taken out."""
    for name in sorted(names, key=len, reverse=True):
        message = message.replace(name, " ")
    message = re.sub(r"\S*/\S*", " ", message)  # paths
    message = message.replace("JSON lines", " ")  # a format's name
    return (words(message) - {w.lower() for w in ALLOWED}) & ENGLISH


def run_ingest(tmp_path: Path, folder: str, name: str, source: str | None, language: str | None,
               json_out: bool = False) -> subprocess.CompletedProcess:
    work = tmp_path / "in"
    work.mkdir(exist_ok=True)
    src, dst = HOSTILE / folder / name, work / name
    if not dst.exists():
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
    (tmp_path / "ruche.toml").write_text(f'language = "{language}"\n' if language else "", encoding="utf-8")
    env = dict(os.environ)
    for var in ("RUCHE_DB", "RUCHE_CONFIG", "RUCHE_LANGUAGE"):
        env.pop(var, None)
    env.setdefault("RUCHE_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
    env["PYTHONPATH"] = str(ROOT)
    argv = ["ingest", *([source] if source else []), str(dst), "--db", str(tmp_path / f"{language}.duckdb")]
    return subprocess.run([sys.executable, "-m", "ruche.cli", *argv, *(["--json"] if json_out else [])], check=False,
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


#: (folder, file, source, the English message's parts, the French message's parts): at least one
#: bad file per source, each stopping the load with its file, its line and what was expected.
ERRORS = [
    ("directory", "duplicate-column.csv", "directory", ["line 1", "column email appears twice"],
     ["ligne 1 : la colonne email figure deux fois dans l'en-tête (attendu : une colonne par nom)"]),
    ("directory", "every-row-bad.csv", "directory", ["line 2", "hired_on is outside 1950-01-01", "every row rejected"],
     ["ligne 2 : hired_on est hors de la plage 1950-01-01 à", "(date d'embauche peu plausible)",
      "(toutes les lignes rejetées : rien n'a été chargé)"]),
    ("directory", "data-as-header.csv", "directory", ["line 1", "missing columns id, email, department"],
     ["ligne 1 : colonnes manquantes id, email, department (attendu : un annuaire RH avec les colonnes"]),
    ("directory", "unterminated-quote.csv", "directory", ["line 3", "never closed"],
     ["ligne 3 : un champ entre guillemets ouvert sur cette ligne n'est jamais fermé"]),
    ("events", "every-row-infinity.csv", "events", ["line 2", "occurred_at is not a date-time", "every record rejected"],
     ["ligne 2 : occurred_at n'est pas une date-heure", "(tous les enregistrements rejetés : rien n'a été chargé)"]),
    ("events", "email-in-error.csv", None, ["line 1", "not a format Ruche knows"],
     ["ligne 1 : un format que Ruche ne connaît pas", "nommez la source : ruche ingest SOURCE"]),
    ("generic", "member-twice.zip", None, ["lists Users.csv twice"],
     ["le ZIP liste Users.csv deux fois (attendu : chaque fichier une seule fois)"]),
    ("generic", "folder-for-directory", "directory", ["a folder; the directory is one CSV file"],
     ["un dossier ; l'annuaire est un seul fichier CSV"]),
    ("generic", "binary.csv", None, ["line 1", "not UTF-8 text"], ["ligne 1 : pas du texte UTF-8 (octets NUL)"]),
    ("m365", "refresh-1999.csv", None, ["line 2", "Report Refresh Date is not a plausible date"],
     ["ligne 2 : Report Refresh Date n'est pas une date plausible (attendu : de 2000-01-01 à"]),
    ("m365", "dates-neither-order.csv", None, ["dates neither day-first nor month-first"],
     ["dates ni jour d'abord ni mois d'abord"]),
    ("m365", "graph-empty.json", "m365-engage-activity", ["no data rows", "empty"],
     ["aucune ligne de données (la réponse de Graph contient une liste \"value\" vide)"]),
    ("mattermost", "line-not-an-object.jsonl", "mattermost", ["line 6", "not an object"],
     ["ligne 6 : un tableau JSON, pas un objet (attendu : un objet JSON par ligne"]),
    ("slack-analytics", "line-not-json.json", "slack-analytics", ["line 2", "not JSON"],
     ["ligne 2 : pas du JSON (attendu : un objet JSON par ligne avec date, user_id, is_active (statistiques"]),
    ("slack-analytics", "not-member-analytics.json.gz", None, ["a gzip file, but not Slack member analytics"],
     ["ligne 1 : un fichier gzip, mais pas des statistiques de membres Slack"]),
    ("slack", "day-file-not-objects", "slack", ["general/2024-01-01.json", "expected a JSON array of objects"],
     ["general/2024-01-01.json : JSON Slack invalide (attendu : un tableau JSON d'objets)"]),
    ("viva-engage", "no-messages.zip", "viva-engage", ["no Messages.csv", "Viva Engage network data export"],
     ["aucun Messages.csv (attendu : un export des données d'un réseau Viva Engage"]),
    ("viva-engage", "missing-sender-id.zip", "viva-engage", ["Messages.csv, line 1", "missing column sender_id"],
     ["Messages.csv, ligne 1 : colonne manquante sender_id (attendu : le Messages.csv d'un export Viva Engage"]),
]


@pytest.mark.parametrize("folder, name, source, english, french", ERRORS, ids=[f"{e[0]}/{e[1]}" for e in ERRORS])
def test_a_bad_file_is_named_in_french(tmp_path, folder, name, source, english, french):
    r = run_ingest(tmp_path, folder, name, source, "fr")
    assert r.returncode == 1, r.stderr
    message = r.stderr.strip()
    assert message.startswith("ruche ingest : erreur : "), message
    assert name in message
    for part in french:
        assert part in message, f"{part!r} is not in {message!r}"
    assert english_left(message.removeprefix("ruche ingest : erreur : "), name, "Users.csv", "Messages.csv") == set(), \
        message
    # English by default, word for word as before
    r = run_ingest(tmp_path, folder, name, source, None)
    assert r.returncode == 1
    assert r.stderr.startswith("ruche ingest: error: "), r.stderr
    for part in english:
        assert part in r.stderr, f"{part!r} is not in {r.stderr!r}"


#: Loads that reject and skip rows: (folder, file, source, French text of the summary).
LOADS = [
    ("directory", "effective-dates-bad.csv", "directory", ["lignes de l'annuaire"]),
    ("events", "before-2000.csv", "events", ["événements"]),
    ("mattermost", "objects-of-the-wrong-shape.jsonl", "mattermost", ["publications et réponses"]),
    ("slack-analytics", "implausible-and-odd-values.json", None, ["jours-membres"]),
    ("viva-engage", "offset-out-of-range.zip", "viva-engage", ["messages"]),
]


@pytest.mark.parametrize("folder, name, source, french", LOADS, ids=[f"{e[0]}/{e[1]}" for e in LOADS])
def test_a_load_says_its_inputs_and_reasons_in_french(tmp_path, folder, name, source, french):
    r = run_ingest(tmp_path, folder, name, source, "fr")
    assert r.returncode == 3, r.stderr
    assert "lues    chargées  rejetées  ignorées" in r.stdout
    assert re.search(r"conservées? dans la table rejects", r.stdout)
    for part in french:
        assert part in r.stdout
    table = [line for line in r.stdout.splitlines()[2:] if not line.lstrip().startswith("base :")]
    assert english_left("\n".join(table), name, "Users.csv", "Groups.csv", "Messages.csv", "users.json") == set(), r.stdout
    # the store keeps the reasons in English (data), and each one reads in French where it is shown
    con = duckdb.connect(str(tmp_path / "fr.duckdb"), read_only=True)
    try:
        stored = [r for (r,) in con.execute("select distinct reason from rejects order by 1").fetchall()]
    finally:
        con.close()
    assert stored and all(reasons.known(r) for r in stored), stored
    with i18n.use("fr"):
        said = [reasons.say(r) for r in stored]
    assert [english_left(s) for s in said] == [set()] * len(said), said
    english = run_ingest(tmp_path, folder, name, source, "en", json_out=True)
    assert english.returncode == 3
    con = duckdb.connect(str(tmp_path / "en.duckdb"), read_only=True)
    try:
        assert [r for (r,) in con.execute("select distinct reason from rejects order by 1").fetchall()] == stored
    finally:
        con.close()


def test_a_reason_with_values_keeps_them():
    with i18n.use("fr"):
        assert reasons.say("hired_on is outside 1950-01-01 to 2027-12-31 (not a plausible hire date)") == \
            "hired_on est hors de la plage 1950-01-01 à 2027-12-31 (date d'embauche peu plausible)"
        assert reasons.say("id listed twice on the same effective_from (the first row is kept)") == \
            "id présent deux fois avec le même effective_from (la première ligne est conservée)"
        assert reasons.say("unreadable CSV line: fewer fields than the 6 columns of the header") == \
            "ligne CSV illisible : moins de champs que les 6 colonnes de l'en-tête"
        assert reasons.say("created_at 1970-01-01 is implausible (expected between 2000 and the end of 2027)") == \
            "created_at 1970-01-01 n'est pas plausible (attendu : entre 2000 et la fin de 2027)"
        assert reasons.say("Posted Count is not a whole number of zero or more") == \
            "Posted Count n'est pas un nombre entier positif ou nul"
        assert reasons.say("report rows (concealed names)") == "lignes du rapport (noms masqués)"
        assert reasons.say("a reason nobody wrote") == "a reason nobody wrote"
    assert reasons.say("id listed twice") == "id listed twice"


#: Texts the SQL files compute on the way to a reason, never stored as one.
INTERMEDIATE = {"after next year", "before 2000", "impossible offset", "not a date-time", "unknown zone"}


def test_every_reason_of_the_sql_files_is_known():
    """Each whole text a SQL file gives a row's outcome or reason ("then '...'", not a piece
    joined with ||) is one of the templates of ingest/reasons.py: none stays English in French."""
    found = set()
    for sql in sorted((ROOT / "ingest").glob("*.sql")):
        for text in re.findall(r"(?:then|else) '((?:[^']|'')*)'(?!\s*\|\|)", sql.read_text(encoding="utf-8")):
            text = text.replace("''", "'").removeprefix("skipped:")
            if " " in text:
                found.add(text)
    assert len(found) == 82
    assert sorted(t for t in found - INTERMEDIATE if not reasons.known(t)) == []

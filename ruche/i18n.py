"""Languages: the catalogs of ``ruche/locale``, the language in use, figures and dates as it writes them.

Every user-facing string goes through :func:`_` (or :func:`ngettext`); a string defined at import
time (a module-level table) is marked with :func:`N_` and translated where it is shown. The
catalogs are gettext ``.po`` files (``ruche/locale/<lang>/LC_MESSAGES/ruche.po``), so another
language is another catalog (docs/i18n.md). A package build compiles them to ``.mo`` (setup.py);
a catalog whose ``.mo`` is missing or older than its ``.po`` (a fresh clone installed with
``pip install -e .``) is compiled when first used.

The language in use is the process's (``set_default``: the command line sets it from the
``language`` setting) unless a thread or task sets its own with :func:`use` (each dashboard session).

>>> with use("fr"):
...     _("Participation rate"), pct(0.682), count(12345), period_label("2026-10"), period_label("2026-W42")
('Taux de participation', '68,2\\xa0%', '12\\u202f345', 'oct. 2026', 'semaine 42 2026')
>>> pct(0.682), count(12345), period_label("2026-W42")
('68.2%', '12,345', '2026-W42')
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import io
import os
import re
from datetime import date
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

DOMAIN = "ruche"
LOCALE_DIR = Path(__file__).with_name("locale")
DEFAULT = "en"
#: The languages a catalog exists for (English is the source text and needs none): adding a
#: catalog adds a language.
LANGUAGES = (DEFAULT,) + tuple(sorted(
    p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))

_default = DEFAULT
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("ruche_language", default=None)


def current() -> str:
    return _current.get() or _default


def set_default(language: str | None) -> None:
    """The process's language (the command line's, from the ``language`` setting)."""
    global _default
    _default = supported(language) or DEFAULT


@contextlib.contextmanager
def use(language: str | None):
    """Speak ``language`` inside the block (this thread or task only)."""
    token = _current.set(supported(language) or current())
    try:
        yield
    finally:
        _current.reset(token)


def activate(language: str | None) -> None:
    """Speak ``language`` from now on in this thread (a dashboard session's script run)."""
    _current.set(supported(language) or DEFAULT)


#: The environment variables naming the locale, strongest first, as POSIX reads them.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def cli_language(setting: str | None = None, env: dict | None = None) -> str:
    """The command line's language: the ``language`` setting; else the environment's locale, as
    gettext reads it (the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set; then the first
    language of ``LANGUAGE``'s list that has a catalog, unless that locale is ``C`` or ``POSIX``);
    else English. A locale without a catalog (``de_DE``, ``C.UTF-8``) is English.

    >>> cli_language("fr", {"LANG": "en_GB.UTF-8"}), cli_language(None, {"LANG": "fr_FR.UTF-8"})
    ('fr', 'fr')
    >>> cli_language(None, {"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}), cli_language(None, {"LANG": "de_DE.UTF-8"})
    ('en', 'en')
    >>> cli_language(None, {"LANG": "de_DE.UTF-8", "LANGUAGE": "de:fr"}), cli_language(None, {})
    ('fr', 'en')
    """
    if supported(setting):
        return supported(setting)
    env = os.environ if env is None else env
    locale_name = next((env[v] for v in LOCALE_VARIABLES if env.get(v)), "")
    if locale_name.split(".")[0] not in ("", "C", "POSIX"):
        for tag in (env.get("LANGUAGE") or "").split(":"):
            if supported(tag):
                return supported(tag)
    return supported(locale_name) or DEFAULT


def name(language: str) -> str:
    """A language's name in itself, for the dashboard's switch.

    >>> name("fr"), name("en")
    ('Français', 'English')
    """
    n = _locale(language).get_display_name(language) or language
    return n[:1].upper() + n[1:]


def supported(language: str | None) -> str | None:
    """The catalog's language a tag names, else None.

    >>> supported("fr-CH"), supported("FR"), supported("de"), supported(None)
    ('fr', 'fr', None, None)
    """
    if not language:
        return None
    base = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]
    return base if base in LANGUAGES else None


def negotiate(accept_language: str | None) -> str | None:
    """The first supported language of an ``Accept-Language`` header, by its q-values.

    >>> negotiate("de-DE,fr;q=0.8,en;q=0.5"), negotiate("de"), negotiate("en-US,en;q=0.9"), negotiate(None)
    ('fr', None, 'en', None)
    """
    ranked = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        m = re.search(r"q\s*=\s*([0-9.]+)", params)
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranked.append((-q, i, tag))
    for _q, _i, tag in sorted(ranked):
        lang = supported(tag)
        if lang:
            return lang
    return None


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language``: its ``.mo`` if it is at least as new as its ``.po``,
    else the ``.po`` compiled now (and written beside it when the folder allows)."""
    if language == DEFAULT:
        return gettext.NullTranslations()
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    if not po.is_file():
        return gettext.NullTranslations()
    data = compile_po(po)
    with contextlib.suppress(OSError):
        tmp = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")  # two processes compiling at once never mix
        tmp.write_bytes(data)
        tmp.replace(mo)
    return gettext.GNUTranslations(io.BytesIO(data))


def compile_po(po: Path) -> bytes:
    """A ``.po`` catalog compiled to ``.mo`` bytes (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _(message: str) -> str:
    """``message`` in the language in use."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the language in use, where ``context`` tells apart two uses of the same English."""
    return translations(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Marks ``message`` for the catalog without translating it (a table built at import)."""
    return message


# --- The product's words ------------------------------------------------------------------------------

#: The names the screen gives the directory's attributes, the grains, the roles and the values the
#: data itself holds in plain English (levels, frontline or desk, the 90/9/1 classes).
TERMS = {
    "organisation": N_("organisation"), "department": N_("department"), "team": N_("team"), "site": N_("site"),
    "country": N_("country"), "level": N_("level"), "frontline": N_("frontline"), "desk": N_("desk"),
    "week": N_("week"), "month": N_("month"), "quarter": N_("quarter"),
    "sponsor": N_("sponsor"), "community-manager": N_("community-manager"), "admin": N_("admin"),
    "executive": N_("executive"), "manager": N_("manager"), "staff": N_("staff"),
    "superuser": N_("superuser"), "contributor": N_("contributor"), "lurker": N_("lurker"),
    "inactive": N_("inactive"), "non-contributor": N_("non-contributor"),
    "Organisation": N_("Organisation"), "External": N_("External"), "(not set)": N_("(not set)"),
    "Other (small groups)": N_("Other (small groups)"),
    "private conversations (pooled)": N_("private conversations (pooled)"),
    "the organisation": N_("the organisation"),
    "pilot": N_("pilot"), "rollout": N_("rollout"), "generalised": N_("generalised"),
    "engager": N_("engager"), "catalyst": N_("catalyst"), "responder": N_("responder"),
    "broadcaster": N_("broadcaster"), "observer": N_("observer"),
    "participation": N_("participation"), "contribution": N_("contribution"),
}


#: The attributes' plurals ("3 departments").
PLURALS = {
    "organisation": N_("organisations"), "department": N_("departments"), "team": N_("teams"), "site": N_("sites"),
    "country": N_("countries"), "level": N_("levels"), "frontline": N_("frontline groups"),
}


def terms(key: str) -> str:
    """An attribute's plural in the language in use: 'departments', 'directions'."""
    return _(PLURALS[key]) if key in PLURALS else f"{key}s"


def term(key) -> str:
    """A word of :data:`TERMS` in the language in use; anything else (a group's name) as it is.

    >>> term("department"), term("Sales")
    ('department', 'Sales')
    """
    return _(TERMS[key]) if isinstance(key, str) and key in TERMS else key


def scope(text: str) -> str:
    """A figure's scope ('the organisation', 'department Sales') in the language in use."""
    if text in TERMS:
        return term(text)
    by, _sep, group = text.partition(" ")
    return f"{term(by)} {group}" if by in TERMS and group else text


# --- Figures and dates --------------------------------------------------------------------------------


def locale() -> Locale:
    return _locale(current())


@functools.cache
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT)


def pct(x: float | None, digits: int = 1) -> str:
    """A share as a percentage: '43.2%', '43,2 %'."""
    if x is None:
        return "–"
    if current() == DEFAULT:
        return f"{100 * x:.{digits}f}%"
    pattern = locale().percent_formats[None].pattern.replace("#,##0", "#,##0" + ("." + "0" * digits if digits else ""), 1)
    return format_percent(x, format=pattern, locale=locale())


def count(n: int | None) -> str:
    """A count: '12,345', '12 345'."""
    if n is None:
        return "–"
    if current() == DEFAULT:
        return f"{n:,}"
    return format_decimal(n, locale=locale())


def number(x: float | None, digits: int = 1) -> str:
    """A decimal number: '1.5', '1,5'."""
    if x is None:
        return "–"
    if current() == DEFAULT:
        return f"{x:.{digits}f}"
    return format_decimal(round(x, digits), format="#,##0." + "0" * digits if digits else "#,##0", locale=locale())


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def period_label(period) -> str:
    """A period's label as the language writes it. English keeps the ISO labels the exports, the
    command line and the CSV files use ('2026-10', '2026-W42'); French reads 'oct. 2026', 'semaine 42 2026'."""
    text = "" if period is None else str(period)
    if current() == DEFAULT:
        return text
    m = _MONTH.match(text)
    if m:
        return format_date(date(int(m.group(1)), int(m.group(2)), 1), "MMM y", locale=locale())
    m = _WEEK.match(text)
    if m:
        return _("week {week}, {year}").format(week=int(m.group(2)), year=m.group(1))
    return text


def day_label(day) -> str:
    """A date: ISO in English (as everywhere in the exports), the locale's medium form otherwise
    ('12 oct. 2026')."""
    if day is None:
        return "–"
    if current() == DEFAULT or not isinstance(day, date):
        return str(day)
    return format_date(day, "medium", locale=locale())


def plotly_separators() -> str:
    """Plotly's ``separators`` (decimal then thousands) for the language in use."""
    sym = locale().number_symbols.get("latn", locale().number_symbols)
    return sym["decimal"] + sym["group"]


# --- The registries' texts --------------------------------------------------------------------------


def registry_texts() -> list[str]:
    """The texts of the registries the privacy pack prints (:mod:`ruche.inventory`, the thresholds'
    and the retention's settings): built by the code rather than written as literals, so the
    extractor of :func:`extract_registries` reads them from the registries themselves."""
    from ruche import config, inventory

    texts: list[str] = []
    for table in inventory.TABLES.values():
        texts += [table.purpose, table.retention]
        for column in table.columns.values():
            texts += [column.origin, column.purpose]
    for page in inventory.PAGES.values():
        texts += [page.title, page.shows]
    texts += [c.shows for c in inventory.COMMANDS] + list(inventory.ROLES.values())
    texts += [s.help for s in config.SETTINGS if s.name.endswith("min_group_size") or s.name == "retention_months"]
    return list(dict.fromkeys(t for t in texts if t))


def extract_registries(fileobj, keywords, comment_tags, options):
    """A Babel extraction method (``ruche_registries`` in babel.cfg, an entry point of pyproject.toml):
    every text of :func:`registry_texts`, so that ``pybabel extract`` puts them in the template."""
    for text in registry_texts():
        yield 1, None, text, []

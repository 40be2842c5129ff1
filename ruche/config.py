"""Settings: one typed table, read from ``ruche.toml`` and the environment.

Every setting has a name, a type, a default and a help line.  The order of
precedence is: an explicit value (a command-line option) > the environment
variable ``RUCHE_<NAME>`` > the configuration file > the default.

>>> s = Settings.load(path=None, env={"RUCHE_MIN_GROUP_SIZE": "7"})
>>> s.min_group_size
7
>>> s.silo_threshold
-0.5
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ruche.errors import RucheError

DEFAULT_CONFIG_FILE = "ruche.toml"


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("db", str, "ruche.duckdb", "Path of the DuckDB store."),
    Setting(
        "memory_limit",
        str,
        "",
        "Most memory DuckDB may hold in each Ruche process (e.g. \"4GB\"; empty: DuckDB's default, "
        "80% of the machine's memory). Past it, loads and refreshes spill to temporary files beside "
        "the store.",
    ),
    Setting(
        "key_file",
        str,
        "~/.config/ruche/key",
        "File holding the pseudonymisation key (created with mode 0600 on first use). "
        "Ignored when the RUCHE_KEY environment variable holds the key itself.",
    ),
    Setting(
        "min_group_size",
        int,
        5,
        "Smallest number of distinct people an aggregate may describe; smaller groups are "
        "suppressed everywhere (never below 1).",
    ),
    Setting(
        "retention_months",
        int,
        13,
        "Months of person-level activity kept; older months are folded into group aggregates, "
        "then deleted by `ruche purge` (at least 1).",
    ),
    Setting(
        "home_domains",
        list,
        [],
        "E-mail domains of the enterprise itself. Accounts from other domains are external "
        "(guests, partners). Empty: taken from the directory's e-mails when one is loaded.",
    ),
    Setting(
        "attribution",
        str,
        "as-it-was",
        "How figures put people in groups: \"as-it-was\" (each activity in the groups its author held on "
        "its day, each period's headcount in the groups held during it, from the directory's history) or "
        "\"today\" (the past restated in today's organisation).",
    ),
    Setting("superuser_share", float, 0.01, "Share of headcount ranked as superusers (the 1 of 90/9/1)."),
    Setting("silo_threshold", float, -0.5, "A group whose E-I index is below this is a silo."),
    Setting(
        "silo_min_ties",
        int,
        50,
        "Fewest ties (interactions with one end in the group) over the window or period for a group's "
        "E-I index to be told; below it the group is disconnected: too few ties to tell, never a bridge.",
    ),
    Setting(
        "silo_min_ties_per_person",
        float,
        1.0,
        "Fewest ties per member of a group over the window or period for its E-I index to be told: a large "
        "group whose members barely interact is disconnected, however many ties it holds in all.",
    ),
    Setting(
        "network_refresh_share",
        float,
        0.05,
        "Louvain communities and betweenness (over the whole history) are computed again by a load when the "
        "interactions added since they were last computed are at least this share of those they were computed "
        "from; otherwise the stored ones are kept, and the pages say when they were computed (0: every load adding an interaction).",
    ),
    Setting(
        "network_refresh_days",
        int,
        7,
        "Louvain communities and betweenness are also computed again once the data has gone on this many days "
        "past the last day they were computed from (0: every load adding an interaction).",
    ),
    Setting(
        "inactive_participation",
        float,
        0.20,
        "A team whose participation rate over the last complete period is under this is inactive.",
    ),
    Setting(
        "inactive_days",
        int,
        30,
        "A team with no contribution for this many days is inactive.",
    ),
    Setting(
        "inactive_drop_points",
        float,
        15.0,
        "A team whose participation rate fell by this many points against the previous period is inactive.",
    ),
    Setting(
        "host",
        str,
        "127.0.0.1",
        "Address the dashboard listens on. Any address but the loopback needs sign-in configured "
        "(an [auth] section in the Streamlit secrets file).",
    ),
    Setting(
        "directory_file",
        str,
        "",
        "HR directory CSV (columns email, and name or first_name and last_name) from which the "
        "administrator's People page resolves names in memory; names are never stored.",
    ),
    Setting(
        "secrets_file",
        str,
        ".streamlit/secrets.toml",
        "Streamlit secrets file whose [auth] section configures sign-in with an OpenID Connect "
        "provider (redirect_uri, cookie_secret, client_id, client_secret, server_metadata_url).",
    ),
    Setting(
        "roles",
        dict,
        {},
        "Who holds which role, deny by default: role name (sponsor, community-manager, admin) to a "
        "list of e-mail addresses or patterns such as \"*@example.com\".",
    ),
    Setting(
        "role_claim",
        str,
        "",
        "Name of an OpenID Connect claim listing the user's roles (e.g. \"roles\" or \"groups\"); "
        "its values that name a Ruche role grant it, in addition to `roles`.",
    ),
    Setting(
        "sponsor_min_group_size",
        int,
        20,
        "Smallest group a sponsor sees (sponsors look at the organisation and large groups); "
        "never below min_group_size. Each load stores the Overview's figures and the reporting tree's under it "
        "too, so that a sponsor's pages read them rather than compute them; changing it recomputes them at the "
        "next load.",
    ),
    Setting("port", int, 8501, "Port the dashboard listens on."),
    Setting(
        "language",
        str,
        "",
        "Language of the dashboard, the report, the digests, the privacy pack and the command line's "
        "messages: en or fr (a catalog in ruche/locale, docs/i18n.md). Empty: the dashboard follows the "
        "browser's languages; the command line, and what its commands write, the environment's locale "
        "(LC_ALL, LC_MESSAGES, LANG), else English.",
    ),
    Setting(
        "directory_columns",
        dict,
        {},
        "Mapping from the product's directory fields (id, email, department, team, site, country, "
        "level, manager_id, frontline, hired_on, left_on) to the column names of your HR export.",
    ),
    Setting(
        "phases",
        dict,
        {},
        "Roadmap phase of each department: pilot, rollout or generalised (e.g. {Sales = \"rollout\"}).",
    ),
    Setting(
        "targets",
        list,
        [],
        "Roadmap targets: a list of tables with metric, group, value, start and due "
        "(e.g. {metric = \"participation\", group = \"*\", value = 0.6, start = 2026-01-01, due = 2026-12-31}).",
    ),
    # ruche pull: the networks' own APIs (docs/configuration.md, "Pulling from the APIs")
    Setting("pull_sources", list, [], "Sources `ruche pull --all` pulls: viva-engage, m365, slack, slack-analytics, mattermost."),
    Setting("pull_start", str, "", "First day (YYYY-MM-DD) a source's first pull reaches back to, unless --since says "
            "otherwise; later pulls start where the last published one ended."),
    Setting("pull_archive", str, "", "Folder where every pulled file is kept (one sub-folder per source); empty: "
            "pulled files are loaded from a temporary folder and removed."),
    Setting("pull_timeout_seconds", float, 60.0, "Timeout of each call to an API (connecting, and between two "
            "blocks of an answer)."),
    Setting("pull_retries", int, 5, "Times a call is tried again after a 429, a 5xx, a timeout or a cut connection."),
    Setting("pull_backoff_seconds", float, 1.0, "First wait before trying a call again when the API gives no "
            "Retry-After; it doubles at each try, up to 60 s."),
    Setting("pull_max_wait_seconds", float, 300.0, "Longest wait a Retry-After may impose before a call is tried again."),
    Setting("stale_after_days", int, 3, "The Data page warns when a pulled source's data ends more than this many days ago."),
    Setting("graph_url", str, "https://graph.microsoft.com", "Microsoft Graph's address (another for a sovereign cloud)."),
    Setting("login_url", str, "https://login.microsoftonline.com", "Microsoft Entra ID's token address (another "
            "for a sovereign cloud)."),
    Setting("graph_tenant_id", str, "", "Tenant (directory) id of the app registration that reads the usage reports."),
    Setting("graph_client_id", str, "", "Application (client) id of that app registration."),
    Setting("graph_client_secret_file", str, "", "File holding the app's client secret (else RUCHE_GRAPH_CLIENT_SECRET)."),
    Setting("graph_certificate_file", str, "", "PEM file holding the app's certificate and private key, used "
            "instead of a client secret."),
    Setting("viva_engage_url", str, "https://www.yammer.com", "Viva Engage's API address (Data Export API)."),
    Setting("viva_engage_token_file", str, "", "File holding a Verified Administrator's token (else "
            "RUCHE_VIVA_ENGAGE_TOKEN)."),
    Setting("viva_engage_window_days", int, 30, "Most days one Data Export request covers; a longer gap is pulled "
            "as several exports, loaded in one publish."),
    Setting("viva_engage_external_networks", bool, False, "Export the external networks too (includeens=true)."),
    Setting("slack_url", str, "https://slack.com", "Slack's Web API address."),
    Setting("slack_token_file", str, "", "File holding the Slack token (else RUCHE_SLACK_TOKEN)."),
    Setting("slack_thread_days", int, 90, "Days before a pull's window whose threads are read again for replies "
            "posted in the window (a reply to an older thread is not pulled)."),
    Setting("mattermost_url", str, "", "The Mattermost server's address (https://chat.example.com)."),
    Setting("mattermost_token_file", str, "", "File holding a Mattermost personal access token (else "
            "RUCHE_MATTERMOST_TOKEN)."),
    Setting(
        "notify",
        dict,
        {},
        "What `ruche notify` sends and how: sender, retries, [notify.smtp] (host, port, starttls, user, "
        "password_env or password_file, ca_file), [notify.recipients] (role to addresses), "
        "[notify.team_leads] (team to address) or team_leads_from = \"directory\" and [[notify.webhooks]] (kind, url_env, digests); "
        "see docs/notify.md.",
    ),
)

#: Settings whose values identify the organisation's accounts: never shown, printed or logged.
PRIVATE_SETTINGS = frozenset({"graph_tenant_id", "graph_client_id"})

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, value: Any, origin: str) -> Any:
    if setting.type is bool and isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if setting.type in (int, float, str) and not isinstance(value, (dict, list)):
        try:
            return setting.type(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{origin}: {setting.name} must be {setting.type.__name__}, got {value!r}") from None
    if setting.type is list and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, setting.type):
        raise ConfigError(f"{origin}: {setting.name} must be a {setting.type.__name__}, got {value!r}")
    return value


class ConfigError(RucheError):
    """A configuration file or variable that does not fit the settings table."""


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None

    def __getattr__(self, name: str) -> Any:
        if name in _BY_NAME:
            return self.values.get(name, _BY_NAME[name].default)
        raise AttributeError(name)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike | None = DEFAULT_CONFIG_FILE,
        env: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> "Settings":
        """Read the file (if it exists), then the environment, then ``overrides`` (None ignored)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        source = None
        if path is None and "RUCHE_CONFIG" in env:
            path = env["RUCHE_CONFIG"]
        if path is not None and Path(path).is_file():
            source = Path(path)
            try:
                data = tomllib.loads(source.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{source}: not valid TOML: {exc}") from None
            data = data.get("ruche", data)
            for key, value in data.items():
                if key not in _BY_NAME:
                    raise ConfigError(f"{source}: unknown setting {key!r} (known: {', '.join(_BY_NAME)})")
                values[key] = _coerce(_BY_NAME[key], value, str(source))
        for setting in SETTINGS:
            var = f"RUCHE_{setting.name.upper()}"
            if var in env and setting.type not in (dict,):
                values[setting.name] = _coerce(setting, env[var], var)
        for key, value in overrides.items():
            if value is not None:
                values[key] = _coerce(_BY_NAME[key], value, f"--{key.replace('_', '-')}")
        if values.get("language"):
            from ruche import i18n

            if i18n.supported(values["language"]) is None:
                raise ConfigError(f"language {values['language']!r} has no catalog (known: {', '.join(i18n.LANGUAGES)})")
        if values.get("min_group_size", 5) < 1:
            raise ConfigError("min_group_size must be at least 1")
        if values.get("attribution", "as-it-was") not in ("as-it-was", "today"):
            raise ConfigError(f"attribution must be \"as-it-was\" or \"today\" (got {values['attribution']!r})")
        return cls(values=values, source=source)

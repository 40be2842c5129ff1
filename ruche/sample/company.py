"""The synthetic company: its calendar, departments, teams, people and how each person behaves.

Everything here is arrays (one element per person), drawn from one random generator, so that a
company of 100,000 people is built in well under a second and the same seed always gives the
same company.  Days are integers counted from the first day of the period (day 0); a date
before the period is negative.

The stories the sample tells are decided here, person by person:

- a **class** per person: superuser, contributor, reader (reads and likes, never writes) or
  inactive (never connects), in proportions close to Nielsen's 1/9/90, frontline people far
  less often contributors than desk workers;
- an **adoption day** on Viva Engage: the pilot department from the first month, the other
  desk departments from a first rollout wave, frontline departments from a second one;
- **leaders**: some executives and managers post every month (exemplary), others never
  connect (absent);
- **bridges**: a few community managers who answer people of every department;
- **silent teams**: two teams active until the last months of the period, then silent;
- **hires and leavers**, whose activity starts after ``hired_on`` and stops before ``left_on``;
- **guests** from partner companies, with their own e-mail domains, in both networks.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

import numpy as np

HOME_DOMAIN = "example-corp.com"
COMPANY = "Example Corp"

# Classes of participation (the 90/9/1 of the sample, by construction).
INACTIVE, READER, CONTRIBUTOR, SUPERUSER = 0, 1, 2, 3
CLASS_NAMES = ("inactive", "reader", "contributor", "superuser")
STAFF, MANAGER, EXECUTIVE = 0, 1, 2
LEVEL_NAMES = ("staff", "manager", "executive")

SUPERUSER_SHARE = 0.01
CONTRIBUTOR_SHARE = 0.09
NEVER = 1 << 30  # "no leave date": a day far after any period


@dataclass(frozen=True)
class Site:
    name: str
    country: str
    tz: str
    tz_label: str
    tz_offset: int  # seconds east of UTC, standard time (the sample ignores daylight saving)


SITES: tuple[Site, ...] = (
    Site("Paris", "France", "Europe/Paris", "Central European Time", 3600),
    Site("Lyon", "France", "Europe/Paris", "Central European Time", 3600),
    Site("Lille", "France", "Europe/Paris", "Central European Time", 3600),
    Site("London", "United Kingdom", "Europe/London", "Greenwich Mean Time", 0),
    Site("Manchester", "United Kingdom", "Europe/London", "Greenwich Mean Time", 0),
    Site("Berlin", "Germany", "Europe/Berlin", "Central European Time", 3600),
    Site("Hamburg", "Germany", "Europe/Berlin", "Central European Time", 3600),
    Site("Madrid", "Spain", "Europe/Madrid", "Central European Time", 3600),
    Site("Barcelona", "Spain", "Europe/Madrid", "Central European Time", 3600),
    Site("Montréal", "Canada", "America/Toronto", "Eastern Standard Time", -18000),
)
_SITE = {s.name: i for i, s in enumerate(SITES)}

# Where each kind of department has its people.
_HQ = {"Paris": 45, "London": 20, "Berlin": 12, "Madrid": 10, "Lyon": 8, "Montréal": 5}
_TECH = {"Paris": 30, "Lyon": 20, "Berlin": 20, "Montréal": 20, "London": 10}
_FIELD = {"Paris": 12, "Lyon": 12, "Lille": 12, "London": 10, "Manchester": 10, "Berlin": 10,
          "Hamburg": 10, "Madrid": 8, "Barcelona": 8, "Montréal": 8}


@dataclass(frozen=True)
class Function:
    name: str
    weight: float
    frontline: bool = False


@dataclass(frozen=True)
class Department:
    name: str
    weight: float
    sites: dict
    functions: tuple[Function, ...]
    head_title: str
    staff_titles: tuple[str, ...]
    slack: bool = False  # uses the Slack workspace


DEPARTMENTS: tuple[Department, ...] = (
    Department("Executive Office", 1.5, _HQ,
               (Function("Strategy", 1), Function("Internal Communications", 1)),
               "Chief Executive Officer", ("Strategy Analyst", "Executive Assistant", "Communications Officer")),
    Department("Engineering", 12, _TECH,
               (Function("Platform", 2), Function("Mobile", 1), Function("Web", 2), Function("Data", 1),
                Function("Security", 0.7), Function("Quality Engineering", 0.8)),
               "Chief Technology Officer", ("Software Engineer", "Senior Software Engineer", "Data Engineer",
                                            "QA Engineer", "Site Reliability Engineer"), slack=True),
    Department("IT", 5, _TECH,
               (Function("Service Desk", 2), Function("Infrastructure", 1.5), Function("Workplace", 1),
                Function("Business Applications", 1)),
               "Chief Information Officer", ("Service Desk Analyst", "Systems Administrator",
                                             "Network Engineer", "Application Specialist"), slack=True),
    Department("Product", 4, _TECH,
               (Function("Product Management", 2), Function("Design", 1.5), Function("User Research", 0.7)),
               "Chief Product Officer", ("Product Manager", "Product Designer", "UX Researcher"), slack=True),
    Department("Sales", 10, _HQ,
               (Function("Key Accounts", 2), Function("Inside Sales", 2), Function("Channel Sales", 1),
                Function("Sales Operations", 1)),
               "Chief Sales Officer", ("Account Executive", "Sales Representative", "Sales Analyst")),
    Department("Marketing", 5, _HQ,
               (Function("Brand", 1), Function("Digital Marketing", 1.5), Function("Events", 0.8),
                Function("Communications", 1)),
               "Chief Marketing Officer", ("Marketing Specialist", "Content Manager", "Digital Marketer",
                                           "Communications Officer")),
    Department("Finance", 5, _HQ,
               (Function("Accounting", 2), Function("Controlling", 1.5), Function("Treasury", 0.6),
                Function("Procurement", 1)),
               "Chief Financial Officer", ("Accountant", "Financial Controller", "Buyer", "Financial Analyst")),
    Department("Human Resources", 4, _HQ,
               (Function("Talent Acquisition", 1), Function("HR Business Partners", 1), Function("Learning", 0.8),
                Function("Payroll", 0.8)),
               "Chief People Officer", ("Recruiter", "HR Business Partner", "Learning Specialist",
                                        "Payroll Specialist")),
    Department("Legal", 2, _HQ,
               (Function("Legal Affairs", 1), Function("Compliance", 1)),
               "General Counsel", ("Legal Counsel", "Compliance Officer", "Paralegal")),
    Department("Customer Service", 9, _FIELD,
               (Function("Contact Centre", 3), Function("Technical Support", 1.5), Function("Customer Success", 1)),
               "Vice President Customer Service", ("Customer Advisor", "Support Specialist",
                                                   "Customer Success Manager")),
    Department("Operations", 11, _FIELD,
               (Function("Production", 4, True), Function("Maintenance", 2, True),
                Function("Quality Control", 1.5, True), Function("Health & Safety", 0.5),
                Function("Production Planning", 0.5)),
               "Chief Operating Officer", ("Operator", "Technician", "Line Operator", "Quality Inspector")),
    Department("Retail", 17, _FIELD,
               (Function("Store", 8, True), Function("Merchandising", 1)),
               "Vice President Retail", ("Sales Associate", "Cashier", "Stock Associate", "Visual Merchandiser")),
    Department("Logistics", 10, _FIELD,
               (Function("Warehouse", 5, True), Function("Transport", 3, True), Function("Transport Planning", 1)),
               "Vice President Supply Chain", ("Warehouse Operative", "Forklift Driver", "Delivery Driver",
                                               "Logistics Planner")),
)
DEPARTMENT_NAMES = tuple(d.name for d in DEPARTMENTS)
PILOT_DEPARTMENT = "Marketing"
EXECUTIVE_OFFICE = "Executive Office"
# Teams chosen (in this order of preference) to fall silent at the end of the period.
SILENT_TEAM_DEPARTMENTS = ("Sales", "Finance")
BRIDGE_DEPARTMENTS = ("Executive Office", "Human Resources", "IT", "Marketing")


@dataclass(frozen=True)
class Partner:
    name: str
    domain: str
    department: str  # the department that works with it
    in_slack: bool


PARTNERS: tuple[Partner, ...] = (
    Partner("Acme Consulting", "acme-consulting.example", "Marketing", False),
    Partner("Globex Logistics", "globex-logistics.example", "Logistics", False),
    Partner("Initech Software", "initech.example", "Engineering", True),
)

FIRST_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Emma", "Hugo", "Lucas", "Louis",
    "Jules", "Théo", "Nathan", "Gabriel", "Arthur", "Oliver", "George", "Harry", "Jack", "Amelia",
    "Olivia", "Isla", "Emily", "Sophie", "Lukas", "Jonas", "Leon", "Finn", "Mia", "Hannah", "Lena",
    "Anna", "Lucía", "Sofía", "Martina", "María", "Pablo", "Alejandro", "Daniel", "Javier", "Nuria",
    "Mathis", "Noah", "Zoé", "Elif", "Mehdi", "Yasmine", "Amir", "Aïcha", "Olivier", "Sébastien",
    "Nicolas", "Julie", "Claire", "Marc", "Thomas", "Charlotte", "Ethan", "Liam", "Priya", "Kenji",
)
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefèvre", "Michel", "García", "Fernández", "González", "Rodríguez", "López",
    "Martínez", "Sánchez", "Pérez", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer",
    "Wagner", "Becker", "Schäfer", "Koch", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson",
    "Johnson", "Davies", "Evans", "Walker", "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier",
    "Nguyen", "Haddad", "Benali", "Kowalski", "Novak", "Rossi", "Bianchi", "Costa", "Silva", "O'Brien",
    "Mercier", "Fontaine", "Okafor", "Sato",
)


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only, as e-mail local parts are built.

    >>> ascii_slug("Côté O'Brien")
    'coteobrien'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed.lower() if c.isascii() and c.isalnum())


@dataclass(frozen=True)
class Period:
    """The months the sample covers: ``months`` calendar months ending with the month of ``end``.

    Activity runs from the first day of the first month to ``end`` included.

    >>> p = Period.ending(dt.date(2026, 10, 31), 12)
    >>> p.start, p.days, p.month_starts[:2]
    (datetime.date(2025, 11, 1), 365, [0, 30])
    """

    start: dt.date
    end: dt.date  # last day, included
    month_starts: list[int]  # day index of each month's first day, plus one past the end

    @classmethod
    def ending(cls, end: dt.date, months: int) -> "Period":
        y, m = end.year, end.month - (months - 1)
        while m < 1:
            y, m = y - 1, m + 12
        start = dt.date(y, m, 1)
        firsts = []
        for _ in range(months):
            firsts.append((dt.date(y, m, 1) - start).days)
            y, m = (y, m + 1) if m < 12 else (y + 1, 1)
        days = (end - start).days + 1
        return cls(start, end, firsts + [days])

    @property
    def days(self) -> int:
        return self.month_starts[-1]

    @property
    def months(self) -> int:
        return len(self.month_starts) - 1

    @property
    def epoch(self) -> int:
        """Seconds since 1970 of day 0, midnight UTC."""
        return int(dt.datetime(self.start.year, self.start.month, self.start.day, tzinfo=dt.timezone.utc).timestamp())

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=int(day))

    def iso_dates(self, days: np.ndarray) -> np.ndarray:
        """ISO dates (``YYYY-MM-DD``) of day indices, as a numpy string array."""
        base = np.datetime64(self.start.isoformat(), "D")
        return (base + days.astype("timedelta64[D]")).astype(str)

    def month_of(self, days: np.ndarray) -> np.ndarray:
        return np.searchsorted(np.asarray(self.month_starts), days, side="right") - 1

    def day_weights(self) -> np.ndarray:
        """How busy each day is: weekdays full, weekends quiet, August and the year-end holidays slow."""
        dates = np.datetime64(self.start.isoformat(), "D") + np.arange(self.days).astype("timedelta64[D]")
        weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday: 0 = Monday
        w = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.12, 0.08))
        months = dates.astype("datetime64[M]").astype(int) % 12 + 1
        mday = (dates - dates.astype("datetime64[M]")).astype(int) + 1
        w = np.where(months == 8, w * 0.6, w)
        holidays = ((months == 12) & (mday >= 22)) | ((months == 1) & (mday <= 2))
        return np.where(holidays, w * 0.3, w)


@dataclass
class Company:
    """One element per person in every array: the N employees first, then the guests."""

    period: Period
    n_employees: int
    n_guests: int
    # identity
    employee_id: np.ndarray  # str, employees only (guests: "")
    first_name: np.ndarray
    last_name: np.ndarray
    email: np.ndarray
    # directory attributes (guests: -1 / False)
    department: np.ndarray
    team: np.ndarray
    site: np.ndarray
    level: np.ndarray
    manager: np.ndarray  # index of the manager, -1 for none
    frontline: np.ndarray
    hired: np.ndarray  # day index (negative before the period)
    left: np.ndarray  # day index, NEVER when still employed
    job_title: np.ndarray
    partner: np.ndarray  # guests: index in PARTNERS, employees: -1
    # behaviour
    klass: np.ndarray
    exemplary: np.ndarray  # leaders who post every month
    absent: np.ndarray  # leaders who never connect
    bridge: np.ndarray
    silent: np.ndarray  # member of a team that falls silent
    viva_start: np.ndarray  # first day of Viva Engage activity (days; start >= end means never)
    viva_end: np.ndarray  # first day without activity
    in_slack: np.ndarray
    slack_start: np.ndarray
    slack_end: np.ndarray
    # teams
    team_names: list[str]
    team_department: np.ndarray
    silent_teams: list[int]
    silent_from: int  # day from which silent teams do nothing
    in_viva: np.ndarray = None  # has a Viva Engage account (every employee, the Viva guests)
    waves: dict = field(default_factory=dict)  # department -> first month of its rollout

    @property
    def size(self) -> int:
        return self.n_employees + self.n_guests

    @property
    def is_guest(self) -> np.ndarray:
        return np.arange(self.size) >= self.n_employees

    @property
    def display_name(self) -> np.ndarray:
        return np.char.add(np.char.add(self.first_name.astype(str), " "), self.last_name.astype(str))


def _counts(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder), each >= minimum."""
    weights = np.asarray(weights, dtype=float)
    base = np.full(len(weights), minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest < 0:
        raise ValueError("total too small for the minimum")
    exact = weights / weights.sum() * rest
    parts = np.floor(exact).astype(np.int64)
    short = rest - parts.sum()
    order = np.argsort(-(exact - parts), kind="stable")
    parts[order[:short]] += 1
    return base + parts


def _weighted_pick(rng: np.random.Generator, pool: np.ndarray, k: int, weights: np.ndarray) -> np.ndarray:
    """k distinct elements of pool, drawn with probabilities proportional to weights."""
    k = min(k, int(np.count_nonzero(weights > 0)))
    if k <= 0:
        return pool[:0]
    return np.sort(rng.choice(pool, size=k, replace=False, p=weights / weights.sum()))


def build_company(rng: np.random.Generator, people: int, period: Period) -> Company:
    n = people
    nd = len(DEPARTMENTS)
    months = period.months
    days = period.days

    # --- departments, teams, sites -------------------------------------------------------
    dept_size = _counts(n, np.array([d.weight for d in DEPARTMENTS]), minimum=4)
    department = np.repeat(np.arange(nd), dept_size)
    team = np.empty(n, dtype=np.int64)
    site = np.empty(n, dtype=np.int64)
    level = np.zeros(n, dtype=np.int64)
    manager = np.full(n, -1, dtype=np.int64)
    frontline = np.zeros(n, dtype=bool)
    function_of = np.full(n, -1, dtype=np.int64)
    team_names: list[str] = []
    team_department: list[int] = []
    team_function: list[int] = []
    dept_heads = np.empty(nd, dtype=np.int64)
    offset = 0
    for d, dep in enumerate(DEPARTMENTS):
        size = int(dept_size[d])
        members = np.arange(offset, offset + size)
        offset += size
        site_names = list(dep.sites)
        site_w = np.array([dep.sites[s] for s in site_names], dtype=float)
        n_exec = max(1, min(1 + size // 250, size // 4)) + (1 if dep.name == EXECUTIVE_OFFICE else 0)
        n_exec = min(n_exec, size - 2)
        execs, rest = members[:n_exec], members[n_exec:]
        dept_heads[d] = execs[0]
        # the leadership of a department is a team of its own, at head office
        team_names.append(f"{dep.name} Leadership")
        team_department.append(d)
        team_function.append(-1)
        team[execs] = len(team_names) - 1
        site[execs] = _SITE["Paris"]
        level[execs] = EXECUTIVE
        manager[execs[1:]] = execs[0]
        desk_size = 14 if any(f.frontline for f in dep.functions) else 9
        n_teams = max(1, int(round(len(rest) / desk_size)))
        n_teams = min(n_teams, max(1, len(rest) // 3))
        func_w = np.array([f.weight for f in dep.functions], dtype=float)
        funcs = rng.choice(len(dep.functions), size=n_teams, p=func_w / func_w.sum())
        sites_t = rng.choice(len(site_names), size=n_teams, p=site_w / site_w.sum())
        order = np.lexsort((sites_t, funcs))
        funcs, sites_t = funcs[order], sites_t[order]
        sizes = _counts(len(rest), rng.dirichlet(np.full(n_teams, 8.0)), minimum=min(3, len(rest) // n_teams))
        labels = [f"{dep.functions[f].name} {site_names[s]}" for f, s in zip(funcs, sites_t)]
        seen: dict[str, int] = {}
        repeats = {lab: labels.count(lab) for lab in labels}
        start = 0
        for t in range(n_teams):
            lab = labels[t]
            if repeats[lab] > 1:
                seen[lab] = seen.get(lab, 0) + 1
                lab = f"{lab} {seen[lab]}"
            team_names.append(lab)
            team_department.append(d)
            team_function.append(int(funcs[t]))
            who = rest[start:start + sizes[t]]
            start += sizes[t]
            team[who] = len(team_names) - 1
            site[who] = _SITE[site_names[sites_t[t]]]
            function_of[who] = funcs[t]
            frontline[who] = dep.functions[funcs[t]].frontline
            level[who[0]] = MANAGER
            manager[who[0]] = execs[t % len(execs)]
            manager[who[1:]] = who[0]
    ceo = dept_heads[DEPARTMENT_NAMES.index(EXECUTIVE_OFFICE)]
    for d in range(nd):
        if dept_heads[d] != ceo:
            manager[dept_heads[d]] = ceo
    team_department_a = np.array(team_department)

    # --- names and e-mails ------------------------------------------------------------------
    n_guests_viva = max(4, int(round(0.012 * n)))
    size = n + n_guests_viva
    first = np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), size)]
    last = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), size)]
    partner = np.full(size, -1, dtype=np.int64)
    partner[n:] = np.arange(n_guests_viva) % len(PARTNERS)
    slug_first = {f: ascii_slug(f) for f in FIRST_NAMES}
    slug_last = {s: ascii_slug(s) for s in LAST_NAMES}
    domains = np.array([HOME_DOMAIN] + [p.domain for p in PARTNERS], dtype=object)[partner + 1]
    local = np.array([f"{slug_first[a]}.{slug_last[b]}" for a, b in zip(first, last)], dtype=object)
    email = _unique_emails(local, domains)

    # --- employment -------------------------------------------------------------------------
    hired = -(1 + np.floor(rng.exponential(6 * 365, size))).astype(np.int64)
    hired = np.maximum(hired, -(period.start - dt.date(1988, 1, 1)).days)
    left = np.full(size, NEVER, dtype=np.int64)
    staff = np.flatnonzero((level[:n] == STAFF))
    n_hires = min(int(round(n * 0.10 * months / 12)), len(staff) // 3)
    n_leavers = min(int(round(n * 0.09 * months / 12)), len(staff) // 3)
    hires = np.sort(rng.choice(staff, n_hires, replace=False))
    hired[hires] = rng.integers(0, days, n_hires)
    leavers = np.sort(rng.choice(staff, n_leavers, replace=False))
    earliest = np.maximum(hired[leavers] + 30, 1)
    ok = earliest < days
    leavers = leavers[ok]
    left[leavers] = earliest[ok] + np.floor(rng.random(len(leavers)) * (days - earliest[ok])).astype(np.int64)
    hired[n:] = -(1 + rng.integers(0, 400, n_guests_viva))  # guests: invited before or during the period

    # --- behaviour -------------------------------------------------------------------------
    klass = np.full(size, -1, dtype=np.int64)
    exemplary = np.zeros(size, dtype=bool)
    absent = np.zeros(size, dtype=bool)
    bridge = np.zeros(size, dtype=bool)
    silent = np.zeros(size, dtype=bool)
    is_slack_dept = np.array([d.slack for d in DEPARTMENTS])[department]
    pilot = DEPARTMENT_NAMES.index(PILOT_DEPARTMENT)

    def leaders(lvl: int, share_exemplary: float, share_absent: float) -> None:
        idx = np.flatnonzero(level == lvl)
        idx = idx[idx != ceo]
        idx = rng.permutation(idx)
        k_ex = int(round(share_exemplary * len(idx)))
        k_abs = int(round(share_absent * len(idx)))
        exemplary[idx[:k_ex]] = True
        absent[idx[k_ex:k_ex + k_abs]] = True

    leaders(EXECUTIVE, 0.4, 0.3)
    leaders(MANAGER, 0.25, 0.25)
    exemplary[ceo] = True
    klass[:n][exemplary[:n]] = CONTRIBUTOR
    klass[:n][absent[:n]] = INACTIVE

    # bridges: community managers in a few central departments, employed all period long
    n_bridges = max(3, int(round(0.0025 * n)))
    bridge_dept = np.isin(department, [DEPARTMENT_NAMES.index(x) for x in BRIDGE_DEPARTMENTS])
    pool = np.flatnonzero(bridge_dept & (level[:n] == STAFF) & (hired[:n] < 0) & (left[:n] == NEVER))
    chosen = np.sort(rng.choice(pool, min(n_bridges, len(pool)), replace=False))
    bridge[chosen] = True
    klass[chosen] = CONTRIBUTOR

    # silent teams: active desk teams of two departments, silent for the last months
    silent_months = 3 if months >= 9 else max(1, months // 3)
    silent_from = period.month_starts[months - silent_months]
    silent_teams: list[int] = []
    team_size = np.bincount(team, minlength=len(team_names))
    for dep_name in SILENT_TEAM_DEPARTMENTS:
        d = DEPARTMENT_NAMES.index(dep_name)
        candidates = [t for t in range(len(team_names))
                      if team_department[t] == d and team_function[t] >= 0 and team_size[t] >= 5]
        if candidates:
            t = candidates[int(rng.integers(0, len(candidates)))]
            silent_teams.append(t)
            members = np.flatnonzero(team == t)
            silent[members] = True
            free = members[klass[members] < 0]
            klass[free] = np.where(rng.random(len(free)) < 0.6, CONTRIBUTOR, READER)
            # a silent team's manager is neither exemplary nor absent: the team simply stops
            exemplary[members] = False
            absent[members] = False
            klass[members] = np.where(klass[members] < 0, READER, klass[members])
            klass[members[level[members] == MANAGER]] = CONTRIBUTOR

    # everyone else: superusers, then contributors, then readers or inactive
    desk_w = np.where(frontline, 0.12, 1.0) * np.where(is_slack_dept, 1.5, 1.0) * np.where(department == pilot, 2.0, 1.0)
    employees = np.arange(n)
    n_super = max(1, int(round(SUPERUSER_SHARE * n)))
    free = employees[klass[:n] < 0]
    need = n_super - int(np.count_nonzero(klass[:n] == SUPERUSER))
    klass[_weighted_pick(rng, free, need, desk_w[free] * (hired[free] < days * 0.5))] = SUPERUSER
    n_contrib = int(round(CONTRIBUTOR_SHARE * n))
    free = employees[klass[:n] < 0]
    need = n_contrib - int(np.count_nonzero(klass[:n] == CONTRIBUTOR))
    contrib_w = np.where(frontline, 0.15, 1.0) * np.where(is_slack_dept, 1.6, 1.0) * np.where(department == pilot, 1.5, 1.0)
    klass[_weighted_pick(rng, free, need, contrib_w[free])] = CONTRIBUTOR
    free = employees[klass[:n] < 0]
    reads = rng.random(len(free)) < np.where(frontline[free], 0.55, 0.85)
    klass[free] = np.where(reads, READER, INACTIVE)
    klass[n:] = np.where(rng.random(n_guests_viva) < 0.6, CONTRIBUTOR, READER)

    # --- adoption of Viva Engage -------------------------------------------------------------
    wave1 = max(1, int(round(months * 0.25)))
    wave2 = min(months - 1, max(wave1 + 1, int(round(months * 0.5))))
    dept_frontline = np.array([any(f.frontline for f in d.functions) for d in DEPARTMENTS])
    dept_start = np.where(dept_frontline, wave2, wave1)
    dept_start[pilot] = 0
    waves = {DEPARTMENT_NAMES[d]: int(dept_start[d]) for d in range(nd)}
    start_month = np.empty(size, dtype=np.int64)
    start_month[:n] = dept_start[department]
    p_geo = np.where(department == pilot, 0.6, np.where(dept_frontline[department], 0.25, 0.3))
    delay = rng.geometric(p_geo) - 1
    adopt_month = start_month[:n] + delay
    early = (rng.random(n) < 0.03) & (start_month[:n] > 0)
    adopt_month = np.where(early, rng.integers(0, np.maximum(start_month[:n], 1)), adopt_month)
    adopt_month = np.where(exemplary[:n], np.maximum(start_month[:n] - 1, 0), adopt_month)
    adopt_month = np.where(bridge[:n] | (np.arange(n) == ceo), 0, adopt_month)
    adopt_month = np.where(silent[:n], start_month[:n], adopt_month)
    ms = np.asarray(period.month_starts)
    adopt_day = np.full(size, NEVER, dtype=np.int64)
    inside = adopt_month < months
    am = np.minimum(adopt_month, months - 1)
    length = ms[am + 1] - ms[am]
    spread = np.where(department == pilot, 0.5, 0.8)
    offset_in_month = np.where(exemplary[:n] | bridge[:n], 0, np.floor(rng.random(n) * length * spread).astype(np.int64))
    adopt_day[:n] = np.where(inside, ms[am] + offset_in_month, NEVER)
    # guests arrive during the first half of the period
    adopt_day[n:] = rng.integers(0, max(1, days // 2), n_guests_viva)
    active = klass > INACTIVE
    viva_start = np.where(active, np.maximum(adopt_day, np.maximum(hired, 0)), NEVER)
    viva_end = np.minimum(left, days)
    viva_end = np.where(silent, np.minimum(viva_end, silent_from), viva_end)

    # --- Slack: the workspace of Engineering, IT and Product, older than the period ------------
    n_guests_slack = max(3, int(round(0.006 * n)))
    slack_partner = [i for i, p in enumerate(PARTNERS) if p.in_slack][0]
    in_slack = np.zeros(size, dtype=bool)
    in_slack[:n] = is_slack_dept
    # half of the Slack guests are Viva guests of the same partner; the others are Slack-only
    shared = np.flatnonzero(partner == slack_partner)[: n_guests_slack // 2 + 1]
    in_slack[shared] = True
    extra = n_guests_slack - len(shared)
    company = Company(
        period=period, n_employees=n, n_guests=n_guests_viva,
        employee_id=np.array([""] * size, dtype=object), first_name=first, last_name=last, email=email,
        department=np.concatenate([department, np.full(n_guests_viva, -1)]),
        team=np.concatenate([team, np.full(n_guests_viva, -1)]),
        site=np.concatenate([site, np.full(n_guests_viva, -1)]),
        level=np.concatenate([level, np.zeros(n_guests_viva, dtype=np.int64)]),
        manager=np.concatenate([manager, np.full(n_guests_viva, -1)]),
        frontline=np.concatenate([frontline, np.zeros(n_guests_viva, dtype=bool)]),
        hired=hired, left=left, job_title=np.array([""] * size, dtype=object), partner=partner,
        klass=klass, exemplary=exemplary, absent=absent, bridge=bridge, silent=silent,
        viva_start=viva_start, viva_end=viva_end, in_slack=in_slack,
        slack_start=np.zeros(size, dtype=np.int64), slack_end=np.zeros(size, dtype=np.int64),
        team_names=team_names, team_department=team_department_a, silent_teams=silent_teams,
        silent_from=silent_from, waves=waves, in_viva=np.ones(size, dtype=bool),
    )
    if extra > 0:
        _add_slack_only_guests(rng, company, extra, slack_partner)
    c = company
    c.slack_start = np.where(c.in_slack, np.maximum(c.hired, 0), NEVER)
    c.slack_start[c.is_guest & c.in_slack] = np.maximum(c.viva_start[c.is_guest & c.in_slack], 0)
    slack_only = c.is_guest & c.in_slack & (c.viva_start >= NEVER)
    c.slack_start[slack_only] = rng.integers(0, max(1, days // 2), int(slack_only.sum()))
    c.slack_end = np.where(c.in_slack, np.minimum(c.left, days), 0)
    c.employee_id = _employee_ids(rng, n, c.size)
    c.job_title = _job_titles(rng, c, function_of, set(dept_heads.tolist()), ceo)
    return c


def _unique_emails(local: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """``first.last@domain``, with 2, 3, ... appended to repeats in order."""
    seen: dict[str, int] = {}
    out = np.empty(len(local), dtype=object)
    for i, (loc, dom) in enumerate(zip(local, domains)):
        key = f"{loc}@{dom}"
        k = seen.get(key, 0) + 1
        seen[key] = k
        out[i] = key if k == 1 else f"{loc}{k}@{dom}"
    return out


def _add_slack_only_guests(rng: np.random.Generator, c: Company, extra: int, partner_index: int) -> None:
    """Slack guests who have no Viva Engage account: appended after the other guests."""
    first = np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), extra)]
    last = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), extra)]
    local = np.array([f"{ascii_slug(a)}.{ascii_slug(b)}" for a, b in zip(first, last)], dtype=object)
    domain = PARTNERS[partner_index].domain
    taken = set(c.email)
    emails = []
    for loc in local:
        k, e = 1, f"{loc}@{domain}"
        while e in taken:
            k += 1
            e = f"{loc}{k}@{domain}"
        taken.add(e)
        emails.append(e)

    def cat(a, b):
        return np.concatenate([a, np.asarray(b, dtype=a.dtype)])

    c.first_name, c.last_name = cat(c.first_name, first), cat(c.last_name, last)
    c.email = cat(c.email, emails)
    for name, value in (("department", -1), ("team", -1), ("site", -1), ("level", 0), ("manager", -1),
                        ("frontline", False), ("partner", partner_index), ("left", NEVER),
                        ("exemplary", False), ("absent", False), ("bridge", False), ("silent", False),
                        ("viva_start", NEVER), ("viva_end", 0), ("in_slack", True), ("in_viva", False)):
        setattr(c, name, cat(getattr(c, name), np.full(extra, value)))
    c.hired = cat(c.hired, -(1 + rng.integers(0, 400, extra)))
    c.klass = cat(c.klass, np.where(rng.random(extra) < 0.6, CONTRIBUTOR, READER))
    c.n_guests += extra


def _employee_ids(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    width = max(6, len(str(20 * n)))
    numbers = rng.choice(np.arange(10 ** (width - 1), 10 ** (width - 1) + 10 * n), n, replace=False)
    ids = np.array([""] * size, dtype=object)
    ids[:n] = [f"E{x}" for x in numbers]
    return ids


def _job_titles(rng: np.random.Generator, c: Company, function_of: np.ndarray, heads: set, ceo: int) -> np.ndarray:
    titles = np.array([""] * c.size, dtype=object)
    for i in range(c.n_employees):
        dep = DEPARTMENTS[c.department[i]]
        if i == ceo:
            titles[i] = "Chief Executive Officer"
        elif c.level[i] == EXECUTIVE:
            titles[i] = dep.head_title if i in heads else f"Director, {dep.name}"
        elif c.level[i] == MANAGER:
            titles[i] = f"{dep.functions[function_of[i]].name} Manager"
        else:
            titles[i] = dep.staff_titles[int(rng.integers(0, len(dep.staff_titles)))]
    roles = ("Consultant", "Account Manager", "Project Lead", "Engineer", "Partner Manager")
    for i in range(c.n_employees, c.size):
        titles[i] = roles[int(rng.integers(0, len(roles)))]
    return titles

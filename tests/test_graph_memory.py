"""The person graph's memory guard: a graph that would not fit ``memory_limit`` beside DuckDB is
refused with a message that says how much it needs and what to do, before it is built."""

from __future__ import annotations

import pytest

from metrics import graph
from metrics.graph import graph_refusal, memory_bytes, person_graph
from metrics.groups import MetricError
from metrics.refresh import refresh_metrics
from tests.test_network import three_departments
from tests.test_network_support import store_from_graph

REFUSED = ("the person graph of 12 people and 9 ties needs about 1.8 GB of memory beside DuckDB, more than "
           "the 1.0 GB memory_limit (1.0 GB) leaves beside the 0.0 GB DuckDB holds: raise memory_limit, or "
           "ask for a shorter period (--from, --to)")


def test_the_estimate_against_the_limit_and_what_duckdb_holds():
    # 1,000,000 x 600 + 40,000,000 x 400 = 16.6e9 bytes; 16 GiB - 2 GiB = 15.03e9 left
    assert graph_refusal(1_000_000, 40_000_000, 16 * 1024**3, 2 * 1024**3) == (
        "the person graph of 1,000,000 people and 40,000,000 ties needs about 16.6 GB of memory beside DuckDB, "
        "more than the 15.0 GB memory_limit (17.2 GB) leaves beside the 2.1 GB DuckDB holds: raise memory_limit, "
        "or ask for a shorter period (--from, --to)")
    # the same graph fits once DuckDB holds 1.4 GiB less: 16.6e9 <= 17.18e9 - 0.58e9 (0.6 GB)
    assert graph_refusal(1_000_000, 40_000_000, 16 * 1024**3, int(0.54 * 1024**3)) is None
    assert graph_refusal(1_000_000, 40_000_000, 16 * 1024**3, int(0.56 * 1024**3)) is not None
    assert memory_bytes("953.6 MiB") == 999_922_073


def test_a_graph_over_the_limit_is_refused_before_it_is_built(monkeypatch):
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    con.execute("set memory_limit = '1GB'")
    monkeypatch.setattr(graph, "GRAPH_BYTES_PER_TIE", 200_000_000)  # 9 ties: 1.8 GB
    with pytest.raises(MetricError) as refused:
        person_graph(con, "organisation")
    assert str(refused.value) == REFUSED
    monkeypatch.setattr(graph, "GRAPH_BYTES_PER_TIE", 100_000_000)  # 0.9 GB: fits
    assert len(person_graph(con, "organisation").a) == 9


def test_the_refresh_goes_on_without_the_person_graph_and_says_why(monkeypatch):
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    con.execute("set memory_limit = '1GB'")
    monkeypatch.setattr(graph, "GRAPH_BYTES_PER_TIE", 200_000_000)
    done = refresh_metrics(con)
    assert done["network"] == {"mode": "refused", "why": REFUSED}
    assert con.execute("select count(*) from information_schema.tables where table_name = 'm_person_network'"
                       ).fetchone() == (0,)


def test_the_graph_is_judged_against_the_whole_limit_while_duckdb_is_given_less(monkeypatch):
    """A refresh gives DuckDB only what memory_limit leaves beside Python (ruche.store.MemoryShare);
    the graph is still weighed against the whole limit, and DuckDB has it all back afterwards."""
    from ruche.store import MemoryShare

    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    con.execute("set memory_limit = '1GB'")
    share = MemoryShare(con)
    given = share.share()
    assert given < 0.8e9  # a fifth of what is left beside this process is kept for the frames in transit
    assert memory_bytes(con.execute("select current_setting('memory_limit')").fetchone()[0]) == pytest.approx(
        given, rel=1e-3)
    monkeypatch.setattr(graph, "GRAPH_BYTES_PER_TIE", 100_000_000)  # 0.9 GB: within 1 GB, beyond DuckDB's share
    assert len(person_graph(con, "organisation").a) == 9

    def limit() -> int:
        return memory_bytes(con.execute("select current_setting('memory_limit')").fetchone()[0])

    share.restore()
    assert limit() == pytest.approx(1e9, rel=1e-3)  # as DuckDB wrote it: 953.6 MiB
    refresh_metrics(con)  # shares and gives back
    assert limit() == pytest.approx(1e9, rel=1e-3)


def test_the_whole_history_s_graph_is_refused_on_the_stored_pairs_before_its_ties_are_read(monkeypatch):
    """Once the group ties keep the pairs of people with a tie, a graph of the whole history those
    pairs already refuse is refused before its ties are handed to Python (at a million people
    over 24 months those alone took the process past memory_limit), with the same message; a
    window's graph is weighed on its own ties, read."""
    from datetime import date

    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    con.execute("set memory_limit = '1GB'")
    refresh_metrics(con)  # the group ties and the pairs they keep
    read = []
    tie_frame = graph.tie_frame
    monkeypatch.setattr(graph, "tie_frame", lambda *a, **k: read.append(a[1]) or tie_frame(*a, **k))
    monkeypatch.setattr(graph, "GRAPH_BYTES_PER_TIE", 200_000_000)  # 9 ties: 1.8 GB
    with pytest.raises(MetricError) as refused:
        person_graph(con, "organisation")
    assert str(refused.value) == REFUSED and read == []
    first, last = con.execute("select min(occurred_at)::date, max(occurred_at)::date from activities").fetchone()
    with pytest.raises(MetricError) as refused:  # the window holds every tie: refused once read
        person_graph(con, "organisation", date(first.year, 1, 1), last)
    assert str(refused.value) == REFUSED and read == ["person_ties"]
    monkeypatch.setattr(graph, "GRAPH_BYTES_PER_TIE", 100_000_000)  # 0.9 GB: fits
    assert len(person_graph(con, "organisation").a) == 9 and read == ["person_ties"] * 2


def test_the_refresh_holds_back_from_duckdb_the_graph_it_expects(monkeypatch):
    """The group ties are stored before the person graph, so that the pairs they keep say how big
    the graph will be: that much is held back from DuckDB's share while the graph is built."""
    from ruche.store import MemoryShare

    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    con.execute("set memory_limit = '1GB'")
    reserved = []
    share = MemoryShare.share
    monkeypatch.setattr(MemoryShare, "share", lambda self, reserve=0: reserved.append(reserve) or share(self, reserve))
    done = refresh_metrics(con)
    assert list(done["stages"])[:3] == ["bases", "group_ties", "network"]
    assert con.execute("select (select count(*) from m_person_pairs), (select count(*) from people)").fetchone() == (
        (9, 18))  # the graph's 9 ties; the directory's 18 people (those without a tie included)
    # every stage shares the limit, the bases' and the group ties' holding nothing back, the graph its size
    assert reserved[:3] == [0, 0, 18 * 600 + 9 * 400]
    assert graph.graph_bytes_expected(con) == reserved[2]


def test_stored_results_beyond_the_limit_stop_with_a_message_that_says_so(monkeypatch):
    """When what the refresh holds in Python leaves DuckDB too little and DuckDB runs out of its
    share, the refresh stops with a message naming memory_limit, not DuckDB's own error, and
    DuckDB has its whole limit back."""
    import duckdb

    from metrics import results
    from ruche.store import StoreError

    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    con.execute("set memory_limit = '1GB'")

    def out_of_memory(*_args, **_kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block of size 256.0 KiB")

    monkeypatch.setattr(results, "champions", out_of_memory)  # the last result the refresh computes
    with pytest.raises(StoreError) as refused:
        refresh_metrics(con)
    message = str(refused.value)
    assert message.startswith("the dashboard's stored results need more memory than memory_limit (1.0 GB) gives: "
                              "this process held up to "), message
    assert message.endswith(" GB in Python beside DuckDB, which was left the rest: raise memory_limit"), message
    assert memory_bytes(con.execute("select current_setting('memory_limit')").fetchone()[0]) == pytest.approx(
        1e9, rel=1e-3)


def test_a_share_stands_until_the_process_may_have_grown_past_its_margin(monkeypatch):
    """A share measures (a query of what DuckDB holds) and sets DuckDB's limit a 64th of the budget
    below what the budget leaves it; the next shares keep that limit while the process's resident
    memory has grown by no more than that margin leaves, and measure again beyond it or when more
    is to be held back."""
    import duckdb

    from ruche import store

    con = duckdb.connect(":memory:")
    con.execute("set memory_limit = '1GB'")  # 953.6 MiB: 999,922,073 bytes
    assert con.execute("select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory()").fetchone() == (0,)
    resident = [400_000_000]
    monkeypatch.setattr(store, "resident_bytes", lambda: resident[0])
    queries = []
    share = store.MemoryShare(con)
    measure = share.con
    share.con = type("Counted", (), {"execute": lambda self, sql, *a: queries.append(sql) or measure.execute(sql, *a)})()

    def limit() -> int:
        return memory_bytes(measure.execute("select current_setting('memory_limit')").fetchone()[0])

    # (999,922,073 - 400,000,000) x 0.8 = 479,937,658, less 999,922,073 / 64 = 15,623,782
    assert share.share() == 464_313_876 and share.outside_peak == 400_000_000 and len(queries) == 2
    assert limit() == pytest.approx(464_313_876, rel=1e-3)
    # the limit stands while 999,922,073 - 464,313,876 / 0.8 = 419,529,728 is held outside DuckDB at most
    resident[0] = 419_529_728
    assert share.share() == 464_313_876 and share.outside_peak == 400_000_000 and len(queries) == 2
    resident[0] = 419_529_729  # a byte more: measured again, and DuckDB given less
    assert share.share() == 448_690_093 and len(queries) == 4  # 464,313,875 - 15,623,782
    assert share.outside_peak == 419_529_729
    # more to hold back than the last share did: measured again though nothing grew
    assert share.share(reserve=1) == 448_690_092 and len(queries) == 6
    assert share.share(reserve=1) == share.share() and len(queries) == 6
    assert not share.over
    share.con = measure
    share.restore()
    assert limit() == pytest.approx(999_922_073, rel=1e-3) and id(con) not in store._SET


def test_a_share_stands_while_duckdb_holds_what_the_process_grew_by(monkeypatch):
    """What DuckDB holds counts in the process's resident memory, not outside DuckDB: when the
    resident memory alone leaves no room, a share asks DuckDB what it holds (one query) and keeps
    the limit set while the process outside DuckDB has grown within the margin; it sets it again
    once the process outside DuckDB has shrunk by so much that DuckDB would be given more than an
    eighth of the budget more (its room back), not at every frame let go."""
    import duckdb

    from ruche import store

    con = duckdb.connect(":memory:")
    con.execute("set memory_limit = '1GB'")  # 999,922,073 bytes
    con.execute("create table held as select range as n from range(10_000_000)")
    held = con.execute("select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory()").fetchone()[0]
    assert held > 999_922_073 // 64  # more than the margin: the resident memory alone cannot vouch
    resident = [400_000_000 + held]
    monkeypatch.setattr(store, "resident_bytes", lambda: resident[0])
    queries = []
    share = store.MemoryShare(con)
    measure = share.con
    share.con = type("Counted", (), {"execute": lambda self, sql, *a: queries.append(sql) or measure.execute(sql, *a)})()
    assert share.share() == 464_313_876 and len(queries) == 2  # as with nothing held: 400,000,000 outside
    resident[0] += 1_000  # a thousand bytes more outside DuckDB: asked, and the limit stands
    assert share.share() == 464_313_876 and len(queries) == 3 and share.outside_peak == 400_001_000
    resident[0] += 19_529_728 - 1_000  # 419,529,728 outside DuckDB: the most the limit leaves room for
    assert share.share() == 464_313_876 and len(queries) == 4
    resident[0] += 1  # a byte more: set again
    assert share.share() == 448_690_093 and len(queries) == 6
    resident[0] -= 100_000_000  # less resident memory: the limit stands, unasked
    assert share.share() == 448_690_093 and len(queries) == 6
    # DuckDB holds more, the process 100,000,000 less outside it than at the last limit set: asked;
    # a limit set now, (999,922,073 - 319,529,729) x 0.8 - 15,623,782 = 528,690,093, would give
    # DuckDB 80,000,000 more, less than an eighth of the budget (RAISE_SHARE): the limit stands
    measure.execute("create table more as select range as n from range(30_000_000)")
    more = measure.execute("select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory()").fetchone()[0]
    resident[0] = 319_529_729 + more
    assert share.share() == 448_690_093 and len(queries) == 7
    # 200,000,000 less outside DuckDB: (999,922,073 - 219,529,729) x 0.8 - 15,623,782, 160,000,000
    # more than the limit standing: set again
    resident[0] = 219_529_729 + more
    assert share.share() == 608_690_093 and len(queries) == 9
    resident[0] += 10_000_000  # 10,000,000 more outside DuckDB, within the room: asked, the limit stands
    assert share.share() == 608_690_093 and len(queries) == 10
    share.share(); assert len(queries) == 11
    resident[0] -= 29_000_000  # 19,000,000 less than at the limit set: less than an eighth more for DuckDB
    assert share.share() == 608_690_093 and len(queries) == 12
    share.con = measure
    share.restore()


def test_the_memory_polars_frees_leaves_the_process_at_once():
    """Every package of Ruche sets polars' allocator to give freed memory back at once (what a
    refresh holds beside DuckDB is read from its resident memory): a frame of 480 MB let go
    leaves the process's resident memory where it was before, not 480 MB higher for up to a
    second (polars' own setting).
    An allocator setting of the environment's own is kept."""
    import os
    import subprocess
    import sys

    script = (
        "import os, metrics, polars as pl\n"
        "from ruche.store import resident_bytes\n"
        "before = resident_bytes()\n"
        "frame = pl.DataFrame({'a': range(20_000_000), 'b': [1.0] * 20_000_000}).sort('b', 'a')\n"
        "held = resident_bytes() - before\n"
        "del frame\n"
        "print(os.environ['_RJEM_MALLOC_CONF'], held > 300e6, resident_bytes() - before < 50e6)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    found = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    setting, held, freed = found.stdout.split()  # polars puts its own first: the last one holds
    assert (setting.endswith(",dirty_decay_ms:0,muzzy_decay_ms:0"), held, freed) == (True, "True", "True")
    found = subprocess.run([sys.executable, "-c", script], env={**env, "_RJEM_MALLOC_CONF": "narenas:2"},
                           capture_output=True, text=True, check=True)
    setting, held, freed = found.stdout.split()
    assert (setting.endswith(",narenas:2"), "decay_ms:0" in setting, held, freed) == (True, False, "True", "False")


def test_the_memory_duckdb_frees_leaves_the_process_at_once_when_the_environment_asks():
    """DuckDB's allocator keeps freed memory for about a second unless the environment says
    otherwise (Ruche leaves it so: giving it back at once slows the dashboard's queries): after a
    sort of 20 million rows (some 300 MB, DuckDB holding nothing once it is done) the process's
    resident memory is still some 330 MB higher, counted by MemoryShare as held outside DuckDB;
    with ``DUCKDB_JE_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0`` (docs/configuration.md) it is
    where it was before."""
    import os
    import subprocess
    import sys

    script = (
        "import os, metrics, duckdb\n"
        "from ruche.store import resident_bytes\n"
        "con = duckdb.connect()\n"
        "con.execute('set threads = 2'); con.execute('set enable_progress_bar = false')\n"
        "con.execute('select 1').fetchall()\n"
        "before = resident_bytes()\n"
        "con.execute('select count(*) from (select a, hash(a) h from range(20_000_000) t(a) order by h)').fetchall()\n"
        "held = con.execute('select sum(memory_usage_bytes) from duckdb_memory()').fetchone()[0]\n"
        "print(os.environ.get('DUCKDB_JE_MALLOC_CONF', 'unset'), held, resident_bytes() - before < 50e6)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DUCKDB_JE_MALLOC_CONF"}
    found = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert found.stdout.split() == ["unset", "0", "False"]
    given = "dirty_decay_ms:0,muzzy_decay_ms:0"
    found = subprocess.run([sys.executable, "-c", script], env={**env, "DUCKDB_JE_MALLOC_CONF": given},
                           capture_output=True, text=True, check=True)
    assert found.stdout.split() == [given, "0", "True"]

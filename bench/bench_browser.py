"""Benchmark of the dashboard as a reader sees it: filter changes timed in Chromium.

Serves the dashboard on a store (``ruche serve`` on a loopback port, as the browser tests do),
drives Debian's Chromium with Playwright and, on each page, makes the filter changes of
:data:`bench.bench_dashboard.CHANGES` twice: first never seen (``cold``: the server's caches miss),
then again (``warm``). Each change is timed in the page itself, from the press on the option
(a capturing ``pointerdown`` listener stamps it, before the click that chooses it) to:

- ``finished``: Streamlit's frontend marks the script run over (the attribute
  ``data-test-script-state`` of the app's root goes from ``running`` back to ``notRunning``);
- ``idle``: the frame painted after the last change of the page's DOM, once the DOM has stayed
  still for :data:`QUIET_MS` (the charts in view drawn by plotly, the stale elements removed):
  the page settled as the reader sees it. The goal (``--goal``, 0.5 s) applies to its 90th
  percentile. The charts out of the window are drawn when scrolled into view (dashboard/plot):
  ``charts`` counts those drawn in the window, ``waiting`` those left to draw further down,
  ``mounted`` the chart elements the page made anew over the changes (drawn from nothing: a
  chart whose place in the page moved, an element before it appearing or going).

On a shared machine the wall times are those of the load average printed with them; the CPU
seconds each change costs the server (``ruche serve`` and its Streamlit) and the browser
(Chromium's processes) are steadier: their sum is about what a change takes on an idle machine
(the server's run and the browser's drawing follow one another).

It also counts the bytes the server sent over the websocket for each change (the figures' JSON
for the most part) and the page's DOM elements and plotly charts once idle: where the time goes
when the goal is missed. Every page is served by a fresh server (``--shared-server`` keeps one),
so that its cold changes are cold whatever page came before.

The store should be loaded with the same configuration (``--config``): see bench_dashboard.py.

    python bench/bench_browser.py --db /path/to/store.duckdb [--pages overview,network]
        [--config dashboard/demo.toml] [--goal 0.5] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_dashboard import CHANGES, load_average, percentile  # noqa: E402
from tests.browser_support import browser_page, served  # noqa: E402

#: (path under the app's address, text that shows the page is drawn)
PAGES = {
    "overview": ("", "Participation rate"),
    "participation": ("participation", "Ranking"),
    "contributors": ("contributors", "Gini coefficient"),
    "network": ("network", "Modularity"),
    "communities": ("communities", "Every community"),
}
#: Sidebar labels of the selectboxes CHANGES names by key.
LABELS = {"by": "Group by", "period": "Period grain"}
#: How long the DOM must stay still after the run for the page to count as idle.
QUIET_MS = 500

#: Installed in every document before its scripts: stamps presses, the script state's changes, the
#: last DOM mutation and the frame painted after it, with the page's own clock.
PROBE = """
window.__bench = {clicks: [], states: [], last: performance.now(), painted: performance.now()};
document.addEventListener('pointerdown', () => window.__bench.clicks.push(performance.now()), true);
new MutationObserver(records => {
  const now = performance.now();
  window.__bench.last = now;
  // the frame that shows the change: its animation frame, then the task after its paint
  requestAnimationFrame(() => setTimeout(() => { window.__bench.painted = performance.now(); }));
  for (const r of records) {
    if (r.type === 'attributes' && r.attributeName === 'data-test-script-state')
      window.__bench.states.push([now, r.oldValue, r.target.getAttribute('data-test-script-state')]);
  }
}).observe(document, {subtree: true, childList: true, attributes: true, attributeOldValue: true, characterData: true});
"""

# A run is over once the state was seen running and is back to notRunning. The state is read when
# the observer is called, after the frontend may have set it twice: a run that started and ended
# in between shows as its old value. Should the frontend set it only once in the run (its updates
# batched, seen under load), the run is taken as over once the server has answered, the state is
# notRunning and the page has been still for QUIET_MS (its ``finished`` is then its ``idle``).
RUN_OVER = """([quiet, answered]) => {
  const s = window.__bench.states;
  const state = document.querySelector('[data-test-script-state]')?.getAttribute('data-test-script-state');
  if (state !== 'notRunning') return false;
  return s.some(x => x[1] === 'running' || x[2] === 'running')
    || (answered && performance.now() - window.__bench.last > quiet);
}"""


TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu() -> dict[str, float]:
    """CPU seconds so far of this process's descendants, summed as ``server`` (the dashboard's
    Python) and ``browser`` (Chromium); read from /proc."""
    parent, cpu, kind = {}, {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmd = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        pid = int(stat.parent.name)
        parent[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / TICKS
        kind[pid] = "browser" if b"chrom" in cmd else "server" if b"ruche" in cmd or b"streamlit" in cmd else None
    me, out = os.getpid(), {"server": 0.0, "browser": 0.0}
    for pid in cpu:
        p = pid
        while p in parent and p != me:
            p = parent[p]
        if p == me and kind[pid]:
            out[kind[pid]] += cpu[pid]
    return out


def wait_idle(page, timeout_ms: int, received: list[int] | None = None) -> None:
    """Wait for the run to be over (``received``: the bytes the server sent since the click,
    when there was one), then for the page to stay still."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(RUN_OVER, [QUIET_MS, received is None or received[0] > 0]):
        if time.monotonic() > deadline:
            raise TimeoutError("the run did not end")
        time.sleep(0.02)
    page.wait_for_function(f"() => performance.now() - window.__bench.last > {QUIET_MS}",
                           timeout=timeout_ms, polling=50)


def time_change(page, label: str, option: str, received: list[int], timeout_ms: int) -> dict:
    """Choose ``option`` in the sidebar selectbox ``label``; the change's times, bytes and elements."""
    page.locator("section[data-testid='stSidebar']").get_by_role("combobox", name=label, exact=True).click()
    choice = page.get_by_role("option", name=option, exact=True)
    choice.wait_for()
    page.evaluate("""() => { window.__bench.clicks = []; window.__bench.states = [];
                             document.querySelectorAll('.ruche-chart').forEach(c => { c.__bench = true; }); }""")
    received[0] = 0
    before = tree_cpu()
    choice.click()
    wait_idle(page, timeout_ms, received)
    after = tree_cpu()
    t0, finished, idle, elements, charts, waiting, mounted = page.evaluate("""() => {
      const b = window.__bench;
      const over = b.states.filter(x => x[2] === 'notRunning');
      return [b.clicks[0], over.length ? over[over.length - 1][0] : b.last, Math.max(b.last, b.painted),
              document.querySelectorAll('*').length, document.querySelectorAll('.js-plotly-plot').length,
              document.querySelectorAll('.ruche-chart[data-pending=waiting]').length,
              [...document.querySelectorAll('.ruche-chart')].filter(c => !c.__bench).length];
    }""")
    return {"finished": (finished - t0) / 1000, "idle": (idle - t0) / 1000, "bytes": received[0],
            "elements": elements, "charts": charts, "waiting": waiting, "mounted": mounted,
            "server_cpu": after["server"] - before["server"], "browser_cpu": after["browser"] - before["browser"]}


def bench_page(page, url: str, name: str, timeout_ms: int) -> dict:
    path, marker = PAGES[name]
    received = [0]

    def on_socket(ws) -> None:
        ws.on("framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload)))

    page.on("websocket", on_socket)
    began = time.perf_counter()
    page.goto(f"{url}/{path}")
    page.get_by_text(marker, exact=False).first.wait_for(timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    first = time.perf_counter() - began
    runs: dict[str, list[dict]] = {"cold": [], "warm": []}
    for phase in runs:
        for key, value in CHANGES:
            runs[phase].append(time_change(page, LABELS[key], value, received, timeout_ms))
        assert "Traceback" not in page.inner_text("body"), f"{name}: the page shows an error"
    page.remove_listener("websocket", on_socket)
    row = {"page": name, "first_load_s": round(first, 2)}
    for phase, changes in runs.items():
        for what in ("finished", "idle", "server_cpu", "browser_cpu"):
            values = [c[what] for c in changes]
            row[f"{phase}_{what}_p50"] = round(percentile(values, 0.5), 3)
            row[f"{phase}_{what}_p90"] = round(percentile(values, 0.9), 3)
        row[f"{phase}_kb_p50"] = round(percentile([c["bytes"] for c in changes], 0.5) / 1024, 1)
    row["elements"] = max(c["elements"] for c in runs["warm"])
    row["charts"] = max(c["charts"] for c in runs["warm"])
    row["waiting"] = max(c["waiting"] for c in runs["warm"])
    row["mounted"] = sum(c["mounted"] for changes in runs.values() for c in changes)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="store to serve")
    parser.add_argument("--config", default=str(ROOT / "dashboard" / "demo.toml"))
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated, among " + ",".join(PAGES))
    parser.add_argument("--goal", type=float, default=0.5, help="seconds, 90th percentile of idle (default 0.5)")
    parser.add_argument("--shared-server", action="store_true", help="one server for every page")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a page or a change may take")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args(argv)
    env = {"RUCHE_CONFIG": args.config}
    timeout_ms = int(args.timeout * 1000)
    print(f"store {args.db}; load average {load_average()}", flush=True)
    print(f"{'page':<15}{'first load':>11}{'cold fin p50/p90':>18}{'cold idle p50/p90':>19}"
          f"{'warm fin p50/p90':>18}{'warm idle p50/p90':>19}{'CPU server/browser cold':>25}{'warm':>12}"
          f"{'kB cold/warm':>14}{'elements':>10}{'charts':>8}{'waiting':>9}{'mounted':>9}")
    rows = []
    with contextlib.ExitStack() as stack:
        shared = stack.enter_context(served(Path(args.db), env, timeout=args.timeout)) if args.shared_server else None
        for name in args.pages.split(","):
            with contextlib.ExitStack() as own:
                url = shared or own.enter_context(served(Path(args.db), env, timeout=args.timeout))
                page = own.enter_context(browser_page())
                page.add_init_script(PROBE)
                page.set_default_timeout(timeout_ms)
                row = bench_page(page, url, name, timeout_ms)
            rows.append(row)
            print(f"{name:<15}{row['first_load_s']:>10.2f}s"
                  + "".join(f"{row[f'{p}_{w}_p50']:>10.3f}/{row[f'{p}_{w}_p90']:.3f}" for p in ("cold", "warm")
                            for w in ("finished", "idle")).replace("/", "s/")
                  + "".join(f"{row[f'{p}_server_cpu_p50']:>{19 if p == 'cold' else 7}.3f}/{row[f'{p}_browser_cpu_p50']:.3f}"
                            for p in ("cold", "warm"))
                  + f"{row['cold_kb_p50']:>8.0f}/{row['warm_kb_p50']:.0f}{row['elements']:>10}{row['charts']:>8}"
                  + f"{row['waiting']:>9}{row['mounted']:>9}",
                  flush=True)
    worst = max(max(r["cold_idle_p90"], r["warm_idle_p90"]) for r in rows)
    print(f"percentiles over {len(CHANGES)} filter changes per page and phase; idle = until the frame painted after "
          f"the DOM's last change (still {QUIET_MS} ms after); CPU: seconds per change, median; "
          f"load average {load_average()}")
    print(f"worst idle p90 {worst:.3f} s against the goal of {args.goal} s: {'ok' if worst <= args.goal else 'OVER'}")
    if args.json:
        args.json.write_text(json.dumps({"db": args.db, "load_average": os.getloadavg(), "goal_s": args.goal,
                                         "pages": rows}, indent=2) + "\n")
    return 0 if worst <= args.goal else 1


if __name__ == "__main__":
    sys.exit(main())

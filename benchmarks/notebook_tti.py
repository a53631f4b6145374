#!/usr/bin/env python
"""Time to interactive and kernel memory of the cpmkit notebooks, served by a real Voila server.

One run starts one Voila server (``cpmkit.serving.server.running_voila``, as ``cpmkit serve`` runs it) on a free port,
serving a temporary folder that holds a copy of ``notebooks/*.ipynb`` and
``benchmarks/empty.ipynb``, so the empty baseline is served by the same server with the same
settings. The store is a fresh SQLite file, seeded with one project, 8 stakeholders and 2
success measures, so workbook 1 draws real charts.

Each page load uses a fresh browser context in one headless Chromium (Playwright, the system
``/usr/bin/chromium``; no browser is ever downloaded). Requests to anything other than
127.0.0.1/localhost/data:/blob: are aborted and counted.

Time to interactive (TTI) runs from the start of ``page.goto`` until:

* ``empty.ipynb``: the text "ready" is visible;
* a cpmkit notebook: ``.cpmkit-ready`` is visible and every ``.cpmkit-chart`` element on the
  page has ``data-drawn="true"``.

ipywidgets only renders a Tab's panel when the tab is opened, and workbook 1's three charts
sit on tabs other than the first, so none is on the page at TTI. The script therefore also
times, right after TTI, opening each chart tab in turn until all three charts are drawn (the
"charts" column), and the first chart's click-to-drawn time (it loads the Vega bundle).

After a page is interactive its kernel (the ipykernel child of the Voila server whose
connection file names the page's ``kernelId``; else the newest kernel started for the page)
has its RSS/USS read; then the page is closed with its ``beforeunload`` handler, which sends
Voila's kernel-shutdown beacon, and the script waits for the kernel process to exit. If the
beacon fails (a plain Voila refuses it for want of an ``_xsrf`` cookie, voila#1458; cpmkit's
gate accepts it from the page's own browser) the script makes the same shutdown request itself
from the same browser, and reports how often it had to, so kernels never accumulate.

Notebooks alternate in rounds after one untimed warm-up round; the table shows medians and
the ratio median(notebook) / median(empty). Exit status is 0 whatever PASS/FAIL says (this is
a measurement); non-zero only if the measurement itself broke.

    .venv/bin/python benchmarks/notebook_tti.py [--rounds 5] [--preheat] [--breakdown]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from cpmkit.serving.server import VoilaServer, running_voila

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO))  # run from a checkout without installing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TARGET_RATIO = 1.5
TARGET_RSS_MB = 150.0
LOAD_TIMEOUT_S = 90.0
KERNEL_EXIT_TIMEOUT_S = 15.0
BEACON_WAIT_S = 5.0
#: Pre-heated kernels per notebook with --preheat.
PREHEAT_POOL = 1
#: The benchmark's owner account: the workbooks open only for someone signed in.
BENCH_PASSWORD = "benchmark only, never a real one"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
MB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# What is measured
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One notebook page to load and how to tell that it is interactive."""

    label: str
    file: str  # notebook file name in the served folder
    query: str = ""  # e.g. "project=1"
    ready: str = "text"  # "text": the text "ready" visible; "cpmkit": .cpmkit-ready visible
    charts: int = 0  # .cpmkit-chart elements that must all be drawn
    chart_tabs: tuple[str, ...] = ()  # the tabs holding those charts, opened in turn after TTI

    def path(self) -> str:
        return f"/voila/render/{urllib.parse.quote(self.file)}" + (f"?{self.query}" if self.query else "")


@dataclass
class Load:
    """One timed page load."""

    tti_s: float
    ready_visible_s: float  # .cpmkit-ready (or "ready") visible; charts may still be drawing
    charts_at_tti: int  # chart elements on the page when it became interactive
    charts_s: float | None  # every chart drawn, after opening each tab in turn right after TTI
    first_chart_s: float | None  # click on the first chart tab -> its chart drawn
    kernel_spawn_s: float | None  # kernel process start, from goto start (None if pre-heated earlier)
    response_start_s: float | None  # first byte of the page
    response_end_s: float | None  # last byte: every cell executed and streamed
    dom_content_loaded_s: float | None
    rss_mb: float | None
    charts_rss_mb: float | None  # the same kernel once every chart is drawn (charts may import Altair)
    uss_mb: float | None
    requests: int
    blocked: int
    kernel_exit_s: float | None  # page close -> kernel process gone
    kernels_at_tti: int  # ipykernel processes under the server while this page was open
    beacon_status: int | None  # Voila's answer to the page's shutdown beacon (None: not seen)
    shutdown_fallback: bool  # the beacon did not stop the kernel; we POSTed the shutdown ourselves
    console_errors: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Set-up: notebooks, store, server
# ---------------------------------------------------------------------------------------------


def _notebook(source: str) -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "bench",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


#: Extra notebooks for --breakdown: each adds one layer of what a workbook does before it is usable.
#: cpmkit.ui defers jsonschema's eager rfc3987_syntax import (see cpmkit/core/deferred_imports.py), so the
#: "deferred" variant is what a workbook kernel really pays for the same libraries.
_DEFER = "from cpmkit.core.deferred_imports import defer_rfc3987_syntax\ndefer_rfc3987_syntax()\n"
BREAKDOWN_NOTEBOOKS = {
    "imports_3rdparty.ipynb": "import pandas, altair, sqlalchemy, ipywidgets, anywidget\nprint('ready')",
    "imports_3rdparty_deferred.ipynb": _DEFER
    + "import pandas, altair, sqlalchemy, ipywidgets, anywidget\nprint('ready')",
    "imports_cpmkit.ipynb": "import cpmkit.projects.ui, cpmkit.stakeholders.ui, cpmkit.core.charts\nprint('ready')",
}
#: Same imports, timed in a bare ``python -c`` (no kernel, no browser): median of 3 cold starts.
BREAKDOWN_IMPORTS = {
    "python -c pass": "pass",
    "import ipykernel.kernelapp": "import ipykernel.kernelapp",
    "+ pandas altair sqlalchemy ipywidgets anywidget": (
        "import ipykernel.kernelapp, pandas, altair, sqlalchemy, ipywidgets, anywidget"
    ),
    "+ the same, rfc3987_syntax deferred as cpmkit does": (
        "import ipykernel.kernelapp\n" + _DEFER + "import pandas, altair, sqlalchemy, ipywidgets, anywidget"
    ),
    "+ cpmkit.projects.ui, cpmkit.stakeholders.ui, cpmkit.core.charts": (
        "import ipykernel.kernelapp, cpmkit.projects.ui, cpmkit.stakeholders.ui, cpmkit.core.charts"
    ),
}


def prepare_notebooks(folder: Path, *, breakdown: bool) -> None:
    sources = sorted((REPO / "notebooks").glob("*.ipynb"))
    if not sources:
        raise RuntimeError(f"no notebooks in {REPO / 'notebooks'}")
    for nb in [*sources, BENCH_DIR / "empty.ipynb"]:
        shutil.copy2(nb, folder / nb.name)
    if breakdown:
        for name, source in BREAKDOWN_NOTEBOOKS.items():
            (folder / name).write_text(json.dumps(_notebook(source), indent=1), encoding="utf-8")


def seed_store(url: str) -> int:
    """One project with 8 rated stakeholders and 2 success measures; returns the project id."""
    from cpmkit.db.database import Store
    from cpmkit.stakeholders.store import StakeholderStore

    store = Store.open(url)
    register = StakeholderStore(store)
    try:
        project = store.create_project("Benchmark: CRM roll-out")
        people = [
            # name, role, category, power, interest, now, needed, channel, cadence
            ("Ana Ruiz", "Sponsor", "sponsor", 5, 4, "supportive", "leading", "meeting", "fortnightly"),
            ("Ben Okafor", "Head of sales", "customer", 4, 5, "neutral", "supportive", "call", "weekly"),
            ("Chen Li", "Sales rep", "user", 2, 5, "resistant", "supportive", "chat", "weekly"),
            ("Dana Weiss", "IT security", "team", 4, 2, "unaware", "neutral", "email", "monthly"),
            ("Eli Haddad", "Finance", "sponsor", 5, 2, "neutral", "supportive", "report", "monthly"),
            ("Fay Morgan", "Vendor PM", "supplier", 2, 3, "supportive", "supportive", "email", "per milestone"),
            ("Gus Novak", "Support lead", "user", 3, 4, "resistant", "neutral", "call", "fortnightly"),
            ("Hana Sato", "Legal", "other", 3, 1, "unaware", "neutral", "email", "monthly"),
        ]
        ids = []
        for i, (name, role, category, power, interest, now, needed, channel, cadence) in enumerate(people):
            ids.append(
                register.add_stakeholder(
                    project,
                    name,
                    role=role,
                    organisation="Acme",
                    category=category,
                    power=power,
                    interest=interest,
                    current_engagement=now,
                    desired_engagement=needed,
                    channel=channel,
                    cadence=cadence,
                    expected_value=f"{role} sees measurable value from the new CRM.",
                    owner="PM",
                    last_contact=f"2024-0{1 + i % 9}-15",
                )
            )
        for sid, metric, unit, baseline, target, latest in [
            (ids[0], "Customer satisfaction (CSAT)", "%", 62, 80, 71),
            (ids[1], "Quote turnaround", "days", 5, 2, 3.5),
        ]:
            mid = register.add_measure(sid, metric)
            for name, value in [
                ("unit", unit),
                ("baseline", baseline),
                ("target", target),
                ("latest", latest),
                ("measured_on", "2024-06-01"),
            ]:
                register.update_measure(mid, name, value)
        store.set_setting("last_project", str(project))
        return project
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------------


def find_kernel(voila: VoilaServer, kernel_id: str | None, started_after: float) -> psutil.Process | None:
    """The page's kernel: by the kernel id in its connection file name, else the newest one
    started for this page."""
    kernels = voila.kernels()
    if kernel_id:
        for proc in kernels:
            try:
                if any(f"kernel-{kernel_id}.json" in part for part in proc.cmdline()):
                    return proc
            except psutil.Error:
                pass
    fresh = [p for p in kernels if _create_time(p) >= started_after - 2.0]  # create_time() is coarse
    return max(fresh, key=_create_time) if fresh else None


def _create_time(proc: psutil.Process) -> float:
    try:
        return proc.create_time()
    except psutil.Error:
        return 0.0


def started_since_boot(proc: psutil.Process) -> float | None:
    """When ``proc`` started, in CLOCK_BOOTTIME seconds (Linux). psutil's create_time() adds the
    boot time, which /proc gives in whole seconds, so it can be off by up to a second."""
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def boottime() -> float | None:
    try:
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    except (AttributeError, OSError):
        return None


def settle(server: psutil.Process, *, idle_cpu: float = 0.10, window: float = 0.25, timeout: float = 30.0) -> None:
    """Wait until the server and its kernels are (nearly) idle, so no load is timed while a
    previous kernel is still shutting down or a pre-heated kernel is still executing."""

    def cpu() -> float:
        total = 0.0
        for proc in [server, *server.children(recursive=True)]:
            try:
                t = proc.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    deadline = time.monotonic() + timeout
    before = cpu()
    while time.monotonic() < deadline:
        time.sleep(window)
        after = cpu()
        if (after - before) / window < idle_cpu:
            return
        before = after


# ---------------------------------------------------------------------------------------------
# One page load
# ---------------------------------------------------------------------------------------------

_NAV_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const cfg = document.getElementById('jupyter-config-data');
  let kernelId = null;
  try { kernelId = cfg ? JSON.parse(cfg.textContent).kernelId : null; } catch (e) {}
  return {
    origin: performance.timeOrigin,
    responseStart: nav ? nav.responseStart : null,
    responseEnd: nav ? nav.responseEnd : null,
    domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
    kernelId,
  };
}"""

_CHARTS_PRESENT_JS = "() => document.querySelectorAll('.cpmkit-chart, .cpmkit-chart-widget').length"

_CHARTS_N_DRAWN_JS = """(n) => Array.from(document.querySelectorAll('.cpmkit-chart'))
  .filter((el) => el.dataset.drawn === 'true').length >= n"""

_CHARTS_DRAWN_JS = """(n) => {
  const charts = document.querySelectorAll('.cpmkit-chart, .cpmkit-chart-widget');
  return charts.length >= n && Array.from(charts).every((el) => el.dataset.drawn === 'true');
}"""


class Outside:
    """Counts (and aborts) requests that leave this machine."""

    def __init__(self) -> None:
        self.total = 0
        self.blocked = 0
        self.blocked_urls: list[str] = []

    def handle(self, route: Any) -> None:
        url = route.request.url
        self.total += 1
        scheme = url.split(":", 1)[0].lower()
        if scheme in ("data", "blob"):
            route.continue_()
            return
        host = urllib.parse.urlsplit(url).hostname or ""
        if scheme in ("http", "https", "ws", "wss") and host in LOCAL_HOSTS:
            route.continue_()
            return
        self.blocked += 1
        self.blocked_urls.append(url)
        route.abort()


def beacon_refused(log: Path, kernel_id: str) -> int | None:
    """The HTTP status Voila logged for a refused shutdown of ``kernel_id`` (it logs 4xx/5xx
    answers; a successful 204 is only logged at debug level), or None."""
    needle = f"POST /voila/api/shutdown/{kernel_id}"
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if needle in line and line[:3].isdigit():
            return int(line[:3])
    return None


def load_once(browser: Any, voila: VoilaServer, target: Target, cookies: dict[str, str]) -> Load:
    """One page load in a fresh browser context, signed in with ``cookies`` (outside the timing)."""
    base, log = voila.base_url, voila.log_file
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([{"name": k, "value": v, "url": base} for k, v in cookies.items()])
    outside = Outside()
    context.route("**/*", outside.handle)
    errors: list[str] = []
    ws_outside: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda msg: errors.append(msg.text[:200]) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {str(exc)[:200]}"))
        page.on(
            "websocket",
            lambda ws: (
                ws_outside.append(ws.url) if (urllib.parse.urlsplit(ws.url).hostname or "") not in LOCAL_HOSTS else None
            ),
        )
        timeout_ms = LOAD_TIMEOUT_S * 1000

        t0_boot = boottime()
        t0_wall = time.time()
        t0 = time.perf_counter()
        page.goto(base + target.path(), wait_until="commit", timeout=timeout_ms)
        if target.ready == "text":
            page.get_by_text("ready", exact=True).first.wait_for(state="visible", timeout=timeout_ms)
        else:
            page.locator(".cpmkit-ready").first.wait_for(state="visible", timeout=timeout_ms)
        ready_visible = time.perf_counter() - t0
        # Every chart on the page must be drawn. ipywidgets renders a Tab's panels lazily, so this
        # covers the charts in the open tab (none, for workbook 1: its charts are on other tabs).
        charts_at_tti = page.evaluate(_CHARTS_PRESENT_JS)
        if charts_at_tti:
            page.wait_for_function(_CHARTS_DRAWN_JS, arg=charts_at_tti, timeout=timeout_ms)
        tti = time.perf_counter() - t0

        nav = page.evaluate(_NAV_JS)
        kernel = find_kernel(voila, nav.get("kernelId"), t0_wall)
        rss = uss = spawn = None
        if kernel is not None:
            try:
                info = kernel.memory_full_info()
                rss, uss = info.rss / MB, getattr(info, "uss", 0) / MB or None
            except psutil.AccessDenied:
                rss = kernel.memory_info().rss / MB
            except psutil.NoSuchProcess:
                kernel = None
            started = started_since_boot(kernel) if kernel is not None else None
            if started is not None and t0_boot is not None:
                spawn = started - t0_boot
                spawn = spawn if spawn > -0.1 else None  # pre-heated: started long before the request
        kernels_at_tti = len(voila.kernels())

        # Then every chart: open each chart's tab in turn, as a user would, waiting for its chart
        # to be drawn before the next click (ipywidgets drops a tab's pending render if the tab is
        # left at once, so clicking straight through would leave charts undrawn).
        charts_s = first_chart_s = charts_rss = None
        if target.charts:
            for n, label in enumerate(target.chart_tabs, start=1):
                t_click = time.perf_counter()
                tab = page.locator(".lm-TabBar-tab", has_text=label).first
                if not tab.count():
                    raise RuntimeError(f"{target.file} has no tab called {label!r}: update Target.chart_tabs")
                tab.click(timeout=timeout_ms)
                page.wait_for_function(_CHARTS_N_DRAWN_JS, arg=n, timeout=timeout_ms)
                if n == 1:
                    first_chart_s = time.perf_counter() - t_click
            page.wait_for_function(_CHARTS_DRAWN_JS, arg=target.charts, timeout=timeout_ms)
            charts_s = time.perf_counter() - t0
            if kernel is not None and kernel.is_running():
                charts_rss = kernel.memory_info().rss / MB

        def rel(ms: float | None) -> float | None:
            if ms is None or not nav.get("origin") or ms <= 0:
                return None
            return (nav["origin"] + ms) / 1000.0 - t0_wall

        # Close with beforeunload: Voila's page sends a shutdown beacon for its kernel.
        t_close = time.perf_counter()
        page.close(run_before_unload=True)
        exit_s, fallback, beacon = None, False, None
        kernel_id = nav.get("kernelId") or ""
        if kernel is not None:
            deadline = time.monotonic() + BEACON_WAIT_S
            while kernel.is_running() and time.monotonic() < deadline:
                context.cookies()  # any Playwright call lets the route handler pass the beacon on
                beacon = beacon_refused(log, kernel_id) if kernel_id else None
                if beacon is not None:
                    break
                time.sleep(0.05)
            if not kernel.is_running() and beacon is None:
                beacon = 204  # the beacon worked: the kernel is gone and Voila logged no refusal
            if kernel.is_running() and kernel_id:
                # The beacon failed (or never came): shut the kernel down the way the beacon would,
                # from the same browser (the gate accepts the shutdown from the page's own browser).
                fallback = True
                response = context.request.post(f"{base}/voila/api/shutdown/{nav['kernelId']}")
                if not response.ok:
                    raise RuntimeError(
                        f"explicit kernel shutdown failed: HTTP {response.status} {response.text()[:200]}"
                    )
            gone, _ = psutil.wait_procs([kernel], timeout=KERNEL_EXIT_TIMEOUT_S)
            if gone:
                exit_s = time.perf_counter() - t_close
        return Load(
            tti_s=tti,
            ready_visible_s=ready_visible,
            charts_at_tti=int(charts_at_tti),
            charts_s=charts_s,
            first_chart_s=first_chart_s,
            kernel_spawn_s=spawn,
            response_start_s=rel(nav.get("responseStart")),
            response_end_s=rel(nav.get("responseEnd")),
            dom_content_loaded_s=rel(nav.get("domContentLoaded")),
            rss_mb=rss,
            uss_mb=uss,
            charts_rss_mb=charts_rss,
            requests=outside.total,
            blocked=outside.blocked + len(ws_outside),
            kernel_exit_s=exit_s,
            beacon_status=beacon,
            kernels_at_tti=kernels_at_tti,
            shutdown_fallback=fallback,
            console_errors=errors,
        )
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def med(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def import_timings() -> dict[str, float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    result = {}
    for label, code in BREAKDOWN_IMPORTS.items():
        times = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
            times.append(time.perf_counter() - t)
        result[label] = statistics.median(times)
    return result


def report(
    targets: list[Target],
    loads: dict[str, list[Load]],
    *,
    preheat: bool,
    rounds: int,
    kernels_before: int,
    kernels_after: int,
    max_kernels: int,
    imports: dict[str, float] | None,
) -> None:
    base = med([x.tti_s for x in loads["empty"]])
    print()
    print(
        f"Time to interactive, headless Chromium, one Voila server ({'pre-heated kernels' if preheat else 'no pre-heat'}); "
        f"median of {rounds} round(s) after 1 warm-up round"
    )
    header = (
        f"{'notebook':<40} {'TTI s':>7} {'ratio':>6} {'<=1.5':>7} {'RSS MB':>7} {'USS MB':>7} "
        f"{'<=150MB':>8} {'RSS after charts':>17}"
    )
    print(header)
    print("-" * len(header))
    for target in targets:
        rows = loads[target.label]
        tti = med([x.tti_s for x in rows])
        rss = med([x.rss_mb for x in rows])
        uss = med([x.uss_mb for x in rows])
        ratio = tti / base if tti is not None and base else None
        if target.label == "empty":
            ratio_ok = "baseline"
        else:
            ratio_ok = "n/a" if ratio is None else ("PASS" if ratio <= TARGET_RATIO else "FAIL")
        rss_ok = "n/a" if rss is None else ("PASS" if rss <= TARGET_RSS_MB else "FAIL")
        after = med([x.charts_rss_mb for x in rows])
        after_text = "" if after is None else f"{after:.0f} " + ("PASS" if after <= TARGET_RSS_MB else "FAIL")
        print(
            f"{target.label:<40} {fmt(tti):>7} {fmt(ratio):>6} {ratio_ok:>7} {fmt(rss, '.0f'):>7} "
            f"{fmt(uss, '.0f'):>7} {rss_ok:>8} {after_text:>17}"
        )
    print("  RSS/USS: the page's kernel as soon as the page is interactive; RSS after charts: the same kernel")
    print("  once every chart tab has been opened and drawn (against the same 150 MB target).")
    blocked = sum(x.blocked for rows in loads.values() for x in rows)
    print()
    print(f"Requests to anything but 127.0.0.1/localhost/data:/blob: (aborted): {blocked}")

    print()
    print("Where the time goes (median seconds from page.goto start):")
    header = (
        f"{'notebook':<40} {'kernel':>7} {'1st byte':>8} {'last byte':>9} {'DOM ready':>9} "
        f"{'app shown':>9} {'charts':>7} {'1st chart':>9} {'requests':>8}"
    )
    print(header)
    print("-" * len(header))
    for target in targets:
        rows = loads[target.label]
        charts = med([x.charts_s for x in rows]) if target.charts else None
        print(
            f"{target.label:<40} {fmt(med([x.kernel_spawn_s for x in rows])):>7} "
            f"{fmt(med([x.response_start_s for x in rows])):>8} {fmt(med([x.response_end_s for x in rows])):>9} "
            f"{fmt(med([x.dom_content_loaded_s for x in rows])):>9} {fmt(med([x.ready_visible_s for x in rows])):>9} "
            f"{fmt(charts):>7} {fmt(med([x.first_chart_s for x in rows])):>9} "
            f"{fmt(med([float(x.requests) for x in rows]), '.0f'):>8}"
        )
    print("  kernel = kernel process started; last byte = every cell executed and streamed (the front end")
    print("  only boots after it); app shown = 'ready' / .cpmkit-ready visible (= TTI unless a chart is on")
    print("  the first screen); charts = all charts drawn, clicking through every tab right after TTI")
    print("  (ipywidgets draws a tab's content only when the tab is opened); 1st chart = click on the first")
    print("  chart tab -> its chart drawn (whatever the kernel does for it, plus the page loading the Vega bundle).")
    at_tti = sorted({x.charts_at_tti for rows in loads.values() for x in rows})
    print(f"  Charts on the page when it became interactive: {', '.join(map(str, at_tti))}.")

    print()
    print("All timed loads (TTI s):")
    for target in targets:
        print(f"  {target.label:<40} " + " ".join(f"{x.tti_s:.2f}" for x in loads[target.label]))
    exits = [x.kernel_exit_s for rows in loads.values() for x in rows]
    fallbacks = sum(x.shutdown_fallback for rows in loads.values() for x in rows)
    missing = sum(x.kernel_exit_s is None for rows in loads.values() for x in rows)
    print()
    counts: dict[str, int] = {}
    for x in (x for rows in loads.values() for x in rows):
        key = f"HTTP {x.beacon_status}" if x.beacon_status else f"no answer within {BEACON_WAIT_S:.0f} s"
        counts[key] = counts.get(key, 0) + 1
    statuses = [f"{key} x{n}" for key, n in sorted(counts.items())]
    total = sum(len(rows) for rows in loads.values())
    print(
        f"Kernels: {kernels_before} running before the timed rounds, {kernels_after} after, at most {max_kernels} "
        f"at once; page close -> kernel exit median {fmt(med(exits))} s; {missing} of {total} not seen to exit."
    )
    print(
        f"  Voila's shutdown beacon: {', '.join(statuses)}; {fallbacks} of {total} kernels were "
        f"shut down by this script's own POST instead."
    )
    if fallbacks:
        print("  (the beacon failed: cpmkit's gate accepts it from the page's own browser, so this is worth a look;")
        print("  without this script's POST every closed page would leave its kernel running until the cull.)")
    errors = {t.label: sorted({e for x in loads[t.label] for e in x.console_errors}) for t in targets}
    for label, msgs in errors.items():
        for msg in msgs[:3]:
            print(f"  console error in {label}: {msg}")
    if imports:
        print()
        print("Cold import time in a bare `python -c` (median of 3; no kernel, no browser):")
        for label, secs in imports.items():
            print(f"  {label:<64} {secs:.2f} s")


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5), after 1 warm-up round")
    parser.add_argument(
        "--preheat",
        action="store_true",
        help=f"serve with Voila's pre-heated kernels (cpmkit serve --preheat {PREHEAT_POOL})",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time notebooks that only import third-party / cpmkit modules, and bare imports",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    voila: VoilaServer | None = None
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    # The server is stopped (kernels included) before the folder it serves is removed.
    with tempfile.TemporaryDirectory(prefix="cpmkit-tti-") as tmp, contextlib.ExitStack() as stack:
        tmpdir = Path(tmp)
        served = tmpdir / "notebooks"
        served.mkdir()
        log = tmpdir / "voila.log"
        try:
            from playwright.sync_api import sync_playwright

            from cpmkit.cli import serve_env
            from cpmkit.core.content import notebook_file
            from cpmkit.serving.offline import chart_bundle

            chart_bundle()
            prepare_notebooks(served, breakdown=args.breakdown)
            db_url = f"sqlite:///{tmpdir / 'store.sqlite3'}"
            project = seed_store(db_url)

            index, workbook1, assessment, trainer = (
                notebook_file(page) for page in ("index", "stakeholder_value", "soft_skills", "workshop_trainer")
            )
            targets = [
                Target("empty", "empty.ipynb", ready="text"),
                Target(Path(index).stem, index, ready="cpmkit", charts=0),
                Target(
                    f"{Path(workbook1).stem}?project={project}",
                    workbook1,
                    query=f"project={project}",
                    ready="cpmkit",
                    charts=3,
                    chart_tabs=("Power / interest grid", "Engagement", "Value scorecard"),
                ),
                Target(Path(assessment).stem, assessment, ready="cpmkit", charts=0),
                Target(Path(trainer).stem, trainer, ready="cpmkit", charts=0),
            ]
            if args.breakdown:
                targets[1:1] = [Target(Path(name).stem, name, ready="text") for name in BREAKDOWN_NOTEBOOKS]
            expected = {t.file for t in targets}
            missing = expected - {p.name for p in served.iterdir()}
            if missing:
                raise RuntimeError(f"notebooks missing from {REPO / 'notebooks'}: {sorted(missing)}")

            env = serve_env({**os.environ, "CPMKIT_DB_URL": db_url, "CPMKIT_DATA_DIR": str(tmpdir)})
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
            voila = stack.enter_context(
                running_voila(served, env=env, log_file=log, preheat=PREHEAT_POOL if args.preheat else 0)
            )
            server = psutil.Process(voila.process.pid)
            voila.add_owner("bench", BENCH_PASSWORD)  # the workbooks are owners' pages: sign in once
            cookies = voila.session_cookies("bench", BENCH_PASSWORD)
            print(f"voila: up on {voila.base_url} after {time.perf_counter() - started:.1f} s", flush=True)

            def track() -> int:
                return len(voila.kernels())

            loads: dict[str, list[Load]] = {t.label: [] for t in targets}
            max_kernels = 0
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    for rnd in range(args.rounds + 1):
                        if rnd == 1:
                            kernels_before = track()
                        for target in targets:
                            settle(server)
                            max_kernels = max(max_kernels, track())
                            load = load_once(browser, voila, target, cookies)
                            max_kernels = max(max_kernels, track(), load.kernels_at_tti)
                            tag = "warm-up" if rnd == 0 else f"round {rnd}"
                            print(
                                f"{tag:>8}  {target.label:<40} TTI {load.tti_s:5.2f} s  kernel RSS "
                                f"{fmt(load.rss_mb, '.0f'):>4} MB  USS {fmt(load.uss_mb, '.0f'):>4} MB  "
                                f"requests {load.requests:3d}  outside {load.blocked}",
                                flush=True,
                            )
                            if rnd > 0:
                                loads[target.label].append(load)
                finally:
                    browser.close()
            settle(server)
            kernels_after = track()
            imports = import_timings() if args.breakdown else None
            report(
                targets,
                loads,
                preheat=args.preheat,
                rounds=args.rounds,
                kernels_before=kernels_before,
                kernels_after=kernels_after,
                max_kernels=max_kernels,
                imports=imports,
            )
            print(
                f"\nTotal run time {time.perf_counter() - started:.0f} s; machine: {os.cpu_count()} CPUs, load average "
                f"{load_before:.1f} at start, {os.getloadavg()[0]:.1f} at end (other work on the machine adds noise)"
            )
            return 0
        except Exception:  # noqa: BLE001 - report any failure, clean up, exit 1
            traceback.print_exc()
            if voila is not None:
                print(f"\nVoila log (tail):\n{voila.log_tail()}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Kernel memory of each participant page, served by a real ``cpmkit serve`` Voila.

One run starts one server (``cpmkit.serving.server.running_voila``) on a fresh SQLite store seeded
with a workshop, a participant who has answered every item and finished, a pulse round, a
stakeholder's survey link and a retrospective board. It opens, in turn, each participant page
over HTTP and its kernel's websocket as a browser does (``tests/_kernel_client``): the page is
rendered (its kernel has run the notebook), the widgets' states are fetched (the kernel answers
the page's front end), then the kernel's RSS and USS are read and the page is closed with its
shutdown beacon. ``benchmarks/empty.ipynb`` (one ``print``), served by the same server, is the
baseline: figures are printed in MB and as ratios to it. It also says which of the heavy libraries
each kernel has loaded (their shared objects in its memory map).

Pages measured: ``02_soft_skills?code=`` (a participant arriving), ``02_soft_skills?token=`` (a
participant's results: scores, chart, plan), ``04_pulse_survey``, ``03_stakeholder_survey`` and
``04_retro_board``. A server's per-kernel budget (``cpmkit.core.capacity.KERNEL_BUDGET_BYTES``)
should cover the largest USS here plus the server's own growth per page (printed too).

    .venv/bin/python benchmarks/page_memory.py [--rounds 3]

Exit status is 0 whatever the figures are; non-zero only if the measurement itself broke.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO))  # tests/_kernel_client, from a checkout

from cpmkit.cli import serve_env
from cpmkit.core.capacity import kernel_budget
from cpmkit.serving.server import VoilaServer, running_voila
from tests._kernel_client import KernelPage, KernelSocket, open_page

MB = 2**20
PASSWORD = "benchmark only, never a real one"
#: Libraries whose shared objects show in a kernel's memory map once imported.
LIBRARIES = {"pandas": "/pandas/", "numpy": "/numpy/", "sqlalchemy": "/sqlalchemy/", "altair (rpds)": "/rpds/"}


@dataclass
class Reading:
    rss_mb: float
    uss_mb: float
    libraries: frozenset[str]


@dataclass
class OpenPage:
    """A page as a browser holds it: rendered, its kernel's websocket open."""

    page: KernelPage
    socket: KernelSocket
    kernel: psutil.Process

    def read(self) -> Reading:
        info = self.kernel.memory_full_info()
        maps = " ".join(m.path for m in self.kernel.memory_maps())
        return Reading(info.rss / MB, info.uss / MB, frozenset(n for n, mark in LIBRARIES.items() if mark in maps))

    def close(self, server: VoilaServer) -> None:
        """Close the websocket and send the page's shutdown beacon; wait for the kernel to go."""
        self.socket.close()
        if not self.kernel.is_running():
            return
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.page.cookies))
        url = f"{server.base_url}/voila/api/shutdown/{self.page.kernel_id}"
        opener.open(urllib.request.Request(url, data=b"", method="POST"), timeout=30).close()
        psutil.wait_procs([self.kernel], timeout=20)


def open_one(server: VoilaServer, path: str, jar: http.cookiejar.CookieJar | None) -> OpenPage:
    """Open the page and let its front end fetch the widgets' states, as Voila's page does."""
    before = server.kernel_pids()  # a forked kernel shows the zygote's command line, not its id
    page = open_page(f"{server.base_url}/voila/render/{path}", cookies=jar or http.cookiejar.CookieJar())
    socket = KernelSocket(page)
    socket.widget_states()
    [kernel] = server.kernel_pids() - before
    return OpenPage(page, socket, psutil.Process(kernel))


def seed(url: str) -> dict[str, str]:
    """The links of every participant page, on a fresh store at ``url``."""
    from cpmkit.db.database import Store
    from cpmkit.feedback.pulse.store import PulseStore
    from cpmkit.feedback.retro.store import RetroStore
    from cpmkit.gap.store import GapStore
    from cpmkit.soft_skills.bank import default_bank
    from cpmkit.soft_skills.store import AssessmentStore
    from cpmkit.stakeholders.store import StakeholderStore

    store = Store.open(url)
    try:
        project = store.create_project("Benchmark: memory")
        assess = AssessmentStore(store)
        _workshop, code, _key = assess.create_workshop("Memory", bank="soft_skills", rounds=["before"])
        done = assess.join_workshop(code, round="before", display_name="Finished")
        for i, item in enumerate(default_bank().items):
            assess.save_answer(done["id"], item.id, 1 + i % 5)
        assess.mark_completed(done["id"])
        pulses = PulseStore(store)
        pulse = pulses.new_round_token(pulses.create_round(project, "Round 1", dt.date(2026, 5, 1)))
        survey = GapStore(store).new_survey_token(StakeholderStore(store).add_stakeholder(project, "Ana Ruiz"))
        board = RetroStore(store).create_board(project, "Sprint 9", "sailboat")["token"]
        return {
            "02_soft_skills?code (arriving)": f"02_soft_skills.ipynb?code={code}",
            "02_soft_skills?token (results)": f"02_soft_skills.ipynb?token={done['token']}",
            "04_pulse_survey": f"04_pulse_survey.ipynb?pulse={pulse}",
            "03_stakeholder_survey": f"03_stakeholder_survey.ipynb?survey={survey}",
            "04_retro_board": f"04_retro_board.ipynb?board={board}",
        }
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="pages of each kind opened (default 3); medians shown")
    parser.add_argument("--together", type=int, default=10, help="results pages held open at once (default 10)")
    parser.add_argument(
        "--no-fork-kernels", action="store_true", help="kernels started as new Pythons (cpmkit serve --no-fork-kernels)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cpmkit-memory-") as tmp:
        base = Path(tmp)
        served = base / "notebooks"
        served.mkdir()
        for notebook in [*(REPO / "notebooks").glob("*.ipynb"), BENCH_DIR / "empty.ipynb"]:
            shutil.copy2(notebook, served / notebook.name)
        env = serve_env({**os.environ, "CPMKIT_DB_URL": f"sqlite:///{base / 'store.sqlite3'}", "CPMKIT_DATA_DIR": tmp})
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        pages = seed(env["CPMKIT_DB_URL"])
        forked = not args.no_fork_kernels
        with running_voila(served, env=env, log_file=base / "voila.log", fork_kernels=forked) as server:
            if forked:
                server.wait_for_zygote()  # until it listens, kernels start the usual way
            server.add_owner("bench", PASSWORD)
            owner = server.session_jar("bench", PASSWORD)
            targets = {"empty (baseline)": ("empty.ipynb", owner), **{k: (v, None) for k, v in pages.items()}}
            open_one(server, "empty.ipynb", owner).close(server)  # warm-up: the server's first-page costs
            readings: dict[str, list[Reading]] = {label: [] for label in targets}
            for _round in range(args.rounds):
                for label, (path, jar) in targets.items():
                    opened = open_one(server, path, jar)
                    readings[label].append(opened.read())
                    opened.close(server)
            # A room at its largest: everyone on the results page at once.
            voila = psutil.Process(server.process.pid)
            server_before = voila.memory_full_info().uss / MB
            results = pages["02_soft_skills?token (results)"]
            # Each kernel is read as its page opens: a socket this script holds without reading would
            # miss the server's pings and be closed after 90 s on a slow machine, taking its kernel.
            room, room_uss = [], []
            for _ in range(args.together):
                room.append(open_one(server, results, None))
                room_uss.append(room[-1].read().uss_mb)
            kernels_uss = statistics.mean(room_uss)
            server_share = (voila.memory_full_info().uss / MB - server_before) / args.together
            for page in room:
                page.close(server)
    baseline = statistics.median(r.uss_mb for r in readings["empty (baseline)"])
    print(f"{'page':<34} {'RSS MB':>7} {'USS MB':>7} {'USS / empty':>12}  libraries loaded")
    for label, rows in readings.items():
        rss = statistics.median(r.rss_mb for r in rows)
        uss = statistics.median(r.uss_mb for r in rows)
        loaded = ", ".join(sorted(set().union(*(r.libraries for r in rows)))) or "-"
        print(f"{label:<34} {rss:7.0f} {uss:7.0f} {uss / baseline:12.2f}  {loaded}")
    per_page = kernels_uss + server_share
    print(
        f"{args.together} results pages open at once: kernel USS {kernels_uss:.0f} MB + the server's growth "
        f"{server_share:+.1f} MB = {per_page:.0f} MB a page ({per_page / baseline:.2f} x the empty kernel's USS); "
        f"cpmkit.core.capacity budgets {kernel_budget(forked) / MB:.0f} MB"
    )
    print(f"({args.rounds} rounds; {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

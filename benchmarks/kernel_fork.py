#!/usr/bin/env python
"""What a participant's kernel costs, started the usual way and forked from the zygote
(``cpmkit serve``'s default): memory (RSS, PSS, USS) and CPU-seconds per page.

One run starts two real servers one after the other (``cpmkit.serving.server.running_voila``,
as ``cpmkit serve`` runs it), the second with ``fork_kernels``, on one fresh SQLite store holding
a one-round workshop. Against each, N participants (default 10) open the join link one after
the other over the Jupyter widget protocol (``tests/_kernel_client.py``, no browser) and join;
their pages stay open, so the forked kernels share what they share in a real room. Then every
kernel's memory is read, and the zygote's.

CPU-seconds per start are the kernel process's own (user + system) when its page has been
served (the notebook run), plus the server's CPU per page; a forked kernel's count starts at
the fork. USS is the memory only that kernel holds (what each more participant costs); PSS
shares the zygote's pages out among its children.

Figures are printed for both ways and as ratios forked / usual (the baseline measured in the
same run); the target of issue 13 is at most 40 MB per participant beyond the server itself.
Exit status 0 whatever PASS/FAIL says; non-zero only if the measurement broke.

    .venv/bin/python benchmarks/kernel_fork.py [--participants 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from cpmkit.cli import serve_env
from cpmkit.db.database import Store
from cpmkit.serving.offline import chart_bundle
from cpmkit.serving.server import VoilaServer, running_voila
from cpmkit.soft_skills.store import AssessmentStore
from tests._repository import REPO_NOTEBOOKS

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests/_kernel_client.py, from a checkout

MB = 1024 * 1024
TARGET_USS_MB = 40.0
ZYGOTE_READY_S = 120.0
PARTICIPANT = "02_soft_skills.ipynb"
CLICK = {"method": "custom", "content": {"event": "click"}}


@dataclass
class Kernel:
    """One participant's kernel: its process, its CPU when its page was served, the page's time."""

    process: psutil.Process
    cpu_s: float
    page_s: float


@dataclass
class Result:
    label: str
    kernels: list[Kernel]
    rss: list[float]
    pss: list[float]
    uss: list[float]
    server_cpu_per_page_s: float
    zygote_rss: float | None = None
    zygote_uss: float | None = None

    @property
    def cpu(self) -> list[float]:
        return [k.cpu_s for k in self.kernels]

    @property
    def page(self) -> list[float]:
        return [k.page_s for k in self.kernels]


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _wait_for_zygote(server: VoilaServer) -> psutil.Process:
    deadline = time.monotonic() + ZYGOTE_READY_S
    while time.monotonic() < deadline:
        zygote = server.zygote()
        if zygote is not None and Path(zygote.cmdline()[-1]).exists():
            return zygote
        time.sleep(0.2)
    raise RuntimeError(f"the zygote never listened:\n{server.log_tail()}")


def join(server: VoilaServer, code: str) -> Kernel:
    """One participant opens the join link and joins; their kernel, once the join is drawn."""
    from tests._kernel_client import KernelSocket, open_page

    before = server.kernel_pids()
    started = time.perf_counter()
    page = open_page(server.url(PARTICIPANT, code=code))
    page_s = time.perf_counter() - started
    [pid] = server.kernel_pids() - before
    process = psutil.Process(pid)
    cpu_s = _cpu(process)
    with KernelSocket(page) as kernel:
        states = kernel.widget_states()
        button = next(
            comm
            for comm, state in states.items()
            if state.get("_model_name") == "ButtonModel" and state.get("description") == "Join the workshop"
        )
        kernel.comm_msg(button, CLICK)
    return Kernel(process, cpu_s, page_s)


def measure(label: str, participants: int, env: dict[str, str], folder: Path, code: str, *, fork: bool) -> Result:
    with running_voila(
        REPO_NOTEBOOKS, env=env, log_file=folder / f"voila-{label}.log", cull_after=3600, fork_kernels=fork
    ) as server:
        zygote = _wait_for_zygote(server) if fork else None
        server_process = psutil.Process(server.process.pid)
        server_cpu = _cpu(server_process)
        kernels = [join(server, code) for _ in range(participants)]
        server_cpu_per_page = (_cpu(server_process) - server_cpu) / participants
        time.sleep(1.0)  # let the last joins settle
        infos = [k.process.memory_full_info() for k in kernels]
        result = Result(
            label,
            kernels,
            rss=[i.rss / MB for i in infos],
            pss=[i.pss / MB for i in infos],
            uss=[i.uss / MB for i in infos],
            server_cpu_per_page_s=server_cpu_per_page,
        )
        if zygote is not None:
            info = zygote.memory_full_info()
            result.zygote_rss, result.zygote_uss = info.rss / MB, info.uss / MB
        for line in (folder / f"voila-{label}.log").read_text(errors="replace").splitlines():
            if "started without the zygote" in line:
                print(f"  note ({label}): {line.strip()}")
        return result


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(usual: Result, forked: Result, participants: int) -> None:
    rows = [
        ("kernel RSS, MB", usual.rss, forked.rss),
        ("kernel PSS, MB", usual.pss, forked.pss),
        ("kernel USS, MB", usual.uss, forked.uss),
        ("kernel CPU-s at page served", usual.cpu, forked.cpu),
        ("page served (GET), s", usual.page, forked.page),
    ]
    print(f"\n{participants} participants each way, pages kept open; medians (max)")
    print(f"{'':32} {'usual':>16} {'forked':>16} {'forked/usual':>13}")
    for name, a, b in rows:
        print(
            f"{name:32} {_median(a):9.2f} ({max(a):5.1f}) {_median(b):9.2f} ({max(b):5.1f}) "
            f"{_median(b) / _median(a):13.2f}"
        )
    print(
        f"{'server CPU-s per page':32} {usual.server_cpu_per_page_s:16.2f} {forked.server_cpu_per_page_s:16.2f} "
        f"{forked.server_cpu_per_page_s / usual.server_cpu_per_page_s:13.2f}"
    )
    if forked.zygote_rss is not None and forked.zygote_uss is not None:
        print(f"zygote (once per server): RSS {forked.zygote_rss:.1f} MB, USS {forked.zygote_uss:.1f} MB")
        for room in (40, 200):
            usual_gb = room * _median(usual.uss) / 1024
            forked_gb = (forked.zygote_uss + room * _median(forked.uss)) / 1024
            print(f"kernels of a room of {room}: usual {usual_gb:.1f} GB, forked {forked_gb:.1f} GB (zygote included)")
    uss = _median(forked.uss)
    verdict = "PASS" if uss <= TARGET_USS_MB else "FAIL"
    print(f"\nforked kernel USS {uss:.1f} MB, target <= {TARGET_USS_MB:.0f} MB per participant: {verdict}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10, help="pages opened each way (default 10)")
    args = parser.parse_args()
    chart_bundle()
    with tempfile.TemporaryDirectory(prefix="cpmkit-fork-bench-") as tmp:
        folder = Path(tmp)
        env = serve_env(
            {**os.environ, "CPMKIT_DB_URL": f"sqlite:///{folder / 'store.sqlite3'}", "CPMKIT_DATA_DIR": str(folder)}
        )
        store = Store.open(env["CPMKIT_DB_URL"])
        try:
            _id, code, _key = AssessmentStore(store).create_workshop("Benchmark", bank="soft_skills", rounds=["one"])
        finally:
            store.close()
        started = time.monotonic()
        usual = measure("usual", args.participants, env, folder, code, fork=False)
        forked = measure("forked", args.participants, env, folder, code, fork=True)
        report(usual, forked, args.participants)
        print(f"run time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

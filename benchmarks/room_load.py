#!/usr/bin/env python
"""A room of participants on one real ``cpmkit serve``: the pages driven over the Jupyter widget
protocol, as their browsers would drive them, with no browser per participant.

Scenarios (each on a server of its own, started as ``cpmkit serve`` starts it with
``cpmkit.serving.server.running_voila``, on a fresh SQLite store or the one at ``--store-url``):

* ``workshop``: a trainer's workshop is created through the store; N participants arrive
  over S seconds, each opening ``02_soft_skills.ipynb?code=<join code>``, joining with a name,
  answering all the items (optional think time between answers), pressing Next through the
  competencies and on to the results. Answers are read back from the store against what was sent.
* ``pulse``: N respondents open a pulse round's anonymous link (``04_pulse_survey.ipynb?pulse=``)
  and answer every question; read back likewise.
* ``retro``: a board of M members (one of them the facilitator, with the facilitator's link)
  join, add cards, vote; the facilitator moves the phases. Every member's page is read all
  along, so the time until a new card (or a phase) shows on every other member's board is
  measured.

While the workshop room fills, a few headless Chromium pages (``/usr/bin/chromium``, never
downloaded) open the participant page and time it to interactive. Before each load, one page
opened alone gives the baseline the room's figures are divided by.

Exit status 0 whatever PASS/FAIL says; non-zero only if the measurement itself broke.

    .venv/bin/python benchmarks/room_load.py [--participants 40] [--arrival 30] [--think 0]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.cookiejar
import json
import math
import os
import random
import re
import resource
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import psutil

from cpmkit.accounts.store import AccountStore
from cpmkit.cli import DEFAULT_CULL_SECONDS, serve_command, serve_env, voila_command
from cpmkit.core.content import notebook_file
from cpmkit.db.database import Store
from cpmkit.serving.server import VoilaServer, running_voila, with_options
from tests._repository import REPO_NOTEBOOKS

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests/_kernel_client.py, the widget-protocol client the tests use too

from tests._kernel_client import KernelPage, KernelSocket, open_page
from tests._postgres import throwaway_postgres

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
MB = 1024 * 1024
GB = 1024 * MB

#: The issue's targets (issue 13): 200 participants within 60 s on a 2-core, 24 GB machine.
TARGET_READY_P95_S = 15.0
TARGET_ANSWER_P95_S = 0.5
TARGET_PEAK_BYTES = 8 * GB
TARGET_CARD_P95_S = 3.0
#: Seconds any one page may take to open (the server answers once the notebook has run).
OPEN_TIMEOUT_S = 300.0
#: Seconds a browser may take to draw the app once the page has come (Voila sends it once the notebook ran).
BROWSER_DRAW_S = 60.0
#: Seconds any one widget message may take to be handled.
REPLY_TIMEOUT_S = 120.0
#: Seconds between two samples of the server's memory and CPU.
SAMPLE_S = 1.0

WORKSHOP_ROUND = "before"
#: The participant page's browser key (cpmkit.soft_skills.ui.assessment.BROWSER_KEY).
SOFT_SKILLS_KEY = "cpmkit-soft-skills"
ANONYMOUS_PLACEHOLDER = "leave blank to stay anonymous"
PULSE_CONTROLS = ("ToggleButtonsModel", "RadioButtonsModel", "TextareaModel")
#: Text a retro card carries, unique per card, and how a board says its phase.
CARD_MARK = re.compile(r"rcard-\d+-\d+x")
PHASE_MARK = re.compile(r"data-phase='(\w+)'")
_MODEL_ID = re.compile(r'"model_id":\s*"([0-9a-f]{32})"')
#: What Voila logs when a page's outputs were not all in when it sent the page (nbclient's ``iopub_timeout``).
IOPUB_TIMEOUT = "Timeout waiting for IOPub output"


# =========================================================================================
# Pure figures: percentiles, losses, verdicts
# =========================================================================================


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q``-th percentile (0 < q <= 100) of ``values``; None if there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Spread:
    """How a set of durations is spread: their number, p50, p95 and max (None when empty)."""

    n: int
    p50: float | None
    p95: float | None
    max: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(len(values), percentile(values, 50), percentile(values, 95), max(values) if values else None)

    def text(self, unit: str = "s", scale: float = 1.0) -> str:
        if not self.n:
            return "n/a"
        return (
            f"p50 {fmt(self.p50, scale)} / p95 {fmt(self.p95, scale)} / max {fmt(self.max, scale)} {unit} (n={self.n})"
        )


def fmt(value: float | None, scale: float = 1.0, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value * scale, spec)


def ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.1f}x" if value is not None and base else "n/a"


def lost(sent: Mapping[Any, Any], stored: Mapping[Any, Any]) -> tuple[int, int]:
    """``(missing, different)``: what was sent and is not in the store, and what is stored
    with another value than the one sent last."""
    missing = sum(1 for key in sent if key not in stored)
    different = sum(1 for key, value in sent.items() if key in stored and stored[key] != value)
    return missing, different


def verdict(value: float | None, limit: float) -> str:
    """PASS if ``value`` is at most ``limit``, FAIL above it or when it was not measured."""
    return "FAIL" if value is None or value > limit else "PASS"


# =========================================================================================
# A page's widgets, as its browser holds them
# =========================================================================================


class BlankPage(Exception):
    """The server sent the page without the app's output."""


class Widgets:
    """The page's widget models: all of them loaded at once (as Voila's front end does), then
    kept up to date from every message the kernel sends; found by what they show."""

    def __init__(self, page: KernelPage, kernel: KernelSocket) -> None:
        self.kernel = kernel
        #: Called with every message the kernel sends, once it is applied (a board watches for cards).
        self.watch: Callable[[Mapping[str, Any]], None] = lambda _message: None
        self.roots = list(dict.fromkeys(_MODEL_ID.findall(page.html)))
        if not self.roots:  # what its browser shows: the notebook's text, no app
            raise BlankPage(
                "the page came without its widgets (the app cell has no output: nbclient's IOPub timeout, "
                "4 s by default, ran out while the kernel was busy)"
            )
        self.states = kernel.all_widget_states()
        kernel.received.clear()

    def apply(self, messages: Sequence[Mapping[str, Any]]) -> None:
        for message in messages:
            content = message.get("content", {})
            comm, data = content.get("comm_id"), content.get("data", {})
            if message.get("msg_type") == "comm_open" and content.get("target_name") == "jupyter.widget":
                self.states[comm] = dict(data.get("state", {}))
            elif message.get("msg_type") == "comm_msg" and data.get("method") in ("update", "echo_update"):
                self.states.setdefault(comm, {}).update(data.get("state", {}))
            elif message.get("msg_type") == "comm_close":
                self.states.pop(comm, None)
            self.watch(message)

    def shown(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every model on the page (reachable from the notebook's output through ``children``), in page order."""
        stack, seen = list(reversed(self.roots)), set()
        while stack:
            model = stack.pop()
            if model in seen or model not in self.states:
                continue
            seen.add(model)
            state = self.states[model]
            yield model, state
            children = [c.removeprefix("IPY_MODEL_") for c in state.get("children", ()) if isinstance(c, str)]
            stack.extend(reversed(children))

    def find(self, models: str | tuple[str, ...], test: Callable[[dict[str, Any]], bool] = lambda _: True) -> list[str]:
        """The shown widgets of the model ``models`` (one of them) that pass ``test``, in page order."""
        names = (models,) if isinstance(models, str) else models
        return [model for model, state in self.shown() if state.get("_model_name") in names and test(state)]

    def one(self, models: str | tuple[str, ...], test: Callable[[dict[str, Any]], bool] = lambda _: True) -> str:
        found = self.find(models, test)
        if not found:
            shown = collections.Counter(str(state.get("_model_name")) for _model, state in self.shown())
            raise LookupError(
                f"no {models} of that kind on the page; shown: {dict(shown)}; {len(self.states)} models; "
                f"text: {re.sub(r'<[^>]+>', ' ', self.html())[:300]!r}"
            )
        return found[0]

    def button(self, description: str) -> str:
        return self.one("ButtonModel", lambda s: s.get("description") == description)

    def any_with(self, key: str, value: Any) -> str:
        """A model (shown or not: an invisible one, the browser key) whose state has ``key`` = ``value``."""
        return next(model for model, state in self.states.items() if state.get(key) == value)

    def html(self) -> str:
        return " ".join(str(state.get("value", "")) for _model, state in self.shown())

    # -- what a browser sends ----------------------------------------------------------------

    def set(self, model: str, **state: Any) -> float:
        """Set a widget's state as its view would; the seconds until the kernel was idle again."""
        started = time.perf_counter()
        seen = self.kernel.comm_msg(model, {"method": "update", "state": state, "buffer_paths": []})
        took = time.perf_counter() - started
        self.apply(seen)
        self.kernel.received.clear()
        return took

    def click(self, model: str) -> float:
        started = time.perf_counter()
        seen = self.kernel.comm_msg(model, {"method": "custom", "content": {"event": "click"}})
        took = time.perf_counter() - started
        self.apply(seen)
        self.kernel.received.clear()
        return took


def opened(url: str, jar: http.cookiejar.CookieJar) -> tuple[KernelPage, int]:
    """Open the page as its browser does, trying again when the server says it is full or asks
    to wait (503/429, its Retry-After); the page and how many times it was turned away."""
    turned_away = 0
    deadline = time.monotonic() + OPEN_TIMEOUT_S
    while True:
        try:
            return open_page(url, cookies=jar, timeout=max(1.0, deadline - time.monotonic())), turned_away
        except urllib.error.HTTPError as answer:
            if answer.code not in (429, 503) or time.monotonic() > deadline:
                raise
            turned_away += 1
            time.sleep(float(answer.headers.get("Retry-After") or 10))


def close_page(page: KernelPage, kernel: KernelSocket) -> None:
    """Close the page as its browser does: the websocket, and Voila's shutdown beacon (the
    server shuts the kernel down at once for the browser that opened it)."""
    kernel.close()
    parts = urlsplit(page.url)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(page.cookies))
    beacon = urllib.request.Request(f"{parts.scheme}://{parts.netloc}/voila/api/shutdown/{page.kernel_id}", data=b"")
    with opener.open(beacon, timeout=REPLY_TIMEOUT_S):
        pass


def connect(page: KernelPage) -> tuple[KernelSocket, Widgets]:
    kernel = KernelSocket(page, timeout=REPLY_TIMEOUT_S)
    return kernel, Widgets(page, kernel)


def short_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:160]}"


# =========================================================================================
# The server, its memory and CPU
# =========================================================================================


@contextlib.contextmanager
def server_on(
    store_url: str, folder: Path, name: str, voila_args: Sequence[str], workers: int = 1
) -> Iterator[VoilaServer]:
    """``cpmkit serve``'s Voila on a free port, as ``serve`` runs it (kernels forked), serving the
    repository's notebooks on ``store_url``, with ``voila_args`` added to its command line
    (``--voila-arg``); with ``workers`` over 1, ``cpmkit serve --workers`` (nginx and the workers)."""
    env = serve_env({**os.environ, "CPMKIT_DB_URL": store_url, "CPMKIT_DATA_DIR": str(folder)})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    log_file = folder / f"voila-{name}.log"
    if workers > 1:  # `serve --workers` asks for the first account first
        store = Store.open(store_url)
        try:
            if AccountStore(store).count() == 0:
                AccountStore(store).add_user("benchmark", uuid.uuid4().hex, admin=True)
        finally:
            store.close()
    with running_voila(
        REPO_NOTEBOOKS, env=env, log_file=log_file, extra=voila_args, fork_kernels=True, workers=workers
    ) as server:
        if workers == 1 and "--CpmkitVoila.fork_kernels=False" not in voila_args:
            server.wait_for_zygote()  # until it listens, kernels start the usual way
        yield server


def server_options(voila_args: Sequence[str], workers: int = 1) -> list[str]:
    """The options each scenario's server runs with (``voila_command``'s, or ``serve_command``'s with
    ``workers``; those of ``--voila-arg`` in place of any of the same name), without the port and
    address, which change from server to server."""
    command = (
        voila_command(REPO_NOTEBOOKS, host="127.0.0.1", port=0, fork_kernels=True)
        if workers == 1
        else serve_command(
            REPO_NOTEBOOKS, workers, host="127.0.0.1", port=0, cull_after=DEFAULT_CULL_SECONDS, preheat=0, max_kernels=0
        )
    )
    skipped = ("--port=", "--Voila.ip=", "--host=", "--notebooks=")
    return [
        part for part in with_options(command, voila_args) if part.startswith("--") and not part.startswith(skipped)
    ]


@dataclass
class Family:
    """The server process and every process under it (kernels forked from a zygote included;
    with ``--workers``, a zygote for each worker)."""

    server: psutil.Process
    kernels: list[psutil.Process]
    zygotes: list[psutil.Process]
    others: list[psutil.Process]

    @classmethod
    def of(cls, server: VoilaServer) -> Family:
        found = server.processes()
        return cls(psutil.Process(server.process.pid), found["kernel"], found["zygote"], found["other"])

    def everyone(self) -> list[psutil.Process]:
        return [self.server, *self.kernels, *self.zygotes, *self.others]


class Meter:
    """Samples the server and every process under it every ``SAMPLE_S``: total RSS and PSS
    (their peaks), kernels at once, and each process's CPU seconds (kept once it has ended)."""

    def __init__(self, server: VoilaServer) -> None:
        self.voila = server
        self.pid = server.process.pid
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_kernels = 0
        self.cpu: dict[int, float] = {}
        self.cpu_at_start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self.sample()
        self.cpu_at_start = dict(self.cpu)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self.sample()

    def sample(self) -> None:
        try:
            family = Family.of(self.voila)
        except psutil.Error:
            return
        rss = pss = 0
        for proc in family.everyone():
            try:
                with proc.oneshot():
                    info = proc.memory_full_info()  # smaps_rollup: PSS shares each page among its users
                    times = proc.cpu_times()
            except psutil.Error:
                continue
            rss, pss = rss + info.rss, pss + info.pss
            self.cpu[proc.pid] = times.user + times.system
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_pss = max(self.peak_pss, pss)
        self.peak_kernels = max(self.peak_kernels, len(family.kernels))

    def load_cpu(self) -> tuple[float, float]:
        """CPU seconds since the meter started: the server's, and every other process's under it."""
        since = {pid: cpu - self.cpu_at_start.get(pid, 0.0) for pid, cpu in self.cpu.items()}
        server = since.pop(self.pid, 0.0)
        return server, sum(since.values())


@dataclass(frozen=True)
class KernelMemory:
    """Memory (MB) once the room is done: each kernel's RSS and USS, the zygotes' USS (None
    without one), the server's RSS, and the PSS of the server and everything under it."""

    rss: list[float]
    uss: list[float]
    zygote_uss: float | None
    server_rss: float
    total_pss: float

    @classmethod
    def now(cls, server: VoilaServer) -> KernelMemory:
        family = Family.of(server)
        rss, uss, pss = [], [], 0.0
        for kernel in family.kernels:
            with contextlib.suppress(psutil.Error):
                info = kernel.memory_full_info()
                rss.append(info.rss / MB)
                uss.append(info.uss / MB)
        for proc in family.everyone():
            with contextlib.suppress(psutil.Error):
                pss += proc.memory_full_info().pss / MB
        zygotes = []
        for zygote in family.zygotes:
            with contextlib.suppress(psutil.Error):
                zygotes.append(zygote.memory_full_info().uss / MB)
        return cls(rss, uss, sum(zygotes) if zygotes else None, family.server.memory_info().rss / MB, pss)


# =========================================================================================
# Scenario (a): the workshop room
# =========================================================================================


@dataclass
class Participant:
    number: int
    ready_s: float | None = None
    turned_away: int = 0
    join_s: float | None = None
    answers_s: list[float] = field(default_factory=list)
    steps_s: list[float] = field(default_factory=list)
    results_s: float | None = None
    sent: dict[str, int] = field(default_factory=dict)
    finished: bool = False
    error: str | None = None

    @property
    def name(self) -> str:
        return f"Participant {self.number:04d}"


def take_part(
    url: str, person: Participant, *, think: float, rng: random.Random, keep: list[KernelSocket], leave: bool
) -> None:
    """One participant: open the join link, join, answer every item, press Next to the results;
    then close the page (``leave``), or keep it open (in ``keep``) until the room is done."""
    from cpmkit.soft_skills.bank import default_bank

    bank = default_bank()
    items = {item.text: item.id for item in bank.items}
    points = [value for value, _label in bank.scale.points]
    try:
        started = time.perf_counter()
        page, person.turned_away = opened(url, http.cookiejar.CookieJar())
        kernel, widgets = connect(page)
        if not leave:
            keep.append(kernel)
        person.ready_s = time.perf_counter() - started
        widgets.set(widgets.any_with("name", SOFT_SKILLS_KEY), key=uuid.uuid4().hex)  # the browser's key arrives
        widgets.set(
            widgets.one("TextModel", lambda s: s.get("placeholder") == ANONYMOUS_PLACEHOLDER), value=person.name
        )
        rounds = widgets.one("DropdownModel", lambda s: WORKSHOP_ROUND in s.get("_options_labels", ()))
        chosen = list(widgets.states[rounds]["_options_labels"]).index(WORKSHOP_ROUND)
        if widgets.states[rounds].get("index") != chosen:
            widgets.set(rounds, index=chosen)
        person.join_s = widgets.click(widgets.button("Join the workshop"))
        for _step in range(len(bank.competencies) + 1):
            for toggle in widgets.find("ToggleButtonsModel", lambda s: s.get("description") in items):
                state = widgets.states[toggle]
                if state.get("index") is not None:
                    continue
                if think:
                    time.sleep(think * rng.uniform(0.5, 1.5))
                index = rng.randrange(len(points))
                person.answers_s.append(widgets.set(toggle, index=index))
                person.sent[items[state["description"]]] = points[index]
            forward = widgets.one("ButtonModel", lambda s: str(s.get("description", "")).startswith("Next"))
            if widgets.states[forward]["description"] != "Next":  # "Next: my results"
                person.results_s = widgets.click(forward)
                break
            person.steps_s.append(widgets.click(forward))
        person.finished = "My results" in widgets.html()
        if leave:
            close_page(page, kernel)
    except Exception as exc:  # noqa: BLE001 - one participant's failure is a figure, not the end
        person.error = short_error(exc)


@dataclass
class WorkshopResult:
    people: list[Participant]
    baseline: Participant
    stored_answers: dict[tuple[str, str], int]
    completed: set[str]
    peak_rss: int
    peak_pss: int
    peak_kernels: int
    cpu_server: float
    cpu_kernels: float
    memory: KernelMemory
    wall_s: float
    browser: BrowserProbe | None


def workshop_room(args: argparse.Namespace, store_url: str, folder: Path) -> WorkshopResult:
    from cpmkit.soft_skills.store import AssessmentStore

    store = Store.open(store_url)
    try:
        workshop_id, code, key = AssessmentStore(store).create_workshop(
            f"Room load {uuid.uuid4().hex[:6]}", bank="soft_skills", rounds=[WORKSHOP_ROUND, "after"]
        )
    finally:
        store.close()
    with server_on(store_url, folder, "workshop", args.voila_arg, args.workers) as server:
        url = server.url(notebook_file("soft_skills"), code=code)
        keep: list[KernelSocket] = []
        baseline = Participant(0)
        print("  baseline: one participant alone ...", flush=True)
        take_part(url, baseline, think=0, rng=random.Random(0), keep=keep, leave=True)
        if baseline.error:
            raise RuntimeError(f"the participant alone failed, so the load would too: {baseline.error}")
        probe = BrowserProbe(url, args.browsers, args.arrival) if args.browsers else None
        if probe is not None:
            print("  baseline: one Chromium page alone ...", flush=True)
            probe.baseline()
        people = [Participant(n) for n in range(1, args.participants + 1)]
        print(f"  {len(people)} participants arriving over {args.arrival:g} s ...", flush=True)
        started = time.perf_counter()
        with Meter(server) as meter:
            threads = [
                threading.Thread(
                    target=take_part,
                    args=(url, person),
                    kwargs={
                        "think": args.think,
                        "rng": random.Random(person.number),
                        "keep": keep,
                        "leave": args.leave,
                    },
                    daemon=True,
                )
                for person in people
            ]
            if probe is not None:
                probe.start()
            for n, thread in enumerate(threads):
                time.sleep(max(0.0, started + args.arrival * n / len(threads) - time.perf_counter()))
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            memory = KernelMemory.now(server)
            if probe is not None:
                probe.join()
        for kernel in keep:
            with contextlib.suppress(Exception):
                kernel.close()
        cpu_server, cpu_kernels = meter.load_cpu()
    store = Store.open(store_url)
    try:
        export = AssessmentStore(store).trainer_workshop(workshop_id, key).cohort_export()
    finally:
        store.close()
    stored = {(str(r.display_name), str(r.item_id)): int(r.value) for r in export.itertuples()}
    completed = {str(r.display_name) for r in export.itertuples() if r.completed_at is not None}
    return WorkshopResult(
        people,
        baseline,
        stored,
        completed,
        meter.peak_rss,
        meter.peak_pss,
        meter.peak_kernels,
        cpu_server,
        cpu_kernels,
        memory,
        wall,
        probe,
    )


def report_workshop(result: WorkshopResult, args: argparse.Namespace) -> list[tuple[str, str, str]]:
    people, base = result.people, result.baseline
    n = len(people)
    sent = {(p.name, item): value for p in people for item, value in p.sent.items()}
    missing, different = lost(sent, result.stored_answers)
    expected = n * len(base.sent) if base.sent else None
    ready = Spread.of([p.ready_s for p in people if p.ready_s is not None])
    answers = Spread.of([s for p in people for s in p.answers_s])
    steps = Spread.of([s for p in people for s in p.steps_s])
    results = Spread.of([p.results_s for p in people if p.results_s is not None])
    joins = Spread.of([p.join_s for p in people if p.join_s is not None])
    errors = [p for p in people if p.error]
    done = sum(p.name in result.completed for p in people)
    per_person = (result.cpu_server + result.cpu_kernels) / n
    print()
    print(f"Workshop room: {n} participants arriving over {args.arrival:g} s, think {args.think:g} s")
    print(
        f"  completed (read back from the store): {done} of {n}; results page shown: {sum(p.finished for p in people)}"
    )
    print(
        f"  answers sent {len(sent)}"
        + (f" (expected {expected})" if expected else "")
        + f"; lost {missing}, stored with another value {different}"
    )
    print(
        f"  errors: {len(errors)}; turned away (server full / too many) and retried: {sum(p.turned_away for p in people)}"
    )
    for person in errors[:5]:
        print(f"    {person.name}: {person.error}")
    print(
        f"  page ready        {ready.text()}   p50 {ratio(ready.p50, base.ready_s)} of one page alone ({fmt(base.ready_s)} s)"
    )
    base_answer = Spread.of(base.answers_s)
    base_step = Spread.of(base.steps_s)
    print(
        f"  answer round-trip {answers.text('ms', 1000)}   p50 {ratio(answers.p50, base_answer.p50)} of alone ({fmt(base_answer.p50, 1000)} ms)"
    )
    print(
        f"  Next round-trip   {steps.text('ms', 1000)}   p50 {ratio(steps.p50, base_step.p50)} of alone ({fmt(base_step.p50, 1000)} ms)"
    )
    print(f"  join round-trip   {joins.text('ms', 1000)}")
    print(f"  results page      {results.text()}   (alone {fmt(base.results_s)} s)")
    print(f"  wall time {result.wall_s:.1f} s from the first arrival to the last participant done")
    print(
        f"  peak memory, server + everything under it: RSS {result.peak_rss / GB:.2f} GB, PSS {result.peak_pss / GB:.2f} GB, "
        f"with {result.peak_kernels} kernels at most"
    )
    memory = result.memory
    print(
        f"  at the end (results shown): server RSS {memory.server_rss:.0f} MB; all PSS {memory.total_pss / 1024:.2f} GB"
        + ("" if memory.zygote_uss is None else f"; zygote USS {memory.zygote_uss:.0f} MB")
    )
    print(f"  per kernel at the end: RSS {Spread.of(memory.rss).text('MB')}")
    print(f"                         USS {Spread.of(memory.uss).text('MB')}")
    print(
        f"  CPU seconds per participant: {per_person:.2f} (server {result.cpu_server / n:.2f} + kernels "
        f"{result.cpu_kernels / n:.2f})"
    )
    if result.browser is not None:
        result.browser.report()
    all_done = done == n and not errors
    return [
        ("workshop: all completed", f"{done}/{n}", "PASS" if all_done else "FAIL"),
        ("workshop: answers lost", str(missing + different), "PASS" if sent and missing + different == 0 else "FAIL"),
        ("workshop: page ready p95 <= 15 s", fmt(ready.p95), verdict(ready.p95, TARGET_READY_P95_S)),
        ("workshop: answer p95 <= 500 ms", fmt(answers.p95, 1000), verdict(answers.p95, TARGET_ANSWER_P95_S)),
        # PSS, not RSS: forked kernels share the zygote's pages, which RSS counts once per kernel.
        (
            "workshop: peak memory (PSS) <= 8 GB",
            f"{result.peak_pss / GB:.2f} GB",
            verdict(result.peak_pss, TARGET_PEAK_BYTES),
        ),
    ]


# =========================================================================================
# Chromium: time to interactive while the room fills
# =========================================================================================


class BrowserProbe:
    """``count`` headless Chromium pages, one after another at even times over the arrival, each
    in a fresh context: seconds from ``goto`` until ``.cpmkit-ready`` shows."""

    def __init__(self, url: str, count: int, arrival: float) -> None:
        self.url, self.count, self.arrival = url, count, arrival
        self.alone: float | None = None
        self.times: list[float] = []
        self.errors: list[str] = []
        self._thread: threading.Thread | None = None

    def baseline(self) -> None:
        self._run([0.0], self._alone)

    def _alone(self, seconds: float) -> None:
        self.alone = seconds

    def start(self) -> None:
        started = time.perf_counter()
        at = [started + self.arrival * (n + 1) / (self.count + 1) for n in range(self.count)]
        self._thread = threading.Thread(target=self._run, args=(at, self.times.append), daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _run(self, at: Sequence[float], record: Callable[[float], None]) -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    for moment in at:
                        time.sleep(max(0.0, moment - time.perf_counter()))
                        try:
                            record(self._load(browser))
                        except Exception as exc:  # noqa: BLE001 - one page's failure is a figure
                            self.errors.append(short_error(exc))
                finally:
                    browser.close()
        except Exception as exc:  # noqa: BLE001 - reported with the figures
            self.errors.append(short_error(exc))

    def _load(self, browser: Any) -> float:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        context = browser.new_context()
        context.route("**/*", _local_only)
        try:
            page = context.new_page()
            started = time.perf_counter()
            page.goto(self.url, wait_until="domcontentloaded", timeout=OPEN_TIMEOUT_S * 1000)  # the notebook ran
            try:
                page.locator(".cpmkit-ready").first.wait_for(state="visible", timeout=BROWSER_DRAW_S * 1000)
            except PlaywrightTimeout:
                raise BlankPage(
                    f"no app {BROWSER_DRAW_S:g} s after the page came (sent without its widgets?)"
                ) from None
            took = time.perf_counter() - started
            page.close(run_before_unload=True)  # its beacon shuts its kernel down
            return took
        finally:
            context.close()

    def report(self) -> None:
        tti = Spread.of(self.times)
        print(
            f"  Chromium time to interactive during the load: {tti.text()}   "
            f"p50 {ratio(tti.p50, self.alone)} of one page alone ({fmt(self.alone)} s)"
        )
        for error in self.errors:
            print(f"    Chromium error: {error}")


def _local_only(route: Any) -> None:
    url = route.request.url
    if url.split(":", 1)[0] in ("data", "blob") or (urlsplit(url).hostname or "") in LOCAL_HOSTS:
        route.continue_()
    else:
        route.abort()


# =========================================================================================
# Scenario (b): a pulse-survey room
# =========================================================================================


@dataclass
class Respondent:
    number: int
    ready_s: float | None = None
    turned_away: int = 0
    answers_s: list[float] = field(default_factory=list)
    sent: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def comment(self) -> str:
        return f"respondent {self.number}"


def respond(url: str, person: Respondent, *, rng: random.Random) -> None:
    """One respondent: open the round's link in a fresh browser and answer every question."""
    from cpmkit.feedback.pulse.template import pulse_survey

    try:
        started = time.perf_counter()
        page, person.turned_away = opened(url, http.cookiejar.CookieJar())
        kernel, widgets = connect(page)
        person.ready_s = time.perf_counter() - started
        try:
            for question in pulse_survey().questions:
                label = f"{question.text}{' *' if question.required else ''}"
                control = widgets.one(PULSE_CONTROLS, lambda s, label=label: s.get("description") == label)
                if question.scale is None:
                    value: Any = person.comment if question.id == "comment" else f"answer {question.id} {person.number}"
                    person.answers_s.append(widgets.set(control, value=value))
                else:
                    index = rng.randrange(len(question.scale.values))
                    value = question.scale.values[index]
                    person.answers_s.append(widgets.set(control, index=index))
                person.sent[question.id] = value
        finally:
            kernel.close()
    except Exception as exc:  # noqa: BLE001
        person.error = short_error(exc)


def pulse_room(args: argparse.Namespace, store_url: str, folder: Path) -> list[tuple[str, str, str]]:
    import pandas as pd

    from cpmkit.feedback.pulse.store import PulseStore

    store = Store.open(store_url)
    try:
        project = store.create_project(f"Pulse room {uuid.uuid4().hex[:6]}")
        pulses = PulseStore(store)
        round_id = pulses.create_round(project, "Room load", "2026-01-05")
        token = pulses.new_round_token(round_id)
    finally:
        store.close()
    people = [Respondent(n) for n in range(args.respondents + 1)]  # number 0: the baseline, alone
    with server_on(store_url, folder, "pulse", args.voila_arg, args.workers) as server:
        url = server.url(notebook_file("pulse_survey"), pulse=token)
        print("  baseline: one respondent alone ...", flush=True)
        respond(url, people[0], rng=random.Random(0))
        if people[0].error:
            raise RuntimeError(f"the respondent alone failed, so the load would too: {people[0].error}")
        print(f"  {args.respondents} respondents arriving over {args.arrival:g} s ...", flush=True)
        started = time.perf_counter()
        with Meter(server) as meter:
            threads = [
                threading.Thread(target=respond, args=(url, p), kwargs={"rng": random.Random(p.number)}, daemon=True)
                for p in people[1:]
            ]
            for n, thread in enumerate(threads):
                time.sleep(max(0.0, started + args.arrival * n / len(threads) - time.perf_counter()))
                thread.start()
            for thread in threads:
                thread.join()
        cpu_server, cpu_kernels = meter.load_cpu()
    store = Store.open(store_url)
    try:
        frame = PulseStore(store).responses(project)
    finally:
        store.close()
    rows = {str(r["comment"]): r for r in frame.to_dict("records") if r.get("comment")}
    sent, stored = {}, {}
    for person in people[1:]:
        row = rows.get(person.comment)
        for question, value in person.sent.items():
            sent[(person.number, question)] = value
            if row is not None and not pd.isna(row.get(question)):
                stored[(person.number, question)] = row[question]
    missing, different = lost(sent, stored)
    crowd, base = people[1:], people[0]
    ready = Spread.of([p.ready_s for p in crowd if p.ready_s is not None])
    answers = Spread.of([s for p in crowd for s in p.answers_s])
    errors = [p for p in crowd if p.error]
    print()
    print(f"Pulse-survey room: {len(crowd)} respondents on one anonymous round link over {args.arrival:g} s")
    print(
        f"  responses stored {len(frame) - (1 if base.sent else 0)} of {len(crowd)}; answers sent {len(sent)}, lost {missing}, different {different}"
    )
    print(f"  errors: {len(errors)}; turned away and retried: {sum(p.turned_away for p in crowd)}")
    for person in errors[:5]:
        print(f"    respondent {person.number}: {person.error}")
    print(f"  page ready        {ready.text()}   p50 {ratio(ready.p50, base.ready_s)} of alone ({fmt(base.ready_s)} s)")
    print(
        f"  answer round-trip {answers.text('ms', 1000)}   p50 {ratio(answers.p50, Spread.of(base.answers_s).p50)} of alone"
    )
    print(
        f"  peak memory RSS {meter.peak_rss / GB:.2f} GB, PSS {meter.peak_pss / GB:.2f} GB, {meter.peak_kernels} kernels at most; CPU s per respondent {(cpu_server + cpu_kernels) / len(crowd):.2f}"
    )
    return [
        ("pulse: answers lost", str(missing + different), "PASS" if sent and missing + different == 0 else "FAIL"),
        ("pulse: errors", str(len(errors)), "PASS" if not errors else "FAIL"),
    ]


# =========================================================================================
# Scenario (c): a retrospective board
# =========================================================================================


@dataclass
class Member:
    number: int
    facilitator: bool = False
    ready_s: float | None = None
    join_s: float | None = None
    cards: list[tuple[str, float]] = field(default_factory=list)  # (mark, when sent)
    add_s: list[float] = field(default_factory=list)
    votes_s: list[float] = field(default_factory=list)
    phases: list[tuple[str, float]] = field(default_factory=list)  # (phase, when the facilitator moved)
    phase_s: list[float] = field(default_factory=list)
    seen: dict[str, float] = field(default_factory=dict)  # mark -> first seen on this member's board
    error: str | None = None


class Board:
    """One member's open board: every message read as it comes (the board redraws itself every
    few seconds), with the first moment each card and phase showed."""

    def __init__(self, member: Member, widgets: Widgets) -> None:
        self.member, self.widgets = member, widgets
        self.look(json.dumps(list(widgets.states.values())))
        widgets.watch = self.absorb

    def look(self, text: str) -> None:
        now = time.perf_counter()
        for mark in CARD_MARK.findall(text):
            self.member.seen.setdefault(mark, now)
        for phase in PHASE_MARK.findall(text):
            self.member.seen.setdefault(f"phase:{phase}", now)

    def absorb(self, message: Mapping[str, Any]) -> None:
        if message.get("msg_type") in ("comm_open", "comm_msg"):
            self.look(json.dumps(message.get("content", {}).get("data", {})))

    def wait(self, until: float) -> None:
        """Read the board until ``until`` (perf_counter seconds)."""
        kernel = self.widgets.kernel
        while (left := until - time.perf_counter()) > 0:
            message = kernel.receive(min(left, 0.25))
            if message is not None:
                self.widgets.apply([message])
            kernel.received.clear()


@dataclass(frozen=True)
class RetroPlan:
    """When, in perf_counter seconds, each part of the retrospective starts."""

    collect: float
    group: float
    vote: float
    discuss: float
    end: float


def be_member(
    url: str, member: Member, plan: Callable[[], RetroPlan], joined: threading.Barrier, *, cards: int, votes: int
) -> None:
    rng = random.Random(member.number)
    kernel: KernelSocket | None = None
    arrived = False
    try:
        started = time.perf_counter()
        page, _turned = opened(url, http.cookiejar.CookieJar())
        kernel, widgets = connect(page)
        member.ready_s = time.perf_counter() - started
        board = Board(member, widgets)
        widgets.set(widgets.any_with("key", ""), key=uuid.uuid4().hex)  # the browser's key
        widgets.set(
            widgets.one("TextModel", lambda s: s.get("placeholder") == "Your name"), value=f"Member {member.number}"
        )
        member.join_s = widgets.click(widgets.button("Join the board"))
        arrived = True
        joined.wait()
        times = plan()
        window = times.group - times.collect - 3.0
        for at in sorted(times.collect + rng.uniform(0, window) for _ in range(cards)):
            board.wait(at)
            mark = f"rcard-{member.number}-{len(member.cards)}x"
            widgets.set(widgets.one("TextareaModel"), value=f"Card {mark}")
            member.cards.append((mark, time.perf_counter()))
            member.add_s.append(widgets.click(widgets.button("Add")))
        if member.facilitator:
            for phase, at in (("group", times.group), ("vote", times.group + 2.0)):
                board.wait(at)
                member.phases.append((phase, time.perf_counter()))
                member.phase_s.append(widgets.click(widgets.button(f"Next: {phase}")))
        window = times.discuss - times.vote - 3.0
        for at in sorted(times.vote + rng.uniform(0, window) for _ in range(votes)):
            board.wait(at)
            buttons = widgets.find("ButtonModel", lambda s: s.get("description") == "Vote" and not s.get("disabled"))
            if buttons:
                member.votes_s.append(widgets.click(rng.choice(buttons)))
        if member.facilitator:
            board.wait(times.discuss)
            member.phases.append(("discuss", time.perf_counter()))
            member.phase_s.append(widgets.click(widgets.button("Next: discuss")))
        board.wait(times.end)
    except Exception as exc:  # noqa: BLE001
        member.error = short_error(exc)
        if not arrived:  # the others go on without this member
            with contextlib.suppress(threading.BrokenBarrierError):
                joined.wait()
    finally:
        if kernel is not None:
            kernel.close()


def retro_room(args: argparse.Namespace, store_url: str, folder: Path) -> list[tuple[str, str, str]]:
    from cpmkit.feedback.retro.store import RetroStore

    store = Store.open(store_url)
    try:
        project = store.create_project(f"Retro room {uuid.uuid4().hex[:6]}")
        retros = RetroStore(store)
        board = retros.create_board(project, "Room load", "start_stop_continue", votes_per_member=args.retro_votes)
    finally:
        store.close()
    members = [Member(n, facilitator=n == 0) for n in range(args.retro_members)]
    plan: list[RetroPlan] = []
    window = args.retro_window

    def make_plan() -> None:
        now = time.perf_counter() + 1.0
        plan.append(RetroPlan(now, now + window, now + window + 10.0, now + 2 * window + 10.0, now + 2 * window + 20.0))

    joined = threading.Barrier(len(members), action=make_plan, timeout=OPEN_TIMEOUT_S + 60)
    with server_on(store_url, folder, "retro", args.voila_arg, args.workers) as server:
        urls = {
            n: server.url(
                notebook_file("retro_board"),
                board=board["token"],
                **({"facilitator": board["facilitator_key"]} if n == 0 else {}),
            )
            for n in range(len(members))
        }
        print(
            f"  {len(members)} members joining over {args.retro_arrival:g} s, then cards, votes and phases ...",
            flush=True,
        )
        started = time.perf_counter()
        with Meter(server) as meter:
            threads = [
                threading.Thread(
                    target=be_member,
                    args=(urls[m.number], m, lambda: plan[0], joined),
                    kwargs={"cards": args.retro_cards, "votes": args.retro_votes},
                    daemon=True,
                )
                for m in members
            ]
            for n, thread in enumerate(threads):
                time.sleep(max(0.0, started + args.retro_arrival * n / len(threads) - time.perf_counter()))
                thread.start()
            for thread in threads:
                thread.join()
    store = Store.open(store_url)
    try:
        state = RetroStore(store).state(board["id"])
    finally:
        store.close()
    errors = [m for m in members if m.error]
    every, each, never = [], [], 0
    for author in members:
        for mark, sent in author.cards:
            others = [m.seen.get(mark) for m in members if m is not author and not m.error]
            never += sum(seen is None for seen in others)
            each += [seen - sent for seen in others if seen is not None]
            if others and None not in others:
                every.append(max(others) - sent)  # type: ignore[type-var]
    cards_sent = sum(len(m.cards) for m in members)
    phase_lag = [
        seen - when
        for m in members[1:]
        for phase, when in members[0].phases
        if (seen := m.seen.get(f"phase:{phase}")) is not None
    ]
    card_all = Spread.of(every)
    print()
    print(
        f"Retrospective board: {len(members)} members (member 0 facilitates), {args.retro_cards} cards and {args.retro_votes} votes each"
    )
    print(
        f"  cards sent {cards_sent}, stored {len(state.cards)}; votes cast {sum(len(m.votes_s) for m in members)}, stored {len(state.votes)}; phase now {state.phase!r}"
    )
    print(f"  errors: {len(errors)}")
    for member in errors[:5]:
        print(f"    member {member.number}: {member.error}")
    print(f"  page ready        {Spread.of([m.ready_s for m in members if m.ready_s is not None]).text()}")
    print(f"  join round-trip   {Spread.of([m.join_s for m in members if m.join_s is not None]).text('ms', 1000)}")
    print(f"  add-card round-trip {Spread.of([s for m in members for s in m.add_s]).text('ms', 1000)}")
    print(f"  vote round-trip   {Spread.of([s for m in members for s in m.votes_s]).text('ms', 1000)}")
    print(f"  phase change round-trip (facilitator) {Spread.of(members[0].phase_s).text('ms', 1000)}")
    print(f"  new card on one other member's board {Spread.of(each).text()}")
    print(f"  new card on every member's board      {card_all.text()}   (never shown: {never} of {len(each) + never})")
    watchers = sum(not m.error for m in members[1:]) * len(members[0].phases)
    print(
        f"  phase change on another member's board {Spread.of(phase_lag).text()}   "
        f"(seen {len(phase_lag)} of {watchers}: a phase the next replaced within a refresh may go unseen)"
    )
    print(
        f"  peak memory RSS {meter.peak_rss / GB:.2f} GB, PSS {meter.peak_pss / GB:.2f} GB, {meter.peak_kernels} kernels at most"
    )
    shown_all = never == 0 and len(every) == cards_sent and cards_sent > 0
    return [
        (
            "retro: card on every board p95 <= 3 s",
            fmt(card_all.p95),
            verdict(card_all.p95, TARGET_CARD_P95_S) if shown_all else "FAIL",
        ),
        (
            "retro: cards and votes stored",
            f"{len(state.cards)}/{cards_sent}",
            "PASS" if len(state.cards) == cards_sent and not errors else "FAIL",
        ),
    ]


# =========================================================================================
# Main
# =========================================================================================


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=40, help="workshop participants (default 40)")
    parser.add_argument("--arrival", type=float, default=30.0, help="seconds over which they arrive (default 30)")
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds between two answers (default 0)")
    parser.add_argument(
        "--browsers", type=int, default=2, help="Chromium pages timed during the load (default 2; 0: none)"
    )
    parser.add_argument("--respondents", type=int, default=40, help="pulse-survey respondents (default 40)")
    parser.add_argument("--retro-members", type=int, default=30, help="members of the retrospective board (default 30)")
    parser.add_argument(
        "--retro-arrival", type=float, default=15.0, help="seconds over which members join (default 15)"
    )
    parser.add_argument("--retro-cards", type=int, default=2, help="cards each member adds (default 2)")
    parser.add_argument("--retro-votes", type=int, default=3, help="votes each member casts (default 3)")
    parser.add_argument(
        "--retro-window", type=float, default=20.0, help="seconds for adding cards, and for voting (default 20)"
    )
    parser.add_argument(
        "--scenarios",
        default="workshop,pulse,retro",
        help="which rooms, comma-separated (default workshop,pulse,retro)",
    )
    parser.add_argument(
        "--leave", action="store_true", help="each participant closes their page once their results show"
    )
    parser.add_argument(
        "--voila-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="an option added to Voila's command line, repeatable: --voila-arg=--CpmkitVoila.max_kernels=400",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="serve as `cpmkit serve --workers N` (nginx in front; --voila-arg then goes to serve) (default 1)",
    )
    parser.add_argument("--store-url", help="a store to use instead of a fresh SQLite file (postgresql://...)")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="a throw-away PostgreSQL server from Debian's binaries (as the tests start one) instead of SQLite",
    )
    args = parser.parse_args(argv)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    rooms = {"workshop": workshop_room, "pulse": pulse_room, "retro": retro_room}
    unknown = set(scenarios) - set(rooms)
    if unknown or args.participants < 1 or args.respondents < 1 or args.retro_members < 2:
        parser.error(
            f"unknown scenarios {sorted(unknown)}" if unknown else "at least 1 participant, 1 respondent, 2 members"
        )

    from cpmkit.serving.offline import chart_bundle

    chart_bundle()  # as `cpmkit serve` does, before any page asks for it
    begun = time.perf_counter()
    load_before = os.getloadavg()[0]
    verdicts: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="cpmkit-room-") as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        store_url = args.store_url or f"sqlite:///{folder / 'store.sqlite3'}"
        if args.postgres:  # each kernel holds a connection or two
            room = max(args.participants, args.respondents, args.retro_members)
            store_url = stack.enter_context(
                stack.enter_context(throwaway_postgres(max_connections=max(200, 3 * room + 50))).fresh_database()
            )
        print(
            f"store: {store_url.split('@')[-1]}; machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / GB:.0f} GB"
        )
        print("server options:", " ".join(server_options(args.voila_arg, args.workers)))
        try:
            for name in scenarios:
                print(f"\n== {name} ==", flush=True)
                if name == "workshop":
                    verdicts += report_workshop(workshop_room(args, store_url, folder), args)
                else:
                    verdicts += rooms[name](args, store_url, folder)
                log = (folder / f"voila-{name}.log").read_text(errors="replace")
                print(f"  server log: {log.count(IOPUB_TIMEOUT)} times {IOPUB_TIMEOUT!r}")
        except Exception:  # noqa: BLE001 - the measurement broke: say where, exit 1
            traceback.print_exc()
            for log in folder.glob("voila-*.log"):
                print(
                    f"\n{log.name} (tail):\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:]),
                    file=sys.stderr,
                )
            return 1
    print("\nAgainst the issue's targets (issue 13: 200 participants within 60 s on 2 cores, 24 GB):")
    for what, value, outcome in verdicts:
        print(f"  {what:<42} {value:>12}  {outcome}")
    own = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"\nTotal run time {time.perf_counter() - begun:.0f} s; this script's own CPU {own.ru_utime + own.ru_stime:.0f} s "
        f"(it shares the machine with the server); load average {load_before:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Workshop load: many participants saving answers at once, and the trainer's dashboard figures.

1. Concurrent submissions. A fresh SQLite store (the default backend: WAL, ``BEGIN IMMEDIATE``
   writes, busy timeout) in a temporary folder, or the store at ``--store-url`` (PostgreSQL), gets
   one workshop with the rounds "before" and "after". Then N (default 100) separate OS processes,
   started with multiprocessing "spawn", each import cpmkit and open their own ``Store``, wait at
   a start barrier, and only then, all at the same moment: join the workshop's "before" round
   with a display name, save all 54 items of the default bank one ``save_answer`` call per item
   (one upsert transaction each, as the participant app does), and mark themselves completed.
   Every exception a process meets (``database is locked`` in particular) is collected, and the
   process carries on with its next answer. Afterwards the store is read back: lost writes =
   N * 54 expected answers - answers present (target 0), and every stored value is checked
   against the value that process saved.

   The same run then saves a second set of N participants in the "after" round one after the
   other, in this process (no contention): its per-answer latency is the baseline the
   concurrent latencies are divided by.

2. Dashboard aggregation. With both rounds in the store (2 * N participants), the dashboard's
   figures are timed: read the cohort of each round (``TrainerAccess.cohort``),
   ``soft_skills.cohort_distribution`` of one round and ``soft_skills.round_change`` of the two,
   against the baseline of merely reading the workshop's raw answer rows once (one plain SELECT
   through the same engine, in ``store.read()``). Medians of several alternating repetitions
   after a warm-up; the ratio is median(aggregation) / median(raw read).

Exit status is 0 whatever PASS/FAIL says (this is a measurement); non-zero only if the
measurement itself broke.

    .venv/bin/python benchmarks/workshop_load.py [--participants 100] [--store-url URL] [--reps 7]
"""

from __future__ import annotations

import argparse
import functools
import math
import multiprocessing as mp
import os
import queue
import signal
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO))  # run from a checkout without installing; spawned children inherit sys.path

from sqlalchemy import select

from cpmkit.db.database import BUSY_TIMEOUT_SECONDS, Store
from cpmkit.db.schema import answers, participants
from cpmkit.soft_skills.bank import QuestionBank, default_bank
from cpmkit.soft_skills.scoring import cohort_distribution, round_change
from cpmkit.soft_skills.store import AssessmentStore, TrainerAccess
from cpmkit.soft_skills.workshop import answers_by_round

ROUNDS = ("before", "after")
CONCURRENT_ROUND, SEQUENTIAL_ROUND = ROUNDS
TARGET_LOST = 0
TARGET_ERRORS = 0
#: Every process must have imported cpmkit and opened its store by then (spawn on 2 cores is slow).
START_TIMEOUT_S = 150.0
#: After the start barrier, every process must have finished by then (well above the busy timeout).
RUN_TIMEOUT_S = 180.0
LOCKED = "database is locked"


def answer_value(slot: int, item_index: int, round_name: str) -> int:
    """The answer participant ``slot`` gives to item ``item_index``: spread over the 1..5 scale,
    a little higher after the workshop so the round change shows something."""
    value = ((slot + 1) * 31 + (item_index + 1) * 17) % 5 + 1
    return min(5, value + 1) if round_name == SEQUENTIAL_ROUND and (slot + item_index) % 3 == 0 else value


def display_name(slot: int, round_name: str) -> str:
    return f"Load participant {slot + 1:03d} ({round_name})"


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."


# ---------------------------------------------------------------------------------------------
# One participant (runs in its own spawned process, or in this one for the baseline round)
# ---------------------------------------------------------------------------------------------


def take_part(
    assess: AssessmentStore, code: str, round_name: str, slot: int, items: Sequence[str], out: dict[str, Any]
) -> None:
    """Join, answer every item (one save_answer each) and mark completion, recording into ``out``.

    An exception is recorded and the participant carries on, as a participant would click again.
    """
    t = time.perf_counter()
    try:
        participant = assess.join_workshop(code, round=round_name, display_name=display_name(slot, round_name))
    except Exception as exc:  # noqa: BLE001 - every failure is a result
        out["errors"].append(("join", describe(exc)))
        return
    out["join_ms"] = (time.perf_counter() - t) * 1000
    out["participant"] = int(participant["id"])
    for j, item in enumerate(items):
        value = answer_value(slot, j, round_name)
        t = time.perf_counter()
        try:
            assess.save_answer(out["participant"], item, value)
        except Exception as exc:  # noqa: BLE001
            out["errors"].append((f"save {item}", describe(exc)))
            continue
        out["latencies_ms"].append((time.perf_counter() - t) * 1000)
        out["saved"][item] = value
    t = time.perf_counter()
    try:
        assess.mark_completed(out["participant"])
    except Exception as exc:  # noqa: BLE001
        out["errors"].append(("complete", describe(exc)))
        return
    out["complete_ms"] = (time.perf_counter() - t) * 1000


def new_result(slot: int) -> dict[str, Any]:
    return {
        "slot": slot,
        "os_pid": os.getpid(),
        "participant": None,
        "saved": {},
        "latencies_ms": [],
        "join_ms": None,
        "complete_ms": None,
        "errors": [],
        "start": None,
        "end": None,
    }


def submit(url: str, code: str, round_name: str, slot: int, barrier: Any, results: Any) -> None:
    """Child process: open a Store, wait at the barrier, then take part; put the result on ``results``."""
    out = new_result(slot)
    store = None
    ready = False
    try:
        try:
            items = [item.id for item in default_bank().items]
            store = Store.open(url)
            assess = AssessmentStore(store)
            ready = True
        except Exception as exc:  # noqa: BLE001
            out["errors"].append(("open store", describe(exc)))
        try:
            barrier.wait(timeout=START_TIMEOUT_S)  # wait even after a failure, so the others still start
        except threading.BrokenBarrierError:
            out["errors"].append(("start barrier", "the start barrier broke (a process did not start in time)"))
            ready = False
        if ready:
            out["start"] = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process on Linux
            take_part(assess, code, round_name, slot, items, out)
            out["end"] = time.monotonic()
    except BaseException as exc:  # noqa: BLE001 - report even an unexpected failure
        out["errors"].append(("process", describe(exc)))
    finally:
        if store is not None:
            store.close()
        results.put(out)


# ---------------------------------------------------------------------------------------------
# Phase 1: concurrent submissions
# ---------------------------------------------------------------------------------------------


def run_concurrent(url: str, code: str, n: int) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Start ``n`` spawned processes that all submit at once; return their results and timings."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(n + 1)  # the n participants and this process
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=submit,
            args=(url, code, CONCURRENT_ROUND, slot, barrier, results),
            name=f"participant-{slot + 1}",
            daemon=True,
        )
        for slot in range(n)
    ]
    spawned = time.monotonic()
    collected: list[dict[str, Any]] = []
    try:
        for p in procs:
            p.start()
        print(f"  {n} processes started, importing cpmkit and opening their stores...", flush=True)
        try:
            barrier.wait(timeout=START_TIMEOUT_S)
        except threading.BrokenBarrierError:
            print(f"  the start barrier broke: not every process was ready within {START_TIMEOUT_S:.0f} s", flush=True)
        released = time.monotonic()
        print(f"  all at the barrier after {released - spawned:.1f} s; submitting...", flush=True)
        deadline = released + RUN_TIMEOUT_S
        while len(collected) < n and time.monotonic() < deadline:
            try:
                collected.append(results.get(timeout=1.0))
            except queue.Empty:
                if not any(p.is_alive() for p in procs):  # all gone: take what they left, then stop
                    while True:
                        try:
                            collected.append(results.get(timeout=0.5))
                        except queue.Empty:
                            break
                    break
    finally:
        for p in procs:
            p.join(timeout=5)
        for p in procs:
            if p.is_alive():  # only ours, by handle
                p.terminate()
                p.join(timeout=5)
    seen = {r["slot"] for r in collected}
    for slot, p in enumerate(procs):
        if slot not in seen:
            out = new_result(slot)
            out["errors"].append(("process", f"no result (exit code {p.exitcode}; timed out or crashed)"))
            collected.append(out)
    collected.sort(key=lambda r: r["slot"])
    return collected, {"startup_s": released - spawned}


# ---------------------------------------------------------------------------------------------
# Reading back
# ---------------------------------------------------------------------------------------------


def check_round(
    store: Store, workshop_id: int, round_name: str, results: list[dict[str, Any]], n_items: int
) -> dict[str, Any]:
    """What the store holds for ``round_name`` against what the participants saved."""
    with store.read() as conn:
        people = conn.execute(
            select(participants.c.id, participants.c.display_name, participants.c.completed_at).where(
                participants.c.workshop_id == workshop_id, participants.c.round == round_name
            )
        ).all()
        rows = conn.execute(
            select(answers.c.participant_id, answers.c.item_id, answers.c.value)
            .join(participants, participants.c.id == answers.c.participant_id)
            .where(participants.c.workshop_id == workshop_id, participants.c.round == round_name)
        ).all()
    stored = {(int(pid), item): int(value) for pid, item, value in rows}
    expected = len(results) * n_items
    names = [name for _pid, name, _done in people]
    silent = wrong = 0
    for r in results:
        pid = r["participant"]
        for item, value in r["saved"].items():
            got = stored.get((pid, item)) if pid is not None else None
            if got is None:
                silent += 1  # save_answer returned without error, yet the row is missing
            elif got != value:
                wrong += 1
    return {
        "expected": expected,
        "present": len(rows),
        "lost": expected - len(rows),
        "silent": silent,
        "wrong": wrong,
        "joined": len(people),
        "duplicates": len(names) - len(set(names)),
        "completed": sum(done is not None for _pid, _name, done in people),
    }


# ---------------------------------------------------------------------------------------------
# Phase 2: dashboard aggregation
# ---------------------------------------------------------------------------------------------


def read_raw(store: Store, workshop_id: int) -> Sequence[Any]:
    """Baseline: every answer row of the workshop, one plain SELECT, nothing computed."""
    with store.read() as conn:
        return conn.execute(
            select(answers.c.participant_id, answers.c.item_id, answers.c.value)
            .join(participants, participants.c.id == answers.c.participant_id)
            .where(participants.c.workshop_id == workshop_id)
        ).all()


def read_cohorts(trainer: TrainerAccess) -> dict[str, dict[str, dict[str, int]]]:
    """``{round: {participant: answers}}``: each round's ``cohort``, keyed by text as soft_skills takes it."""
    return {name: {str(pid): given for pid, given in trainer.cohort(name).items()} for name in ROUNDS}


def aggregate(trainer: TrainerAccess, bank: QuestionBank) -> tuple[Any, Any]:
    """The dashboard's figures: each round's cohort, one round's distribution, the round change."""
    by_round = read_cohorts(trainer)
    distribution = cohort_distribution(bank, by_round[SEQUENTIAL_ROUND])
    change = round_change(bank, by_round, before=ROUNDS[0], after=ROUNDS[1])
    return distribution, change


def dashboard_path(trainer: TrainerAccess, bank: QuestionBank) -> Any:
    """The same figures the way cpmkit/soft_skills/ui/trainer.py gets them (cohort_export + answers_by_round)."""
    by_round = answers_by_round(trainer.cohort_export(), list(ROUNDS))
    return cohort_distribution(bank, by_round[SEQUENTIAL_ROUND]), round_change(
        bank, by_round, before=ROUNDS[0], after=ROUNDS[1]
    )


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


# ---------------------------------------------------------------------------------------------
# Report helpers
# ---------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f} ms"


def ratio(value: float, base: float) -> str:
    if math.isnan(value) or math.isnan(base) or base <= 0:
        return "n/a"
    return f"x{value / base:.2f}" if value < base else f"x{value / base:.1f}"


def row(label: str, value: str, target: str = "", result: str = "") -> None:
    print(f"  {label:<56} {value:>24}  {target:>6}  {result}".rstrip())


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--participants",
        type=int,
        default=100,
        help="concurrent participant processes, and as many again in the baseline round (default 100)",
    )
    parser.add_argument(
        "--store-url",
        default=None,
        help="SQLAlchemy URL of the store to load (e.g. postgresql://...); default: a fresh "
        "SQLite file in a temporary folder. A new workshop is created there and left in place.",
    )
    parser.add_argument("--reps", type=int, default=7, help="timed repetitions of the dashboard figures (default 7)")
    args = parser.parse_args(argv)
    if args.participants < 3:
        parser.error("--participants must be at least 3 (the cohort figures hide smaller groups)")
    if args.reps < 1:
        parser.error("--reps must be at least 1")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    n = args.participants
    with tempfile.TemporaryDirectory(prefix="cpmkit-workshop-load-") as tmp:
        try:
            url = args.store_url or f"sqlite:///{Path(tmp) / 'store.sqlite3'}"
            bank = default_bank()
            items = [item.id for item in bank.items]
            store = Store.open(url)
            backend = store.engine.dialect.name
            assess = AssessmentStore(store)
            workshop_id, code, key = assess.create_workshop(
                f"Load benchmark {time.strftime('%Y-%m-%d %H:%M:%S')}", bank="soft_skills", rounds=list(ROUNDS)
            )
            store.close()  # no pooled connection of ours while the participants write (PostgreSQL's max_connections)
            where = store.url if args.store_url else f"a fresh SQLite file (WAL, busy timeout {BUSY_TIMEOUT_SECONDS} s)"
            print(
                f"Store: {backend}, {where}; workshop {workshop_id}, rounds {', '.join(ROUNDS)}; "
                f"bank {bank.name!r}: {len(items)} items"
            )

            # -- 1. concurrent submissions ----------------------------------------------------
            print(
                f"\n1. {n} spawned processes join round {CONCURRENT_ROUND!r} and save {len(items)} answers each, "
                "all at once",
                flush=True,
            )
            results, info = run_concurrent(url, code, n)
            if not any(r["start"] is not None for r in results):
                print("No process got past the start barrier: nothing was measured.", file=sys.stderr)
                for r in results[:5]:
                    print(f"  participant {r['slot'] + 1}: {r['errors']}", file=sys.stderr)
                return 1
            starts = [r["start"] for r in results if r["start"] is not None]
            ends = [r["end"] for r in results if r["end"] is not None]
            wall_s = max(ends) - min(starts)
            latencies = [x for r in results for x in r["latencies_ms"]]
            saved = len(latencies)
            errors = [(r["slot"], where_, msg) for r in results for where_, msg in r["errors"]]
            locked = sum(LOCKED in msg for _slot, _where, msg in errors)
            joins = [r["join_ms"] for r in results if r["join_ms"] is not None]
            completes = [r["complete_ms"] for r in results if r["complete_ms"] is not None]

            store = Store.open(url)
            assess = AssessmentStore(store)
            check = check_round(store, workshop_id, CONCURRENT_ROUND, results, len(items))

            # -- baseline: the same work, one participant after another, in this process ------
            print(
                f"   then {n} participants of round {SEQUENTIAL_ROUND!r} one after the other in this process "
                "(uncontended baseline)...",
                flush=True,
            )
            seq_results = []
            seq_start = time.perf_counter()
            for slot in range(n):
                out = new_result(slot)
                take_part(assess, code, SEQUENTIAL_ROUND, slot, items, out)
                seq_results.append(out)
            seq_wall_s = time.perf_counter() - seq_start
            seq_latencies = [x for r in seq_results for x in r["latencies_ms"]]
            seq_errors = [(r["slot"], w, m) for r in seq_results for w, m in r["errors"]]
            seq_check = check_round(store, workshop_id, SEQUENTIAL_ROUND, seq_results, len(items))
            trainer = assess.trainer_workshop(workshop_id, key)
            status = trainer.cohort_status()

            # -- 2. dashboard aggregation --------------------------------------------------------
            print(
                f"\n2. Dashboard figures over {2 * n} participants: {args.reps} alternating repetitions after a "
                "warm-up",
                flush=True,
            )
            raw_rows = read_raw(store, workshop_id)
            distribution, change = aggregate(trainer, bank)
            dashboard_path(trainer, bank)
            raw_t: list[float] = []
            agg_t: list[float] = []
            cohort_t: list[float] = []
            dist_t: list[float] = []
            change_t: list[float] = []
            ui_t: list[float] = []
            for _rep in range(args.reps):
                raw_t.append(timed(lambda: read_raw(store, workshop_id))[0])
                agg_t.append(timed(lambda: aggregate(trainer, bank))[0])
                secs, cohorts = timed(lambda: read_cohorts(trainer))
                cohort_t.append(secs)
                dist_t.append(timed(functools.partial(cohort_distribution, bank, cohorts[SEQUENTIAL_ROUND]))[0])
                change_t.append(
                    timed(functools.partial(round_change, bank, cohorts, before=ROUNDS[0], after=ROUNDS[1]))[0]
                )
                ui_t.append(timed(lambda: dashboard_path(trainer, bank))[0])
            store.close()
        except Exception:  # noqa: BLE001 - report any failure, exit 1
            traceback.print_exc()
            return 1

    # -- report ---------------------------------------------------------------------------------
    n_items = len(items)
    p50, p95, pmax = (percentile(latencies, p) for p in (50, 95, 100))
    s50, s95, smax = (percentile(seq_latencies, p) for p in (50, 95, 100))
    print(f"\nConcurrent submissions: {n} processes x {n_items} answers = {check['expected']} answers, {backend}")
    row("measure", "value", "target", "result")
    row(
        "lost writes (expected - present)",
        f"{check['lost']} of {check['expected']}",
        f"{TARGET_LOST}",
        verdict(check["lost"] == TARGET_LOST),
    )
    row(
        "errors (exceptions in the participant processes)",
        f"{len(errors)}",
        f"{TARGET_ERRORS}",
        verdict(len(errors) == TARGET_ERRORS),
    )
    row(f'  of which "{LOCKED}"', f"{locked}")
    row("  saves reported OK but row missing / wrong value", f"{check['silent']} / {check['wrong']}")
    row("participants joined / completed (of N)", f"{check['joined']} / {check['completed']} of {n}")
    row("wall time (barrier release -> last process done)", f"{wall_s:.2f} s")
    rate = saved / wall_s if wall_s > 0 else math.nan
    seq_rate = len(seq_latencies) / seq_wall_s if seq_wall_s > 0 else math.nan
    row(
        "answers per second (all processes together)",
        "n/a" if math.isnan(rate) else f"{rate:.0f}",
        "",
        f"{ratio(rate, seq_rate)} the uncontended rate",
    )
    row("per-answer write latency p50", ms(p50), "", f"{ratio(p50, s50)} the uncontended p50")
    row("per-answer write latency p95", ms(p95), "", f"{ratio(p95, s95)} the uncontended p95")
    row("per-answer write latency max", ms(pmax))
    row(
        "answers that took longer than 1 s / 10 s",
        f"{sum(x > 1000 for x in latencies)} / {sum(x > 10000 for x in latencies)}",
    )
    row(
        "join / mark completed latency, median",
        f"{ms(statistics.median(joins) if joins else math.nan)} / "
        f"{ms(statistics.median(completes) if completes else math.nan)}",
    )
    row("process start-up (spawn + import + open store)", f"{info['startup_s']:.1f} s", "", "not timed above")
    if errors:
        kinds: dict[str, int] = {}
        for _slot, _where, msg in errors:
            kinds[msg] = kinds.get(msg, 0) + 1
        print("  Errors by message (count: message):")
        for msg, count in sorted(kinds.items(), key=lambda kv: -kv[1])[:8]:
            print(f"    {count:4d}: {msg}")
        for slot, where_, msg in errors[:5]:
            print(f"    e.g. participant {slot + 1}, {where_}: {msg}")

    print(f"\nUncontended baseline: {n} participants x {n_items} answers one after the other in one process")
    row("lost writes / errors", f"{seq_check['lost']} / {len(seq_errors)}")
    row("wall time / answers per second", f"{seq_wall_s:.2f} s / {seq_rate:.0f}")
    row("per-answer write latency p50 / p95 / max", f"{s50:.1f} / {s95:.1f} / {smax:.1f} ms")
    row("cohort_status", ", ".join(f"{k}: {v['joined']} joined, {v['completed']} done" for k, v in status.items()))

    raw_med, agg_med = statistics.median(raw_t), statistics.median(agg_t)
    shown = int((distribution["status"] == "shown").sum())
    changed = int((change["status"] == "shown").sum())
    print(f"\nDashboard aggregation over {2 * n} participants ({len(raw_rows)} answer rows), median of {args.reps}")
    row("baseline: raw SELECT of the workshop's answers", f"{raw_med * 1000:.1f} ms", "", "x1.0")
    row("cohort x2 + cohort_distribution + round_change", f"{agg_med * 1000:.1f} ms", "", ratio(agg_med, raw_med))
    row(
        "  cohort(before) + cohort(after)",
        f"{statistics.median(cohort_t) * 1000:.1f} ms",
        "",
        ratio(statistics.median(cohort_t), raw_med),
    )
    row(
        "  cohort_distribution (one round)",
        f"{statistics.median(dist_t) * 1000:.1f} ms",
        "",
        ratio(statistics.median(dist_t), raw_med),
    )
    row(
        "  round_change",
        f"{statistics.median(change_t) * 1000:.1f} ms",
        "",
        ratio(statistics.median(change_t), raw_med),
    )
    row(
        "trainer page: cohort_export + answers_by_round",
        f"{statistics.median(ui_t) * 1000:.1f} ms",
        "",
        ratio(statistics.median(ui_t), raw_med),
    )
    row("competencies shown (distribution / change)", f"{shown} / {changed} of {len(bank.competencies)}")
    print("  (no target: for information; each time includes its own read transaction)")

    print(
        f"\nTotal run time {time.perf_counter() - started:.0f} s; machine: {os.cpu_count()} CPUs, load average "
        f"{load_before:.1f} at start, {os.getloadavg()[0]:.1f} at end (other work on the machine adds noise)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

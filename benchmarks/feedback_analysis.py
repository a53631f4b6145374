#!/usr/bin/env python
"""Feedback analysis: 100,000 pulse-survey comments through sentiment, themes and NPS in one run.

1. Writes two CSV files in a temporary folder, as an import would leave them: 10,000 and
   100,000 responses (one comment each, all non-blank), with the columns submitted_at, round,
   stakeholder, recommend (0-10), satisfaction (1-5, a third blank) and comment. The comments
   are built from sentences a client writes during a project (praise, criticism, requests,
   negations, multi-line cells, curly apostrophes, an emoji now and then), one to three
   sentences each, their tone following the recommend score, over 12 pulse rounds.
2. For each file, one warm-up and then ``--reps`` alternating repetitions of
   (a) the baseline: ``pandas.read_csv`` of the file, and
   (b) the analysis: the same read, then ``comments.analyse_comments`` (sentiment and themes of
       every comment), ``feedback.nps_by_round``, ``feedback.csat_by_round``,
       ``comments.theme_summary`` and ``comments.theme_trend``,
   with the default taxonomy (``templates/feedback_themes.yaml``).

Prints the medians in seconds, each analysis time as a ratio to its baseline, the 100k/10k
ratio of both (linear growth is about 10), and the 100k analysis against the target of
**at most 10 s**, with PASS/FAIL. Exit status is 0 whatever PASS/FAIL says (this is a
measurement); non-zero only if the measurement itself broke.

    .venv/bin/python benchmarks/feedback_analysis.py [--reps 3] [--seed 7] [--all-distinct]
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from cpmkit.feedback.comments import analyse_comments, theme_summary, theme_trend
from cpmkit.feedback.pulse.template import FeedbackTaxonomy, feedback_taxonomy
from cpmkit.feedback.scores import csat_by_round, nps_by_round

SIZES = (10_000, 100_000)
ROUNDS = 12
TARGET_SECONDS = 10.0
FIRST_ROUND = datetime(2025, 1, 6, 9, 0)

# -- realistic comments ------------------------------------------------------------------------

NAMES = ["Sam", "Priya", "Jonas", "Aisha", "Marco", "Chen", "Fatima", "Lars", "Nina", "Tom"]
THINGS = [
    "the data migration",
    "the UAT plan",
    "the sprint review",
    "the reporting dashboard",
    "the API integration",
    "the go-live checklist",
    "the training sessions",
    "the change requests",
    "the test environment",
    "the steering committee pack",
    "the release notes",
    "the cut-over plan",
    "the design workshop",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

POSITIVE = [
    "The weekly status updates are clear and really helpful.",
    "{name} is very responsive and got back to us within {count} hours on ticket #{ticket}.",
    "Great work on {thing}, it went smoothly in week {week}.",
    "We feel involved in the decisions that matter to us, like the one on {date}.",
    "Communication has improved a lot since the review meeting on {date}, thanks!",
    "The new dashboard gives us good visibility of progress on {thing}.",
    "Quality of {thing} was excellent, only {count} minor bugs found so far.",
    "Very professional team, friendly and knowledgeable; {name} in particular.",
    "Milestone {count} was on time and the budget is under control.",
    "Thanks to {name} for explaining {thing} so patiently on {day}.",
    "Honest and transparent about the {count} open risks, which we appreciate.",
    "Really happy with how {thing} turned out 👍",
    "The demo on {day} was great, {count} of our users already asked for access!",
    "You listen to our feedback and act on it: ticket #{ticket} was fixed in a day.",
    "Good progress overall since week {week}, keep it up.",
]
NEGATIVE = [
    "We still have not received the revised schedule, and the {date} deadline slipped again.",
    "Not happy with the quality of {thing}; {count} bugs were found in testing.",
    "The scope of {thing} keeps changing and nobody told us why. Very frustrating!!",
    "I had to chase {name} {count} times about ticket #{ticket} before anyone replied.",
    "We are kept in the dark about the budget and the cost overruns since week {week}.",
    "The documentation for {thing} is incomplete and we lack the information we need.",
    "Too many meetings, and the minutes of the {date} meeting never arrived.",
    "Decisions about {thing} were made without consulting us.",
    "{thing} is {count} weeks late and the new date was not explained.",
    "The team seems overstretched and we don’t know who to ask about {thing}.",
    "It’s been {count} weeks since we asked {name} for the risk log, still waiting.",
    "Invoice {ticket} doesn't match the quote, please explain.",
    "Status reports are full of jargon and don't say what {thing} means for us.",
    "We were surprised by the delay on {thing} in week {week}, no warning at all.",
    "Honestly disappointed with {thing} so far 😞",
]
REQUESTS = [
    "Please send the minutes of the {day} meeting earlier.",
    "Can we move the weekly call to {day} from week {week} on?",
    "It would help to see the updated timeline for {thing}.",
    "Could {name} join the steering meeting on {date}?",
    "More detail on the budget for {thing} would be useful.",
    "Please share the test results for {thing} before sign-off on {date}.",
    "Nothing else for now.",
    "No comment.",
    "All good.",
    "Could we get a short written summary after each workshop, {count} lines is enough?",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]


def comment(rng: random.Random, recommend: int) -> str:
    """One to three sentences; the lower the recommend score, the likelier a sentence is critical."""
    negative_share = 0.8 if recommend <= 6 else 0.35 if recommend <= 8 else 0.1
    sentences = []
    for _ in range(rng.choice((1, 1, 2, 2, 2, 3))):
        draw = rng.random()
        pool = NEGATIVE if draw < negative_share else REQUESTS if draw < negative_share + 0.25 else POSITIVE
        slots = {
            "name": rng.choice(NAMES),
            "thing": rng.choice(THINGS),
            "day": rng.choice(DAYS),
            "date": f"{rng.randint(1, 28)} {rng.choice(MONTHS)}",
            "week": rng.randint(1, 52),
            "count": rng.randint(2, 9),
            "ticket": rng.randint(1000, 9999),
        }
        sentences.append(rng.choice(pool).format(**slots))
    text = ("\n" if rng.random() < 0.1 else " ").join(sentences)
    return text[0].upper() + text[1:]


def responses(n: int, seed: int, *, all_distinct: bool = False) -> pd.DataFrame:
    """``n`` responses over ``ROUNDS`` fortnightly rounds; scores improve a little round by round.
    With ``all_distinct`` every comment ends with its own reference, so no two are the same."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        round_number = i * ROUNDS // n + 1
        lift = round_number / ROUNDS
        recommend = min(10, max(0, round(rng.gauss(6.5 + 2 * lift, 2.2))))
        satisfaction = None if rng.random() < 1 / 3 else min(5, max(1, round(recommend / 2 + rng.gauss(0, 0.8))))
        submitted = FIRST_ROUND + timedelta(weeks=2 * (round_number - 1), minutes=rng.randrange(7 * 24 * 60))
        rows.append(
            {
                "submitted_at": submitted.isoformat(sep=" "),
                "round": f"Round {round_number}",
                "stakeholder": f"Stakeholder {rng.randrange(1, 400)}",
                "recommend": recommend,
                "satisfaction": satisfaction,
                "comment": comment(rng, recommend) + (f" (ref {i + 1})" if all_distinct else ""),
            }
        )
    return pd.DataFrame(rows).astype({"satisfaction": "Int64"})


# -- timing ------------------------------------------------------------------------------------


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, parse_dates=["submitted_at"])


def analyse(path: Path, taxonomy: FeedbackTaxonomy) -> None:
    frame = read(path)
    analysed = analyse_comments(frame, taxonomy)
    nps_by_round(frame)
    csat_by_round(frame)
    theme_summary(analysed, taxonomy)
    theme_trend(analysed, taxonomy)


def medians(jobs: dict[str, Callable[[], object]], reps: int) -> dict[str, float]:
    """One untimed warm-up of each job, then ``reps`` alternating timed runs; the median of each."""
    for job in jobs.values():
        job()
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(reps):
        for name, job in jobs.items():
            started = time.perf_counter()
            job()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="timed repetitions per size (median reported)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated comments")
    parser.add_argument(
        "--all-distinct", action="store_true", help="make every comment unique (the worst case: each is scored once)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    taxonomy = feedback_taxonomy()
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="cpmkit-feedback-") as folder:
        print(f"Generating {', '.join(f'{n:,}' for n in SIZES)} responses in {folder}...", flush=True)
        paths = {}
        for n in SIZES:
            frame = responses(n, args.seed, all_distinct=args.all_distinct)
            paths[n] = Path(folder) / f"responses_{n}.csv"
            frame.to_csv(paths[n], index=False)
            distinct = frame["comment"].nunique() / n
            print(
                f"  {n:>7,} responses: {paths[n].stat().st_size / 1e6:5.1f} MB, {distinct:.0%} distinct comments, "
                f"mean {frame['comment'].str.len().mean():.0f} characters",
                flush=True,
            )
        for n in SIZES:
            print(f"Timing {n:,}: 1 warm-up + {args.reps} repetitions...", flush=True)
            jobs = {
                "read": functools.partial(read, paths[n]),
                "analysis": functools.partial(analyse, paths[n], taxonomy),
            }
            results[n] = medians(jobs, args.reps)

    small, large = SIZES
    print(f"\nMedians of {args.reps} repetitions (seconds)")
    print(f"  {'comments':>9}  {'read_csv (baseline)':>20}  {'read + analysis':>16}  {'ratio to baseline':>18}")
    for n in SIZES:
        read_s, analysis_s = results[n]["read"], results[n]["analysis"]
        print(f"  {n:>9,}  {read_s:>20.3f}  {analysis_s:>16.3f}  {analysis_s / read_s:>17.1f}x")
    for name, label in (("read", "read_csv"), ("analysis", "read + analysis")):
        growth = results[large][name] / results[small][name]
        print(f"  {large:,}/{small:,} cost ratio, {label}: {growth:.1f} (linear: about 10)")
    verdict = "PASS" if results[large]["analysis"] <= TARGET_SECONDS else "FAIL"
    print(
        f"\nTarget: {large:,} comments analysed in at most {TARGET_SECONDS:.0f} s: "
        f"{results[large]['analysis']:.2f} s  {verdict}"
    )
    print(
        f"Total run time {time.perf_counter() - started:.0f} s; machine: {os.cpu_count()} CPUs, "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Retrospective board redraws: what each open board costs its kernel when someone votes.

Every member's kernel redraws its board within 2 s of any change, so in a team of 20 each
vote costs 20 redraws on the server. One run, in this process, on a fresh SQLite file:

1. A sailboat board with ``--cards`` cards (default 60: 20 members, 3 cards each) from
   ``--members`` members, moved to the vote phase; one member's board (``RetroBoard``, no
   ticker) is drawn once.
2. ``--votes`` times, another member votes (through ``RetroStore``, as their own kernel would)
   and the board is redrawn (``refresh()``: read the board, redraw what changed).
3. Baseline, alternating with the redraws: ``RetroStore.state()`` alone, the read every redraw
   must make. The ratio is median(redraw) / median(read).

Also prints the widgets alive in the kernel (ipywidgets keeps each until it is closed) after
the first drawing and after the last redraw (target: the same), and the process's RSS growth.

Exit status is 0 whatever PASS/FAIL says (this is a measurement); non-zero only if the
measurement itself broke.

    .venv/bin/python benchmarks/retro_redraw.py [--cards 60] [--members 20] [--votes 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from ipywidgets.widgets.widget import _instances

from cpmkit.db.database import Store
from cpmkit.feedback.retro.store import RetroStore
from cpmkit.feedback.retro.ui import RetroBoard

#: A redraw may cost at most this many reads of the board (20 kernels redrawing within 2 s of
#: a change must leave the server's 2 cores free for everything else).
TARGET_RATIO = 5.0


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=60)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--votes", type=int, default=40)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cpmkit-retro-") as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'store.sqlite3'}")
        try:
            retros = RetroStore(store)
            made = retros.create_board(store.create_project("Benchmark"), "Mid-project retrospective", "sailboat", 3)
            board_id = int(made["id"])
            members = [retros.join(board_id, f"Member {n}", f"{n:032x}") for n in range(args.members)]
            columns = [c.id for c in retros.formats.format("sailboat").columns]
            cards = [
                retros.add_card(
                    board_id,
                    members[n % args.members],
                    columns[n % len(columns)],
                    f"Card {n}: something that slowed us down",
                )
                for n in range(args.cards)
            ]
            for phase in ("group", "vote"):
                retros.set_phase(board_id, phase, facilitator_key=made["facilitator_key"])
            view = RetroBoard(retros, retros.board(board_id), members[0], refresh_seconds=None)
            widgets_first, rss_first = len(_instances), _rss_mb()

            redraws: list[float] = []
            reads: list[float] = []
            voters = members[1:]
            for n in range(args.votes):
                voter = voters[n % len(voters)]
                if n // len(voters) < 3:  # each member has 3 votes
                    retros.vote(voter, cards[(n * 7) % len(cards)])
                start = time.perf_counter()
                view.refresh()
                redraws.append(time.perf_counter() - start)
                start = time.perf_counter()
                retros.state(board_id)
                reads.append(time.perf_counter() - start)
            widgets_last, rss_last = len(_instances), _rss_mb()
            assert view.live_message.value == "", view.live_message.value  # no redraw failed
        finally:
            store.close()

    redraw, read = statistics.median(redraws), statistics.median(reads)
    ratio = redraw / read
    print(
        f"Board: {args.cards} cards from {args.members} members, vote phase; {args.votes} votes by others, one redraw each"
    )
    print(f"  median read of the board (baseline): {read * 1000:7.1f} ms")
    print(
        f"  median redraw (read + draw):         {redraw * 1000:7.1f} ms   ratio {ratio:.1f}x   target <= {TARGET_RATIO:.0f}x   "
        f"{'PASS' if ratio <= TARGET_RATIO else 'FAIL'}"
    )
    print(
        f"  widgets alive: {widgets_first:,} after the first drawing, {widgets_last:,} after the last redraw   "
        f"{'PASS' if widgets_last <= widgets_first else 'FAIL'} (target: no more)"
    )
    print(f"  process RSS: {rss_first:.0f} MB after the first drawing, {rss_last:.0f} MB after the last redraw")
    return 0


if __name__ == "__main__":
    sys.exit(main())

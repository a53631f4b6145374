"""How many pages (kernels) a server can hold: the cap it starts with, and how many more people it
can take right now, from its memory and that cap. Pure: the caller measures the memory.

Every open page runs its own kernel, so memory is what runs out first. A kernel's memory is
budgeted at ``KERNEL_BUDGET_BYTES``, its own memory (USS) at its largest, once a participant has
seen the results, plus the server's own growth per open page, measured with
``benchmarks/page_memory.py``. Only ``MEMORY_SHARE`` of the memory free is counted: the
rest is left to the server, the database and the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "FORKED_KERNEL_BUDGET_BYTES",
    "KERNEL_BUDGET_BYTES",
    "MEMORY_SHARE",
    "MIN_KERNELS",
    "Capacity",
    "default_cap",
    "kernel_budget",
    "kernels_fitting",
]

#: A page's kernel at its largest (about 90 MB USS after the results) and the server's share of it,
#: for a kernel started as a new Python (``cpmkit serve --no-fork-kernels``).
KERNEL_BUDGET_BYTES: Final = 150 * 1024 * 1024
#: The same for a kernel forked from the zygote (``cpmkit serve``'s default), which shares the
#: modules the zygote imported: about 50 MB of its own after the results, and the server's share.
FORKED_KERNEL_BUDGET_BYTES: Final = 64 * 1024 * 1024
#: The part of the free memory kernels may take.
MEMORY_SHARE: Final = 0.75
#: A server always takes a few pages, whatever the memory says.
MIN_KERNELS: Final = 4


def kernel_budget(forked: bool) -> int:
    """The memory one page's kernel is planned at: forked from the zygote, or a new Python."""
    return FORKED_KERNEL_BUDGET_BYTES if forked else KERNEL_BUDGET_BYTES


def kernels_fitting(available_bytes: int, kernel_bytes: int = KERNEL_BUDGET_BYTES) -> int:
    """How many more kernels of ``kernel_bytes`` fit in ``MEMORY_SHARE`` of ``available_bytes`` free."""
    return max(0, int(available_bytes * MEMORY_SHARE)) // kernel_bytes


def default_cap(available_bytes: int, kernel_bytes: int = KERNEL_BUDGET_BYTES) -> int:
    """The kernel cap of a server started with ``available_bytes`` free: as many as fit, and at least
    ``MIN_KERNELS``."""
    return max(MIN_KERNELS, kernels_fitting(available_bytes, kernel_bytes))


@dataclass(frozen=True)
class Capacity:
    """A server's state now: its kernel cap, the kernels running, the memory free and the memory
    a kernel is planned at (bytes)."""

    cap: int
    running: int
    available_bytes: int
    kernel_bytes: int = KERNEL_BUDGET_BYTES

    @property
    def room_left(self) -> int:
        """How many more pages it can open now: below the cap, and in the memory free."""
        return max(0, min(self.cap - self.running, kernels_fitting(self.available_bytes, self.kernel_bytes)))

    def sentence(self) -> str:
        """What a trainer reads on the dashboard."""
        free = f"{self.available_bytes / 2**30:.1f} GB free"
        pages = f"{self.running} open page{'' if self.running == 1 else 's'} of a cap of {self.cap}"
        left = self.room_left
        if left == 0:
            return f"This server is full now: it can take no more participants ({pages}; {free})."
        people = "participant" if left == 1 else "participants"
        return f"This server can take about {left} more {people} now ({pages}; {free})."

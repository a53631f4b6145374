"""Unit tests of cpmkit.core.capacity: the kernel cap a server starts with, and how many more
people it can take now."""

from __future__ import annotations

import pytest

from cpmkit.core.capacity import (
    FORKED_KERNEL_BUDGET_BYTES,
    KERNEL_BUDGET_BYTES,
    MEMORY_SHARE,
    MIN_KERNELS,
    Capacity,
    default_cap,
    kernel_budget,
    kernels_fitting,
)

GB = 2**30


def test_kernels_fit_in_a_share_of_the_free_memory() -> None:
    assert kernels_fitting(0) == 0
    assert kernels_fitting(-GB) == 0
    assert kernels_fitting(int(KERNEL_BUDGET_BYTES / MEMORY_SHARE)) == 1
    assert kernels_fitting(int(KERNEL_BUDGET_BYTES / MEMORY_SHARE) - 1) == 0
    assert kernels_fitting(24 * GB) * KERNEL_BUDGET_BYTES <= MEMORY_SHARE * 24 * GB


def test_forked_kernels_are_planned_smaller_so_more_fit() -> None:
    """A forked kernel shares the zygote's modules: a 24 GB machine plans 200 of them and more."""
    assert kernel_budget(forked=True) == FORKED_KERNEL_BUDGET_BYTES < kernel_budget(forked=False) == KERNEL_BUDGET_BYTES
    assert default_cap(22 * GB, kernel_budget(forked=True)) >= 200 > default_cap(22 * GB, kernel_budget(forked=False))
    assert Capacity(400, 0, 3 * GB, FORKED_KERNEL_BUDGET_BYTES).room_left == kernels_fitting(
        3 * GB, FORKED_KERNEL_BUDGET_BYTES
    )


def test_the_default_cap_is_what_fits_and_never_below_a_few() -> None:
    assert default_cap(24 * GB) == kernels_fitting(24 * GB) > MIN_KERNELS
    assert default_cap(0) == MIN_KERNELS


@pytest.mark.parametrize(
    ("cap", "running", "available", "left"),
    [
        (60, 40, 24 * GB, 20),  # the cap decides
        (200, 40, 3 * GB, kernels_fitting(3 * GB)),  # the memory decides
        (50, 50, 24 * GB, 0),  # full
        (50, 53, 24 * GB, 0),  # over the cap (kernels started before a lower cap): still none
        (50, 10, 0, 0),  # no memory left
    ],
)
def test_room_left_is_the_smaller_of_the_cap_and_the_memory(cap: int, running: int, available: int, left: int) -> None:
    assert Capacity(cap, running, available).room_left == left


def test_the_trainer_reads_it_in_plain_words() -> None:
    assert Capacity(60, 40, 24 * GB).sentence() == (
        "This server can take about 20 more participants now (40 open pages of a cap of 60; 24.0 GB free)."
    )
    assert Capacity(2, 1, 24 * GB).sentence() == (
        "This server can take about 1 more participant now (1 open page of a cap of 2; 24.0 GB free)."
    )
    assert Capacity(50, 50, 3 * GB // 2).sentence() == (
        "This server is full now: it can take no more participants (50 open pages of a cap of 50; 1.5 GB free)."
    )

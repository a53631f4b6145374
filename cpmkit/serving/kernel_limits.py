"""A memory limit for a workbook's kernel, from ``CPMKIT_KERNEL_MEMORY_MB``.

Each Voila page runs its own kernel; one page that asks for too much memory (a huge upload,
a runaway computation) must fail on its own with a plain message, not take the server's
memory from everybody else. The limit is set on the kernel's process when its workbook app
starts (``safe_app``), so an allocation beyond it raises ``MemoryError``, which the widget
guard turns into "This page ran out of memory ...".

The limit is ``RLIMIT_DATA`` (heap and private writable memory), not ``RLIMIT_AS``: the
address space counts what is only reserved, not used. A workbook kernel reserves about 1 GB
of address space (shared libraries, OpenBLAS's per-thread buffers, malloc's per-thread
arenas; more on machines with more cores) while it uses about 120 MB, so an address-space
limit that does not break numpy's import (it fails at 800 MB) says little about memory.
Measured on a soft-skills page after a BLAS product and a pandas group-by: VmPeak 1.10 GB,
VmData 318 MB, VmRSS 144 MB; the page works under a 400 MB data limit.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Mapping

from cpmkit.errors import ConfigError

__all__ = ["MEMORY_ENV", "limit_kernel_memory", "memory_limit_bytes"]

#: Megabytes of data (heap and private writable memory) a kernel may use; unset means no limit.
MEMORY_ENV = "CPMKIT_KERNEL_MEMORY_MB"
#: A kernel needs about 320 MB of data to run a workbook: a smaller limit is a mistake.
MINIMUM_MB = 256


def memory_limit_bytes(environ: Mapping[str, str] = os.environ) -> int | None:
    """The limit ``CPMKIT_KERNEL_MEMORY_MB`` asks for, in bytes; None when it is unset or empty."""
    text = environ.get(MEMORY_ENV, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ConfigError(
            f"{MEMORY_ENV} must be a whole number of megabytes (such as 1024), not {text!r}.",
            setting=MEMORY_ENV,
            value=text,
        )
    megabytes = int(text)
    if megabytes < MINIMUM_MB:
        raise ConfigError(
            f"{MEMORY_ENV}={megabytes} is too small: a workbook's kernel needs about 320 MB; "
            f"give it at least {MINIMUM_MB}.",
            setting=MEMORY_ENV,
            value=text,
        )
    return megabytes * 2**20


def limit_kernel_memory(environ: Mapping[str, str] = os.environ) -> int | None:
    """Limit this process's data memory as ``CPMKIT_KERNEL_MEMORY_MB`` says; return the limit
    set in bytes, or None when there is none to set.

    Both the soft and the hard limit are lowered (never raised above a hard limit already
    there), so nothing the kernel runs later can lift it. Call it in the kernel only: it
    lasts for the rest of the process.
    """
    limit = memory_limit_bytes(environ)
    if limit is None:
        return None
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    return limit

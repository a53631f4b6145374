"""The server's kernel cap and count, for its kernels to read: the trainer's dashboard says how
many more participants the server can take (``cpmkit.core.capacity``).

A kernel is a process of its own and cannot ask the server's kernel manager. So the server
writes its cap and the number of kernels it runs to a small JSON file whenever a kernel starts
or goes (``web_gate.BoundKernelManager``), and names that file in its environment, which every
kernel it starts inherits; a kernel reads the file when it wants the figures, and the memory free
on the machine, where it is. The count is the very one the gate compares with the cap; no
request, port or credential is involved, and nothing in the file is secret.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import tempfile
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import psutil

from cpmkit.core.capacity import Capacity

__all__ = ["KERNEL_COUNT_ENV", "KernelCountFile", "server_capacity"]

#: Where the server's kernels find the file (set by the server for the kernels it starts).
KERNEL_COUNT_ENV: Final = "CPMKIT_KERNEL_COUNT_FILE"


@dataclass(frozen=True)
class KernelCountFile:
    """The file one server process keeps its cap, its kernels' planned memory and their count in."""

    path: Path
    cap: int
    kernel_bytes: int

    @classmethod
    def create(cls, cap: int, kernel_bytes: int, environ: MutableMapping[str, str] = os.environ) -> KernelCountFile:
        """A new file for this process (removed when it exits), named in ``environ`` for the
        kernels it starts, and saying no kernel runs yet."""
        fd, name = tempfile.mkstemp(prefix="cpmkit-kernels-", suffix=".json")
        os.close(fd)
        made = cls(Path(name), cap, kernel_bytes)
        atexit.register(made.remove)
        environ[KERNEL_COUNT_ENV] = name
        made.write(0)
        return made

    def write(self, running: int) -> None:
        """Say that ``running`` kernels run now (whole or not at all: a reader never sees half)."""
        fd, name = tempfile.mkstemp(prefix=self.path.name, dir=self.path.parent)
        with os.fdopen(fd, "w") as file:
            json.dump({"cap": self.cap, "running": running, "kernel_bytes": self.kernel_bytes}, file)
        os.replace(name, self.path)

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def server_capacity(environ: Mapping[str, str] = os.environ) -> Capacity | None:
    """The capacity of the server that started this kernel, now; None outside ``cpmkit serve``
    (in JupyterLab) or if its file cannot be read."""
    name = environ.get(KERNEL_COUNT_ENV)
    if not name:
        return None
    try:
        data = json.loads(Path(name).read_text())
        cap, running, kernel_bytes = int(data["cap"]), int(data["running"]), int(data["kernel_bytes"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Capacity(cap, running, int(psutil.virtual_memory().available), kernel_bytes)

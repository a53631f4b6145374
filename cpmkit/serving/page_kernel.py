"""ipykernel as a page's kernel forked from the zygote: the same kernel, started without three
steps that copy the zygote's memory for nothing a page uses.

A forked kernel shares what the zygote imported until it writes to it, and in Python reading an
object writes its reference count: the first touch of an object copies the memory page it sits
on. Four steps of ipykernel's start touch objects all over the zygote's memory (measured in a
kernel forked from the zygote, which holds about 1,700 modules):

* ``IPythonKernel.__init__`` lists every module's file for its debugger: 11 MB per kernel.
  Voila passes a page's kernel only widget and kernel-info messages, never a debug request, so a
  page kernel has no debugger and lists nothing (ipykernel#1543 builds the debugger lazily,
  unreleased);
* IPython keeps the names of every module loaded, for ``%reset -f --aggressive`` alone: 3 MB.
  A page kernel keeps none, and that command says so, as IPython does without a snapshot;
* traitlets builds a parser over every configurable class to read ``-f <connection file>``, the
  one argument the server gives a kernel: 4 MB. That command line is read as it is.

The figures overlap (two steps may touch the same page): together, a participant's kernel holds
9 MB less of its own once its page shows (USS 38.9 -> 29.7 MB) and 8 MB less on the results.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, ClassVar

import ipykernel.debugger
import ipykernel.ipkernel
import IPython.core.shellapp
from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp
from ipykernel.kernelbase import Kernel
from traitlets import Type
from traitlets.config import Config

__all__ = ["PageKernel", "PageKernelApp", "run_page_kernel"]


class _SysWithoutModules:
    """``sys`` with no module loaded, everything else the real ``sys`` (read and written)."""

    modules: ClassVar[Mapping[str, Any]] = MappingProxyType({})

    def __getattr__(self, name: str) -> Any:
        return getattr(sys, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(sys, name, value)  # e.g. IPython setting sys.argv for a startup file


@contextmanager
def _modules_unlisted(module: Any) -> Iterator[None]:
    """While in the block, ``module``'s code sees no module loaded (so lists none)."""
    module.sys = _SysWithoutModules()
    try:
        yield
    finally:
        module.sys = sys


class PageKernel(IPythonKernel):
    """ipykernel's kernel, built without listing every module's file: only its debugger reads
    that list, and ``run_page_kernel`` runs a page kernel without one."""

    def __init__(self, **kwargs: Any) -> None:
        with _modules_unlisted(ipykernel.ipkernel):
            super().__init__(**kwargs)  # type: ignore[no-untyped-call]


class PageKernelApp(IPKernelApp):
    """ipykernel's application running a ``PageKernel``, reading ``-f <connection file>`` as it is
    and any other command line as ipykernel does, and keeping no snapshot of the modules loaded."""

    kernel_class = Type(PageKernel, klass=Kernel, help="The kernel a page runs.").tag(config=True)

    def parse_command_line(self, argv: list[str] | None = None) -> None:
        if argv is None or len(argv) != 2 or argv[0] != "-f":
            super().parse_command_line(argv)
            return
        self.argv = list(argv)
        self.cli_config = Config({"IPKernelApp": {"connection_file": argv[1]}})
        self.update_config(self.cli_config)

    def init_code(self) -> None:
        with _modules_unlisted(IPython.core.shellapp):
            super().init_code()  # type: ignore[no-untyped-call]
        del self.shell._sys_modules_keys  # type: ignore[union-attr]  # an empty snapshot would make --aggressive unload every module


def run_page_kernel(argv: Sequence[str]) -> None:
    """Run a page's kernel with ipykernel's arguments ``argv`` in this process, freshly forked
    from the zygote, until the kernel ends."""
    ipykernel.debugger._is_debugpy_available = False  # read at each use
    app = PageKernelApp.instance()
    app.initialize(list(argv))  # type: ignore[no-untyped-call]
    # ipywidgets registers its comm targets when it is imported in a running kernel, and it was
    # imported in the zygote before there was one: without them a page cannot fetch every
    # widget's state at once (jupyter.widget.control), as Voila's front end first tries.
    ipywidgets = sys.modules.get("ipywidgets")
    if ipywidgets is not None:
        ipywidgets.register_comm_target()
    app.start()  # type: ignore[no-untyped-call]

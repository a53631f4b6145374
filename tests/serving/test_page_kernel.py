"""A page's kernel forked from the zygote: ipykernel less the steps that copy the zygote's memory
for nothing a page uses. What a kernel holds of its own is measured by benchmarks/kernel_fork.py."""

from __future__ import annotations

from pathlib import Path

from cpmkit.serving.forking import Zygote
from cpmkit.serving.page_kernel import PageKernel, PageKernelApp
from tests.serving._forked import REPLY_TIMEOUT, evaluate, fork


def test_a_forked_kernel_is_a_page_kernel_without_debugger_or_lists_of_modules(zygote: Zygote, tmp_path: Path) -> None:
    kernel, client = fork(zygote, tmp_path)
    try:
        client.kernel_info()
        info = client.get_shell_msg(timeout=REPLY_TIMEOUT)["content"]
        assert info["status"] == "ok" and "debugger" not in info["supported_features"]
        shell = "get_ipython()"
        assert evaluate(client, f"type({shell}.kernel).__name__") == repr(PageKernel.__name__)
        assert evaluate(client, f"{shell}.kernel._kernel_modules") == "[]"
        assert evaluate(client, f"hasattr({shell}.kernel, 'debugger')") == "False"
        # No snapshot of sys.modules, and IPython's aggressive reset says so instead of unloading all.
        assert evaluate(client, f"hasattr({shell}, '_sys_modules_keys')") == "False"
        # Both modules see the real sys again once the kernel is built, and the kernel still runs code.
        real = "__import__('sys').modules['ipykernel.ipkernel'].sys is __import__('sys')"
        assert evaluate(client, real) == "True"
        assert evaluate(client, "__import__('sys').modules['IPython.core.shellapp'].sys is __import__('sys')") == "True"
        assert evaluate(client, "sum(range(10))", "import math") == "45"
        assert evaluate(client, "len(__import__('sys').modules) > 1000") == "True"
    finally:
        client.shutdown()
        client.stop_channels()
    assert kernel.wait(timeout=REPLY_TIMEOUT) == 0


def test_the_servers_command_line_is_read_as_it_is_and_any_other_as_ipykernel_reads_it() -> None:
    app = PageKernelApp()
    app.parse_command_line(["-f", "/run/kernel-1.json"])
    assert app.connection_file == "/run/kernel-1.json" and app.argv == ["-f", "/run/kernel-1.json"]

    other = PageKernelApp()
    other.parse_command_line(["--IPKernelApp.connection_file=/run/k.json", "--IPKernelApp.ip=127.0.0.2"])
    assert other.connection_file == "/run/k.json" and other.ip == "127.0.0.2"

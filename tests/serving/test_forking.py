"""The zygote and the fork provisioner without Voila: a real zygote forks real kernels, which a
jupyter_client talks to over their connection files (ipc, as ``cpmkit serve`` runs them). The
whole server path is tests/browser/test_forked_kernels.py."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from cpmkit.serving import forking
from cpmkit.serving.forking import Zygote, ipykernel_argv
from cpmkit.serving.zygote import fork_refusal
from tests.serving._forked import REPLY_TIMEOUT, ZYGOTE_READY_TIMEOUT, ended, evaluate, fork


def test_forked_kernels_run_with_their_own_environment_folder_and_random_state(zygote: Zygote, tmp_path: Path) -> None:
    first, one = fork(zygote, tmp_path, CPMKIT_TEST_NAME="one")
    second, two = fork(zygote, tmp_path, CPMKIT_TEST_NAME="two")
    try:
        assert evaluate(one, "__import__('os').environ['CPMKIT_TEST_NAME']") == "'one'"
        assert evaluate(two, "__import__('os').environ['CPMKIT_TEST_NAME']") == "'two'"
        # The kernel's environment is the one asked for, not the zygote's with additions.
        assert evaluate(one, "'OPENBLAS_NUM_THREADS' in __import__('os').environ") == "False"
        assert evaluate(one, "__import__('os').getcwd()") == repr(str(tmp_path))
        # The zygote's random state is not shared: each child was seeded afresh.
        draws = [evaluate(client, "__import__('random').random()") for client in (one, two)]
        assert draws[0] != draws[1]
        numpy_draws = [evaluate(client, "__import__('numpy').random.random()") for client in (one, two)]
        assert numpy_draws[0] != numpy_draws[1]
        # A workbook's modules were imported before the fork: the child has them already.
        assert evaluate(one, "'cpmkit.soft_skills.ui.assessment' in __import__('sys').modules") == "True"
        for kernel in (first, second):
            process = psutil.Process(kernel.pid)
            assert zygote.process is not None and process.ppid() == zygote.process.pid
            assert os.getsid(kernel.pid) == kernel.pid  # a session (and process group) of its own
    finally:
        for client in (one, two):
            client.shutdown()
            client.stop_channels()
    assert first.wait(timeout=REPLY_TIMEOUT) == 0 and second.wait(timeout=REPLY_TIMEOUT) == 0
    assert ended(first.pid, timeout=5)  # the zygote reaped it: no zombie left


def test_a_forked_kernel_has_the_servers_resource_limits_and_keeps_to_its_memory_limit(
    zygote: Zygote, tmp_path: Path
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft - 8, hard))  # the server's now differs from the zygote's
    try:
        kernel, client = fork(zygote, tmp_path, CPMKIT_KERNEL_MEMORY_MB="400")
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        assert evaluate(client, "resource.getrlimit(resource.RLIMIT_NOFILE)", "import resource") == repr(
            (soft - 8, hard)
        )
        # What a workbook's safe_app does first: the limit holds in a forked kernel too.
        limit = "__import__('cpmkit.serving.kernel_limits', fromlist=['_']).limit_kernel_memory()"
        assert evaluate(client, limit) == str(400 * 2**20)
        allocate = (
            "try:\n    _big = bytearray(600 * 2**20)\n    _got = 'allocated'\nexcept MemoryError:\n    _got = 'refused'"
        )
        assert evaluate(client, "_got", allocate) == "'refused'"
        assert evaluate(client, "len(bytearray(20 * 2**20))") == str(20 * 2**20)  # the kernel still works
    finally:
        client.shutdown()
        client.stop_channels()
    assert kernel.wait(timeout=REPLY_TIMEOUT) == 0


def test_a_kernel_the_server_hangs_up_on_is_killed_and_signals_reach_it(zygote: Zygote, tmp_path: Path) -> None:
    kernel, client = fork(zygote, tmp_path)
    client.stop_channels()
    assert kernel.poll() is None
    kernel.close()  # as the provisioner's cleanup does if the kernel still runs
    assert ended(kernel.pid)

    other, client = fork(zygote, tmp_path)
    client.stop_channels()
    other.terminate()
    assert other.wait(timeout=REPLY_TIMEOUT) != 0


def test_a_zygote_that_died_is_started_again_and_meanwhile_kernels_start_the_usual_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forking, "RESTART_SECONDS", 0)
    zygote = Zygote()
    try:
        assert zygote.fork(["-f", str(tmp_path / "k.json")], dict(os.environ), str(tmp_path)) == (
            "the zygote is not running"
        )  # never started: started now, importing
        assert zygote.process is not None
        first = zygote.process
        first.kill()
        first.wait()
        assert isinstance(zygote.fork(["-f", "k.json"], dict(os.environ), str(tmp_path)), str)
        assert zygote.process is not first and zygote.process.poll() is None  # started again
    finally:
        zygote.stop()
    assert not zygote.folder.exists()


def test_the_zygote_refuses_to_fork_with_a_second_thread() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert "threads" in (fork_refusal() or "")
    finally:
        stop.set()
        thread.join()


def test_only_this_pythons_ipykernel_is_forked() -> None:
    assert ipykernel_argv([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"]) == ["-f", "k.json"]
    assert ipykernel_argv(["/usr/bin/other-python", "-m", "ipykernel_launcher", "-f", "k.json"]) is None
    assert ipykernel_argv([sys.executable, "-m", "some_other_kernel", "-f", "k.json"]) is None
    assert ipykernel_argv(["R", "--slave"]) is None


def test_the_zygote_ends_with_the_server_and_takes_its_kernels_along(tmp_path: Path) -> None:
    zygote = Zygote()
    zygote.start()
    try:
        deadline = time.monotonic() + ZYGOTE_READY_TIMEOUT
        while not zygote.socket_path.exists():
            assert time.monotonic() < deadline, "the zygote never listened"
            time.sleep(0.1)
        kernel, client = fork(zygote, tmp_path)
        client.stop_channels()
        assert zygote.process is not None and zygote.process.stdin is not None
        zygote.process.stdin.close()  # what the server's end does, however it ends
        assert zygote.process.wait(timeout=REPLY_TIMEOUT) == 0
        assert ended(kernel.pid, orphan=True)
        kernel.close()
    finally:
        zygote.stop()


def test_a_participant_imports_nothing_the_zygote_has_not_from_arriving_to_the_results(tmp_path: Path) -> None:
    """A module a kernel imports itself is memory of its own, not shared with the zygote:
    Alembic's check alone was 10 MB a kernel; so is a table it builds (and CPU of its own). The
    participant's page, from joining to the results."""
    script = textwrap.dedent(
        f"""
        import sys
        from cpmkit.serving.zygote import prepare
        prepare()
        preloaded = set(sys.modules)
        from cpmkit.core import fields
        tables = [fields._prototypes, fields._look_alike_capitals]
        built = [table.cache_info().misses for table in tables]
        from cpmkit.db.database import Store
        from cpmkit.soft_skills.bank import default_bank
        from cpmkit.soft_skills.store import AssessmentStore
        from cpmkit.soft_skills.ui.assessment import SoftSkillsApp
        store = Store.open("sqlite:///{tmp_path / "page.sqlite3"}")
        _id, code, _key = AssessmentStore(store).create_workshop("Room", bank="soft_skills", rounds=["before"])
        app = SoftSkillsApp(store, query=f"code={{code}}")
        app.start.name.value = "Ada"
        app.start.join.click()
        for _competency in default_bank().competencies:
            for toggle in app.questions.toggles.values():
                toggle.value = 3
            app.questions.next.click()
        assert app.results is not None and app.participant["display_name"] == "Ada"
        store.close()
        assert [table.cache_info().misses for table in tables] == built, "a table was built after the fork"
        print(sorted(set(sys.modules) - preloaded))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"

"""The Voila child process used by the browser tests and the benchmark: it answers, and
nothing it started outlives it."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import psutil
import pytest

from cpmkit.cli import serve_env
from cpmkit.errors import CpmkitError
from cpmkit.serving.server import process_kind, running_voila, with_options

BENCHMARK_EMPTY = Path(__file__).resolve().parents[2] / "benchmarks" / "empty.ipynb"


def test_server_answers_and_leaves_no_kernel_behind(tmp_path: Path) -> None:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "empty.ipynb").write_bytes(BENCHMARK_EMPTY.read_bytes())
    env = serve_env(
        {**os.environ, "CPMKIT_DB_URL": f"sqlite:///{tmp_path / 's.sqlite3'}", "CPMKIT_DATA_DIR": str(tmp_path)}
    )
    with running_voila(notebooks, env=env, log_file=tmp_path / "voila.log") as server:
        assert server.store_url == env["CPMKIT_DB_URL"]
        server.add_owner("pm", "a long password")
        cookies = "; ".join(f"{k}={v}" for k, v in server.session_cookies("pm", "a long password").items())
        # A notebook notebooks.yaml does not list is an owner's page: served once signed in.
        request = urllib.request.Request(server.url("empty.ipynb"), headers={"Cookie": cookies})
        with urllib.request.urlopen(request, timeout=60) as page:
            assert "ready" in page.read().decode()  # rendering the page ran the notebook in a kernel
        kernels = server.kernels()
        assert len(kernels) == 1
    assert server.process.poll() is not None
    assert not [k for k in kernels if k.is_running() and k.status() != psutil.STATUS_ZOMBIE], (
        "a kernel outlived the server"
    )


def test_a_server_that_cannot_start_is_a_plain_error(tmp_path: Path) -> None:
    env = serve_env({**os.environ, "CPMKIT_DB_URL": f"sqlite:///{tmp_path / 's.sqlite3'}"})
    with (
        pytest.raises(CpmkitError, match="Voila did not start"),
        running_voila(tmp_path / "missing", env=env, log_file=tmp_path / "voila.log", attempts=1),
    ):
        pass


def test_signing_in_for_a_client_gives_its_cookies_and_a_wrong_password_is_a_plain_error(tmp_path: Path) -> None:
    env = serve_env(
        {**os.environ, "CPMKIT_DB_URL": f"sqlite:///{tmp_path / 's.sqlite3'}", "CPMKIT_DATA_DIR": str(tmp_path)}
    )
    with running_voila(tmp_path, env=env, log_file=tmp_path / "voila.log") as server:
        server.add_owner("pm", "a long password", admin=False)
        assert set(server.session_cookies("pm", "a long password")) == {"cpmkit-browser", "cpmkit-session", "_xsrf"}
        with pytest.raises(CpmkitError, match="Signing in as 'pm' was refused \\(403\\)"):
            server.session_cookies("pm", "not the password")


def test_an_added_option_replaces_the_one_of_the_same_name() -> None:
    command = ["python", "-m", "voila", "nb", "--port=1", "--CpmkitVoila.max_kernels=0", "--no-browser"]
    assert with_options(command, ["--CpmkitVoila.max_kernels=400", "--Flag"]) == [
        *("python", "-m", "voila", "nb", "--port=1", "--no-browser"),
        *("--CpmkitVoila.max_kernels=400", "--Flag"),
    ]


def test_kernels_are_told_from_the_zygote_by_command_line_and_parent() -> None:
    started = ["/usr/bin/python", "-m", "ipykernel_launcher", "-f", "/tmp/kernel-1.json"]
    zygote = ["/usr/bin/python", "-m", "cpmkit.serving.zygote", "/tmp/z/fork.sock"]
    worker = ["/usr/bin/python", "-m", "cpmkit.serving.voila_app", "--BoundKernelManager.worker=2"]
    assert process_kind(started, worker) == "kernel"
    assert process_kind(zygote, worker) == "zygote"
    assert process_kind(zygote, zygote) == "kernel"  # forked from it: its command line
    assert process_kind(["/usr/bin/gcc", "x.c"], started) == "other"
    assert process_kind(["/usr/sbin/nginx", "-c", "/tmp/nginx.conf"], []) == "other"

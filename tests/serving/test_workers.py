"""Unit tests of cpmkit.serving.workers and the worker options of ``cpmkit serve``: the nginx
configuration, kernel ids that name their worker, and the recipe's nginx.conf kept in step.
A real ``cpmkit serve --workers 2`` is driven by tests/browser/test_workers.py."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from jupyter_server.services.kernels.handlers import _kernel_id_regex

from cpmkit import cli
from cpmkit.accounts.store import AccountStore
from cpmkit.db.database import Store
from cpmkit.serving import workers
from cpmkit.serving.server import running_voila
from cpmkit.serving.web_gate import BROWSER_COOKIE, BoundKernelManager, worker_prefix
from cpmkit.soft_skills.store import AssessmentStore
from tests._kernel_client import KernelSocket, open_page
from tests._repository import REPO_NOTEBOOKS

ROOT = Path(__file__).resolve().parents[2]
#: The recipe's nginx.conf and the command that writes it (docs/deploy.md).
RECIPE_CONFIG = ROOT / "docs" / "deploy" / "nginx.conf"
#: The workshop participant's page, opened with the room's join code.
PARTICIPANT_PAGE = "02_soft_skills.ipynb"
RECIPE_COMMAND = ["proxy-config", "--listen", "80", "worker1:8866", "worker2:8866", "worker3:8866"]


def _nginx() -> str:
    try:
        return workers.nginx_binary()
    except Exception:
        if os.environ.get("CI", "").lower() == "true":
            raise  # `make test` installs nginx
        pytest.skip("nginx is not installed (Debian: apt install nginx, or run `make test`).")


def test_a_kernels_requests_go_to_the_worker_its_id_names() -> None:
    config = workers.nginx_config(["10.0.0.1:8866", "10.0.0.2:8866"], listen="80")
    for number, address in ((1, "10.0.0.1:8866"), (2, "10.0.0.2:8866")):
        location = re.search(
            rf"location ~ \^/\(\?:api/kernels\|voila/api/shutdown\)/{worker_prefix(number)} \{{\s*proxy_pass http://([^;]+);",
            config,
        )
        assert location is not None and location.group(1) == address, config
    # A beacon sent as the browser quits is still passed on.
    assert config.count("proxy_ignore_client_abort on;") == 2
    assert re.search(r"location /voila/query/ \{\s*return 404;", config)  # kernels' own channel stays inside


def test_pages_go_by_the_browser_cookie_not_the_address_nor_a_shared_link() -> None:
    config = workers.nginx_config(["a:1", "b:2"], listen="80")
    assert "hash $cpmkit_browser consistent;" in config
    assert "proxy_next_upstream error timeout http_502 http_503;" in config  # a full worker passes pages on
    cookie = re.search(r'"~\(\?:\^\|;\)\\s\*([\w-]+)=\(\?<browser>', config)
    assert cookie is not None and cookie.group(1) == BROWSER_COOKIE
    for not_a_key in ("$remote_addr consistent", "ip_hash", "$arg_code", "$arg_pulse", "$arg_board"):
        assert not_a_key not in config
    # A full worker's 503 passes the page on without taking the worker out of service.
    assert re.search(r"upstream cpmkit_workers \{[^}]*server a:1 max_fails=0;\s*server b:2 max_fails=0;", config)


def test_links_and_websockets_survive_the_proxy() -> None:
    config = workers.nginx_config(["a:1"], listen="127.0.0.1:8866")
    for header in (
        "proxy_set_header Host $http_host;",  # links are built on the Host the browser sent
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $cpmkit_connection;",
        "proxy_set_header X-Real-IP $remote_addr;",  # per-address limits count clients, not nginx
        "proxy_http_version 1.1;",
        "listen 127.0.0.1:8866;",
    ):
        assert header in config


def test_nginx_accepts_the_configuration_it_runs_with(tmp_path: Path) -> None:
    config = tmp_path / "nginx.conf"
    config.write_text(
        workers.nginx_config(["127.0.0.1:9001", "127.0.0.1:9002"], listen="127.0.0.1:9000", state_dir=tmp_path)
    )
    checked = subprocess.run(
        [_nginx(), "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("host", "listen"),
    [("127.0.0.1", "127.0.0.1:8866"), ("0.0.0.0", "0.0.0.0:8866"), ("::", "[::]:8866"), ("", "8866")],
)
def test_serves_host_and_port_become_nginxs_listen(host: str, listen: str) -> None:
    assert workers.listen_address(host, 8866) == listen


def test_worker_kernel_ids_start_with_its_number_and_still_match_jupyters_routes() -> None:
    kernel_id = BoundKernelManager(worker=2).new_kernel_id()
    assert kernel_id.startswith("w2_") and re.fullmatch(_kernel_id_regex, kernel_id), kernel_id
    only = BoundKernelManager().new_kernel_id()
    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", only), only  # one server: a plain uuid


def test_a_worker_numbers_its_kernels_trusts_the_proxys_address_and_keeps_its_port() -> None:
    command = cli.voila_command(Path("nb"), host="127.0.0.1", port=9001, max_kernels=7, worker=2)
    for option in (
        "--BoundKernelManager.worker=2",
        "--CpmkitVoila.behind_proxy=True",
        "--Voila.port_retries=0",
        "--CpmkitVoila.max_kernels=7",
    ):
        assert option in command
    alone = cli.voila_command(Path("nb"), host="127.0.0.1", port=9001)
    assert not any("worker" in part or "behind_proxy" in part for part in alone)


@pytest.mark.parametrize("options", [["--workers", "0"], ["--worker", "-1"], ["--workers", "2", "--worker", "1"]])
def test_serve_refuses_worker_options_that_make_no_sense(
    options: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", *options]) == 2
    assert "--worker" in capsys.readouterr().err


def test_the_recipes_nginx_conf_is_what_proxy_config_writes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(RECIPE_COMMAND) == 0
    assert RECIPE_CONFIG.read_text() == capsys.readouterr().out, f"regenerate it: cpmkit {' '.join(RECIPE_COMMAND)}"


def test_serve_with_workers_asks_for_the_first_account_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each worker would offer its own first-run link, and nginx sends a browser to any worker."""
    monkeypatch.setenv("CPMKIT_DB_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    assert cli.main(["serve", "--workers", "2"]) == 2
    assert "cpmkit users add NAME --admin" in capsys.readouterr().err


def test_a_worker_among_machines_refuses_a_sqlite_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each machine would write to its own file: the room's answers split among them."""
    monkeypatch.setenv("CPMKIT_DB_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    assert cli.main(["serve", "--worker", "1"]) == 2
    assert "CPMKIT_DB_URL" in capsys.readouterr().err


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_serve_with_workers_splits_the_cap_passes_the_scheme_on_and_leaves_no_process_behind(
    stop: signal.Signals, tmp_path: Path
) -> None:
    """``cpmkit serve --workers 2 --max-kernels 3`` (on SQLite, one machine): each worker caps
    at 1, so the machine's 3 holds; a request through nginx that came over HTTPS before it gets a
    Secure browser cookie. One browser opens two pages through nginx: the second reaches the
    other worker (a full worker passes it on), and each page's websocket reaches its kernel; a
    third is told the server is full. Then SIGTERM (a service manager), SIGINT (Ctrl+C) or
    SIGHUP (its terminal closed) to ``serve`` alone stops nginx, both workers and the kernels."""
    _nginx()
    store_url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    store = Store.open(store_url)
    try:
        AccountStore(store).add_user("pm", "a password for this test", admin=True)
        _, code, _ = AssessmentStore(store).create_workshop("Stopping", bank="soft_skills", rounds=["before"])
    finally:
        store.close()
    env = cli.serve_env({**os.environ, "CPMKIT_DB_URL": store_url, "CPMKIT_DATA_DIR": str(tmp_path)})
    with running_voila(REPO_NOTEBOOKS, env=env, log_file=tmp_path / "serve.log", max_kernels=3, workers=2) as server:
        processes = psutil.Process(server.process.pid).children(recursive=True)
        voilas = [p.cmdline() for p in processes if "voila" in " ".join(p.cmdline())]
        assert len(voilas) == 2 and all("--CpmkitVoila.max_kernels=1" in command for command in voilas), voilas
        assert any("nginx" in p.name() for p in processes)

        secure = urllib.request.Request(
            f"{server.base_url}/login", headers={"Host": "room.example.org", "X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(secure, timeout=60) as answer:
            cookies = answer.headers.get_all("Set-Cookie")
        browser = [cookie for cookie in cookies if cookie.startswith(f"{BROWSER_COOKIE}=")]
        assert browser and browser[0].endswith("Secure"), cookies

        first = open_page(server.url(PARTICIPANT_PAGE, code=code))
        second = open_page(server.url(PARTICIPANT_PAGE, code=code), cookies=first.cookies)
        assert {first.kernel_id[:3], second.kernel_id[:3]} == {"w1_", "w2_"}, (first.kernel_id, second.kernel_id)
        for page in (first, second):
            with KernelSocket(page) as kernel:  # its websocket reaches the worker its id names
                assert kernel.widget_states()
        with pytest.raises(urllib.error.HTTPError) as full:
            open_page(server.url(PARTICIPANT_PAGE, code=code), cookies=first.cookies)
        assert full.value.code == 503 and "The server is full" in full.value.read().decode()
        kernels = server.kernels()
        assert len(kernels) == 2

        server.process.send_signal(stop)
        assert server.process.wait(timeout=workers.STOP_TIMEOUT + 30) == 0, server.log_tail()
        _, alive = psutil.wait_procs([*processes, *kernels], timeout=10)
        assert alive == [], server.log_tail()

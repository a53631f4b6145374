"""The cpmkit command: help on every subcommand, notebook checks, export, and a real serve."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openpyxl
import pytest

from cpmkit import cli
from cpmkit.accounts.store import AccountStore
from cpmkit.db.database import Store
from cpmkit.serving.offline import SERVED_LIBRARY_ENV, served_library
from cpmkit.stakeholders.store import StakeholderStore
from tests._repository import REPO_NOTEBOOKS

CPMKIT = [sys.executable, "-m", "cpmkit.cli"]


@pytest.mark.parametrize("command", [[], ["init"], ["serve"], ["build-notebooks"], ["export"], ["proxy-config"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = subprocess.run([*CPMKIT, *command, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "usage: cpmkit" in result.stdout


def test_build_notebooks_check_passes_on_the_repository() -> None:
    assert cli.main(["build-notebooks", "--check"]) == 0


def test_build_notebooks_check_fails_on_a_stale_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["build-notebooks", "--check", "--out", str(tmp_path)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert cli.main(["build-notebooks", "--out", str(tmp_path)]) == 0
    assert cli.main(["build-notebooks", "--check", "--out", str(tmp_path)]) == 0


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    monkeypatch.setenv("CPMKIT_DB_URL", url)
    store = Store.open(url)
    project = store.create_project("Apollo")
    StakeholderStore(store).add_stakeholder(project, '=HYPERLINK("http://x")', power=5, interest=5)
    store.close()
    return url


def test_export_xlsx_writes_every_table_with_formulas_kept_as_text(seeded: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli.main(["export", "--project", "Apollo", "--output", str(out)]) == 0
    book = openpyxl.load_workbook(out / "stakeholder-value.xlsx")
    assert book.sheetnames == [
        "register",
        "communication plan",
        "engagement gaps",
        "power-interest grid",
        "value scorecard",
    ]
    assert book["register"]["A2"].value == '=HYPERLINK("http://x")' and book["register"]["A2"].data_type == "s"


def test_export_csv_writes_one_file_per_table(seeded: str, tmp_path: Path) -> None:
    assert cli.main(["export", "--project", "1", "--format", "csv", "--output", str(tmp_path)]) == 0
    assert (tmp_path / "stakeholder-value-register.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(list(tmp_path.glob("stakeholder-value-*.csv"))) == 5


def test_export_of_an_unknown_project_says_so_plainly(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export", "--project", "Gemini"]) == 2
    err = capsys.readouterr().err
    assert "No project called 'Gemini'" in err and "Apollo" in err and "Traceback" not in err


def test_serve_env_makes_the_store_absolute_and_finds_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = cli.serve_env({"CPMKIT_DB_URL": "sqlite:///relative.sqlite3", "JUPYTER_PATH": "/elsewhere"})
    assert env["CPMKIT_DB_URL"] == f"sqlite:///{tmp_path / 'relative.sqlite3'}"
    first, second = env["JUPYTER_PATH"].split(os.pathsep)
    assert (Path(first) / "voila" / "templates" / "cpmkit" / "index.html.j2").is_file()
    assert second == "/elsewhere"
    assert env[SERVED_LIBRARY_ENV] == served_library()  # the kernels' charts import the library from the server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_starts_voila_on_localhost_and_offers_the_first_run_step(tmp_path: Path) -> None:
    """What `make run` does on a fresh machine: Voila on 127.0.0.1 with the store from the env,
    the landing page behind the sign-in, and a first-run link on the terminal (no account yet)."""
    port = _free_port()
    env = {**os.environ, "CPMKIT_DB_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}", "CPMKIT_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [*CPMKIT, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/render/index.ipynb", timeout=30) as page:
                    html, landed = page.read().decode(), page.url
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        assert landed.startswith(f"http://127.0.0.1:{port}/login?next=")
        assert "No account yet" in html and "cdn.jsdelivr.net" not in html
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/voila/render/index.ipynb" in output
    assert re.search(rf"http://127\.0\.0\.1:{port}/cpmkit/setup\?key=\S{{20,}}", output), output
    assert "Warning" not in output, output  # nothing on the terminal a trainer has to wonder about


def test_kernels_use_unix_sockets_so_kernels_started_together_cannot_take_one_port() -> None:
    """TCP ports are chosen before a kernel binds them: of two kernels started at once (a
    pre-heated pool fills nine), one could lose its port and never come up."""
    assert "--KernelManager.transport=ipc" in cli.voila_command(Path("nb"), host="127.0.0.1", port=1)


def test_a_busy_server_waits_for_a_cells_output_rather_than_send_a_page_without_its_app() -> None:
    """nbclient's 4 s left participants with blank pages when a room arrived at once
    (benchmarks/room_load.py counts them as BlankPage)."""
    [wait] = [part for part in cli.voila_command(Path("nb"), host="127.0.0.1", port=1) if "iopub_timeout" in part]
    assert wait == "--VoilaExecutor.iopub_timeout=60"


def test_preheat_asks_voila_for_a_kernel_pool() -> None:
    command = cli.voila_command(Path("nb"), host="127.0.0.1", port=1, preheat=2)
    assert "--VoilaConfiguration.preheat_kernel=True" in command
    assert "--VoilaConfiguration.default_pool_size=2" in command
    assert not any("preheat" in part for part in cli.voila_command(Path("nb"), host="127.0.0.1", port=1))


def test_serve_forks_kernels_from_the_zygote_unless_told_not_to() -> None:
    assert "--CpmkitVoila.fork_kernels=True" in cli.voila_command(Path("nb"), host="127.0.0.1", port=1)
    assert "--CpmkitVoila.fork_kernels=False" in cli.voila_command(
        Path("nb"), host="127.0.0.1", port=1, fork_kernels=False
    )
    assert cli.build_parser().parse_args(["serve"]).fork_kernels is True
    assert cli.build_parser().parse_args(["serve", "--no-fork-kernels"]).fork_kernels is False


def test_users_add_list_and_password_from_standard_input(tmp_path: Path) -> None:
    env = {**os.environ, "CPMKIT_DB_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"}

    def users(*args: str, password: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CPMKIT, "users", *args], check=False, env=env, input=password, capture_output=True, text=True, timeout=60
        )

    added = users("add", "Alice", "--admin", "--password-stdin", password="correct horse 1\n")
    assert added.returncode == 0 and "added alice (admin" in added.stdout
    assert users("add", "bob", "--password-stdin", password="correct horse 2\n").returncode == 0
    refused = users("add", "ALICE", "--password-stdin", password="correct horse 3\n")
    assert (
        refused.returncode == 2
        and "already an account called 'alice'" in refused.stderr
        and "Traceback" not in refused.stderr
    )
    short = users("add", "cy", "--password-stdin", password="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    assert users("list").stdout.splitlines() == ["alice  (admin)", "bob"]
    assert users("password", "bob", "--password-stdin", password="another long one\n").returncode == 0
    store = Store.open(env["CPMKIT_DB_URL"])
    try:
        accounts = AccountStore(store)
        assert accounts.sign_in("bob", "another long one") is not None
        assert accounts.sign_in("bob", "correct horse 2") is None
    finally:
        store.close()


def test_serve_says_what_a_non_local_host_exposes() -> None:
    help_text = subprocess.run(
        [*CPMKIT, "serve", "--help"], check=False, capture_output=True, text=True, timeout=60
    ).stdout
    assert "0.0.0.0" in help_text and "sign-in" in " ".join(help_text.split())
    assert "--max-kernels" in help_text


def test_serve_gives_each_kernel_a_memory_limit_unless_one_is_set() -> None:
    assert cli.serve_env({})["CPMKIT_KERNEL_MEMORY_MB"] == str(cli.DEFAULT_KERNEL_MEMORY_MB)
    assert cli.serve_env({"CPMKIT_KERNEL_MEMORY_MB": ""})["CPMKIT_KERNEL_MEMORY_MB"] == ""  # set empty: no limit
    assert cli.serve_env({"CPMKIT_KERNEL_MEMORY_MB": "512"})["CPMKIT_KERNEL_MEMORY_MB"] == "512"


def test_serve_on_localhost_says_phones_cannot_reach_it_and_how_to_open_it_to_the_room() -> None:
    lines = cli.serve_messages("127.0.0.1", 8866, lan="192.168.1.20")
    text = " ".join(lines)
    assert "http://127.0.0.1:8866/voila/render/index.ipynb" in lines[0]
    assert "127.0.0.1 only" in text and "cannot reach it" in text
    assert "cpmkit serve --host 0.0.0.0 --port 8866" in text and "192.168.1.20" in text
    assert "sign-in page and any link you hand out" in text and "What --host exposes" in text


def test_serve_on_every_interface_prints_the_lan_address_and_what_it_exposes() -> None:
    lines = cli.serve_messages("0.0.0.0", 9000, lan="192.168.1.20", public_url="https://pm.example.org/")
    text = " ".join(lines)
    assert "http://192.168.1.20:9000/voila/render/index.ipynb" in text
    assert "anyone who can reach this address" in text and "cannot reach it" not in text
    assert "links you share start with https://pm.example.org" in text


def test_the_lan_address_is_found_without_sending_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[object] = []
    monkeypatch.setattr(socket.socket, "send", lambda *a: sent.append(a))
    monkeypatch.setattr(socket.socket, "sendto", lambda *a: sent.append(a))
    address = cli.lan_address()
    assert address is None or not address.startswith("127.")
    assert sent == []


def test_serve_refuses_a_public_url_that_is_not_an_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--public-url", "pm.example.org"]) != 0
    assert "--public-url" in capsys.readouterr().err


def test_init_writes_the_default_content_and_says_what_to_run_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "content"]) == 0
    out = capsys.readouterr().out
    assert "wrote content/soft_skills.yaml" in out
    assert out.endswith("then run: cpmkit serve --templates content\n")
    (tmp_path / "content" / "lessons.yaml").write_text("# mine\n", encoding="utf-8")
    assert cli.main(["init", "content"]) == 0
    assert "kept content/lessons.yaml (yours, unchanged)" in capsys.readouterr().out
    assert (tmp_path / "content" / "lessons.yaml").read_text(encoding="utf-8") == "# mine\n"


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[list[str], dict[str, str]]]:
    """What ``serve`` would start: each (command, environment) it hands to ``os.execve``, which
    is caught, so nothing starts. Data and cache go to this test's folder."""
    monkeypatch.setenv("CPMKIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CPMKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CPMKIT_TEMPLATES_DIR", raising=False)
    monkeypatch.setattr(cli, "lan_address", lambda: None)
    calls: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(cli.os, "execve", lambda path, command, env: calls.append((command, env)))
    return calls


def test_serve_uses_the_trainers_content_and_serves_notebooks_generated_from_it(
    started: list[tuple[list[str], dict[str, str]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "content"]) == 0
    notebooks_yaml = tmp_path / "content" / "notebooks.yaml"
    old, new = "Workbook 1: stakeholder value", "Workbook 1: Acme's stakeholders"
    notebooks_yaml.write_text(notebooks_yaml.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    assert cli.main(["serve", "--templates", "content"]) == 0
    (command, env), *_ = started
    assert env["CPMKIT_TEMPLATES_DIR"] == str(tmp_path / "content")  # absolute: kernels start elsewhere
    served = Path(command[command.index("cpmkit.serving.voila_app") + 1])
    assert served.parent == tmp_path / "cache" / "notebooks"
    assert new in (served / "01_stakeholder_value.ipynb").read_text(encoding="utf-8")
    assert "--notebooks" not in command
    listed = notebooks_yaml.read_text(encoding="utf-8")
    notebooks_yaml.write_text(listed.replace("links: [survey]", "links: [survey, code]"), encoding="utf-8")
    assert cli.main(["serve", "--templates", "content"]) == 0
    assert "cpmkit: your content changes who may open a page: 03_stakeholder_survey.ipynb: opened by " in (
        capsys.readouterr().out
    )


def test_serve_without_a_folder_serves_the_defaults_and_notebooks_of_ones_own_when_asked(
    started: list[tuple[list[str], dict[str, str]]], tmp_path: Path
) -> None:
    assert cli.main(["serve"]) == 0
    assert cli.main(["serve", "--notebooks", str(tmp_path / "mine")]) == 0
    (default, _), (own, env) = started
    served = Path(default[default.index("cpmkit.serving.voila_app") + 1])
    assert sorted(p.name for p in served.glob("*.ipynb")) == sorted(p.name for p in REPO_NOTEBOOKS.glob("*.ipynb"))
    assert own[own.index("cpmkit.serving.voila_app") + 1] == str(tmp_path / "mine")
    assert "CPMKIT_TEMPLATES_DIR" not in env


def test_serve_refuses_malformed_content_at_start_naming_file_item_and_field(
    started: list[tuple[list[str], dict[str, str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["init", str(tmp_path / "content")]) == 0
    bank = tmp_path / "content" / "soft_skills.yaml"
    question = '"When I give a client bad news, I also say what we will do about it."'
    bank.write_text(bank.read_text(encoding="utf-8").replace(question, '""'), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["serve", "--templates", str(tmp_path / "content")]) == 2
    err = capsys.readouterr().err
    assert err == "cpmkit: soft_skills.yaml, item 'pc1', field 'text': is missing or empty.\n"
    assert "Traceback" not in err and started == []  # nothing started
    assert cli.main(["serve", "--templates", str(tmp_path / "nowhere")]) == 2
    assert f"make it with `cpmkit init {tmp_path / 'nowhere'}`" in capsys.readouterr().err
    assert started == []

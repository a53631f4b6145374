"""cpmkit installed as a user installs it: the wheel into a fresh virtual environment outside the
repository, then ``cpmkit init`` and ``cpmkit serve`` from an empty folder, seen in Chromium.

Nothing of the checkout is on the path: the environment has only what the wheel and its
dependencies bring (pip fetches them as a user's pip would), and the server runs from a folder
with no templates/ and no notebooks/ in it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

import cpmkit
from cpmkit.serving.server import VoilaServer, free_port, wait_until_answers
from tests.browser.conftest import PASSWORD, _close, watched

pytestmark = pytest.mark.browser

#: What the trainer changes in their own copy of the content: a workbook's title (notebooks.yaml)
#: and a question of the soft-skills bank (soft_skills.yaml).
TITLE = ("Workbook 2: soft-skills self-assessment", "Workbook 2: Acme leadership self-assessment")
QUESTION = (
    "When I give a client bad news, I also say what we will do about it.",
    "When I give Acme's client bad news, I also say what we will do about it.",
)


def _run(command: list[str], *, cwd: Path, env: dict[str, str], stdin: str | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(built_dists: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(a fresh venv's bin folder with the wheel installed, an environment that is a user's: no
    PYTHONPATH, no repository, cpmkit's data and cache in folders of their own)."""
    base = tmp_path_factory.mktemp("installed")
    venv = base / "venv"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CPMKIT_") and key not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH")
    }
    env |= {
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "CPMKIT_DATA_DIR": str(base / "data"),
        "CPMKIT_CACHE_DIR": str(base / "cache"),
    }
    _run([sys.executable, "-m", "venv", str(venv)], cwd=base, env=env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(built_dists[1])], cwd=base, env=env)
    return venv / "bin", env


@pytest.fixture(scope="module")
def served(installed: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoilaServer]:
    """``cpmkit init content``, two edits by the trainer and a file removed, an account, then
    ``cpmkit serve --templates content``, all run in an empty folder by the installed command."""
    bin_dir, env = installed
    folder = tmp_path_factory.mktemp("empty")
    cpmkit_command = str(bin_dir / "cpmkit")
    assert _run([cpmkit_command, "--version"], cwd=folder, env=env) == f"cpmkit {cpmkit.__version__}\n"
    written = _run([cpmkit_command, "init", "content"], cwd=folder, env=env)
    assert "wrote content/soft_skills.yaml" in written and "wrote content/notebooks.yaml" in written
    for name, (old, new) in (("notebooks.yaml", TITLE), ("soft_skills.yaml", QUESTION)):
        path = folder / "content" / name
        assert old in path.read_text(encoding="utf-8")
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    (folder / "content" / "lessons.yaml").unlink()  # a file the trainer has no copy of: the wheel's own serves
    _run([cpmkit_command, "users", "add", "pm", "--admin", "--password-stdin"], cwd=folder, env=env, stdin=PASSWORD)

    port = free_port()
    log_file = folder.parent / f"{folder.name}-serve.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [cpmkit_command, "serve", "--templates", "content", "--port", str(port)],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = VoilaServer(process, f"http://127.0.0.1:{port}", log_file, env)
    try:
        assert wait_until_answers(process, server.base_url + "/"), server.log_tail()
        assert f"cpmkit: content {(folder / 'content').resolve()}\n" in log_file.read_text(), server.log_tail()
        yield server
    finally:
        server.stop()
    assert sorted(p.name for p in folder.iterdir()) == ["content"]  # nothing else written where it was run


def test_the_installed_wheel_serves_the_landing_page_and_a_workbook_from_the_trainers_content(
    served: VoilaServer, browser: Any, tmp_path: Path
) -> None:
    context, web = watched(browser, served, tmp_path, "installed")
    try:
        web.sign_in("pm")
        app = web.open("index.ipynb")
        expect(app.get_by_role("link", name=TITLE[1])).to_be_visible()  # notebooks.yaml: the trainer's
        expect(app.get_by_role("link", name=TITLE[0])).to_have_count(0)
        expect(web.page.get_by_text("Traceback")).to_have_count(0)

        app = web.open("02_soft_skills.ipynb")
        # The notebook served is the trainer's (its first cell, which the page header shows folded).
        expect(web.page.locator(".celltag_cpmkit-intro")).to_contain_text(TITLE[1])
        app.get_by_role("button", name="Start my own self-assessment").click()
        expect(app.get_by_text(QUESTION[1]).first).to_be_visible()  # soft_skills.yaml: the trainer's question
        expect(app.get_by_text(QUESTION[0])).to_have_count(0)
        expect(web.page.get_by_text("Traceback")).to_have_count(0)
        web.assert_clean()  # nothing asked of the internet, nothing logged as an error
    finally:
        _close(context, web)
    assert "Traceback" not in served.log_tail(400), served.log_tail(400)

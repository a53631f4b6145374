"""Which store cpmkit opens does not depend on the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpmkit.db import location


def test_default_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    env = {"CPMKIT_DATA_DIR": str(tmp_path)}
    assert location.db_url(env) == f"sqlite:///{tmp_path / 'cpmkit.sqlite3'}"


def test_url_from_the_environment_wins() -> None:
    url = "postgresql+psycopg://pm:secret@db.example:5432/cpmkit"
    assert location.db_url({"CPMKIT_DB_URL": url}) == url


def test_relative_sqlite_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        location.db_url({"CPMKIT_DB_URL": "sqlite:///data/x.sqlite3"}) == f"sqlite:///{tmp_path / 'data' / 'x.sqlite3'}"
    )

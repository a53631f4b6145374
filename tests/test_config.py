"""Where the store lives does not depend on the working directory."""

from __future__ import annotations

from pathlib import Path

from cpmkit import config


def test_templates_dir_is_the_repository_folder_unless_overridden(tmp_path: Path) -> None:
    assert (config.templates_dir({}) / "notebooks.yaml").is_file()
    assert config.templates_dir({"CPMKIT_TEMPLATES_DIR": str(tmp_path)}) == tmp_path

"""A trainer's content folder: ``cpmkit init`` makes it, and ``cpmkit serve`` reads all of it
before starting, refusing a mistake with its file, item and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cpmkit import config
from cpmkit.errors import CpmkitError, TemplateError
from cpmkit.serving.content_folder import check_content, init_content

DEFAULTS = sorted(path.name for path in config.default_templates_dir().glob("*.yaml"))


def test_init_copies_every_default_and_never_overwrites_the_trainers_files(tmp_path: Path) -> None:
    folder = tmp_path / "content" / "acme"
    copied, kept = init_content(folder)
    assert [p.name for p in copied] == DEFAULTS and kept == []
    for name in DEFAULTS:
        assert (folder / name).read_bytes() == (config.default_templates_dir() / name).read_bytes()
    (folder / "soft_skills.yaml").write_text("# mine\n", encoding="utf-8")
    (folder / "lessons.yaml").unlink()
    copied, kept = init_content(folder)
    assert [p.name for p in copied] == ["lessons.yaml"]
    assert len(kept) == len(DEFAULTS) - 1
    assert (folder / "soft_skills.yaml").read_text(encoding="utf-8") == "# mine\n"


def test_init_refuses_a_file_in_place_of_the_folder_and_a_folder_it_cannot_make(tmp_path: Path) -> None:
    (tmp_path / "content").write_text("", encoding="utf-8")
    with pytest.raises(CpmkitError, match="is a file, not a folder"):
        init_content(tmp_path / "content")
    with pytest.raises(CpmkitError, match=r"^Cannot write the content files into .*content/acme: "):
        init_content(tmp_path / "content" / "acme")


def test_the_defaults_an_empty_folder_and_a_fresh_copy_all_pass_and_change_no_access(tmp_path: Path) -> None:
    assert check_content() == []
    assert check_content(tmp_path) == []  # every file from the defaults
    init_content(tmp_path / "copy")
    assert check_content(tmp_path / "copy") == []


@pytest.mark.parametrize("name", DEFAULTS)
def test_a_mistake_in_any_content_file_stops_the_check_and_names_the_file(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("- a list, where a mapping belongs\n", encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        check_content(tmp_path)
    assert info.value.file == name


def test_a_mistake_inside_a_file_is_named_by_file_item_and_field(tmp_path: Path) -> None:
    shipped = (config.default_templates_dir() / "soft_skills.yaml").read_text(encoding="utf-8")
    question = "When I give a client bad news, I also say what we will do about it."
    (tmp_path / "soft_skills.yaml").write_text(shipped.replace(f'"{question}"', '""'), encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        check_content(tmp_path)
    assert (info.value.file, info.value.item, info.value.field) == ("soft_skills.yaml", "pc1", "text")


def test_a_second_bank_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "leaders_2027.yaml").write_text("competencies:\n  - id: x\n", encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        check_content(tmp_path)
    assert info.value.file == "leaders_2027.yaml"


def test_a_folder_that_does_not_exist_or_is_a_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(CpmkitError, match="nowhere does not exist: make it with `cpmkit init .*nowhere`"):
        check_content(tmp_path / "nowhere")
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    with pytest.raises(CpmkitError, match="a-file is not a folder"):
        check_content(tmp_path / "a-file")


def test_a_misspelt_content_file_is_refused_with_the_name_it_was_meant_to_have(tmp_path: Path) -> None:
    shutil.copy(config.default_templates_dir() / "retro_formats.yaml", tmp_path / "retro_format.yaml")
    with pytest.raises(TemplateError) as info:
        check_content(tmp_path)
    assert info.value.file == "retro_format.yaml" and "Did you mean retro_formats.yaml?" in str(info.value)


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("leaders_2027.yaml", "competencies: [\n", "is not valid YAML"),
        ("Leaders-2027.yaml", None, "lowercase letters, digits and underscores"),
    ],
)
def test_a_bank_that_would_not_be_offered_is_refused(tmp_path: Path, name: str, text: str | None, says: str) -> None:
    """Without the check, each would be left out of the trainer's list of banks without a word."""
    shipped = (config.default_templates_dir() / "soft_skills.yaml").read_text(encoding="utf-8")
    (tmp_path / name).write_text(shipped if text is None else text, encoding="utf-8")
    with pytest.raises(TemplateError, match=says) as info:
        check_content(tmp_path)
    assert info.value.file == name


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("cpmkit.stakeholders.ui:app", "cpmkit.stakeholder.ui:app", "no module 'cpmkit.stakeholder.ui'"),
        ("cpmkit.stakeholders.ui:app", "cpmkit.stakeholders.ui:ap", "has no function 'ap'"),
        ("links: [survey]", "links: [survy]", "'survy' is not a link cpmkit knows"),
    ],
)
def test_a_page_that_could_not_open_is_refused_at_start(tmp_path: Path, old: str, new: str, says: str) -> None:
    listed = (config.default_templates_dir() / "notebooks.yaml").read_text(encoding="utf-8")
    assert old in listed
    (tmp_path / "notebooks.yaml").write_text(listed.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(TemplateError, match=says) as info:
        check_content(tmp_path)
    assert info.value.file == "notebooks.yaml"


def test_a_folder_that_opens_a_page_to_more_people_is_said_at_start(tmp_path: Path) -> None:
    listed = (config.default_templates_dir() / "notebooks.yaml").read_text(encoding="utf-8")
    trainer = listed.index("file: 02_workshop_trainer.ipynb")
    opened = listed[:trainer] + listed[trainer:].replace("    entry:", "    links: [code]\n    entry:", 1)
    (tmp_path / "notebooks.yaml").write_text(opened, encoding="utf-8")
    (change,) = check_content(tmp_path)
    assert change.startswith(
        "02_workshop_trainer.ipynb: opened by signed-in owners and holders of a code link, "
        "runs cpmkit.soft_skills.ui.trainer:app (default: opened by signed-in owners, runs "
    )

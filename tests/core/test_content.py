"""Unit tests of cpmkit.core.content: the YAML loaders for templates/, on the real files and on
malformed copies whose TemplateError must name the file, item and field."""

from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

import pytest

import cpmkit
from cpmkit import config
from cpmkit.core.content import NotebookTemplate, load_guidance, load_notebook_templates, notebook_file, read_yaml
from cpmkit.errors import TemplateError
from cpmkit.stakeholders.rules import QUADRANTS

REAL_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PACKAGE_DIR = Path(cpmkit.__file__).resolve().parent


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def _notebooks(tmp_path: Path, text: str) -> Path:
    return _write(tmp_path, "notebooks.yaml", text)


def _template_error(templates: Path) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        load_notebook_templates(templates)
    return info.value


GOOD_ITEM = """\
  - file: a.ipynb
    title: A
    intro: Hello.
    entry: pkg.mod:fn
"""


# -- notebook templates: the real file -------------------------------------------------------


def test_real_notebook_templates() -> None:
    templates = load_notebook_templates(REAL_TEMPLATES)
    assert [t.file for t in templates] == [
        "index.ipynb",
        "01_stakeholder_value.ipynb",
        "02_soft_skills.ipynb",
        "02_workshop_trainer.ipynb",
        "03_expectation_gap.ipynb",
        "03_stakeholder_survey.ipynb",
        "04_lessons_learned.ipynb",
        "04_pulse_survey.ipynb",
        "04_retro_board.ipynb",
    ]
    assert all(isinstance(t, NotebookTemplate) for t in templates)
    # Forms opened from a link someone sent: a survey token or a board's, not the landing page.
    assert [t.file for t in templates if not t.listed] == [
        "03_stakeholder_survey.ipynb",
        "04_pulse_survey.ipynb",
        "04_retro_board.ipynb",
    ]
    index = templates[0]
    assert index.entry == "cpmkit.projects.ui:app"
    assert (index.module, index.function) == ("cpmkit.projects.ui", "app")
    assert templates[1].title == "Workbook 1: stakeholder value"
    for template in templates:
        assert template.title == template.title.strip() and template.title
        assert template.intro == template.intro.strip() and template.intro
        assert template.file.endswith(".ipynb")


def test_real_notebook_entry_points_exist() -> None:
    """Each entry names a module file in the package that defines the function
    (checked by parsing, so the UI modules are not imported into the test process)."""
    for template in load_notebook_templates(REAL_TEMPLATES):
        parts = template.module.split(".")
        assert parts[0] == "cpmkit"
        source = PACKAGE_DIR.joinpath(*parts[1:]).with_suffix(".py")
        assert source.is_file(), source
        functions = {
            node.name
            for node in ast.parse(source.read_text(encoding="utf-8")).body
            if isinstance(node, ast.FunctionDef)
        }
        assert template.function in functions


def test_default_folder_is_the_repository_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CPMKIT_TEMPLATES_DIR", raising=False)
    assert config.templates_dir().resolve() == REAL_TEMPLATES
    assert load_notebook_templates() == load_notebook_templates(REAL_TEMPLATES)


def test_templates_folder_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _notebooks(tmp_path, "notebooks:\n" + GOOD_ITEM)
    monkeypatch.setenv("CPMKIT_TEMPLATES_DIR", str(tmp_path))
    assert load_notebook_templates() == [NotebookTemplate("a.ipynb", "A", "Hello.", "pkg.mod:fn", name="A")]


def test_titles_intros_and_entries_are_trimmed(tmp_path: Path) -> None:
    _notebooks(
        tmp_path,
        """\
        notebooks:
          - file: a.ipynb
            title: "  A  "
            intro: |
              Para one.

            entry: " pkg.mod:fn "
        """,
    )
    [template] = load_notebook_templates(tmp_path)
    assert template == NotebookTemplate("a.ipynb", "A", "Para one.", "pkg.mod:fn", name="A")


# -- notebook templates: malformed copies ----------------------------------------------------


def test_copy_of_the_real_file_loads(tmp_path: Path) -> None:
    shutil.copy(REAL_TEMPLATES / "notebooks.yaml", tmp_path / "notebooks.yaml")
    assert load_notebook_templates(tmp_path) == load_notebook_templates(REAL_TEMPLATES)


@pytest.mark.parametrize("field", ["file", "title", "intro", "entry"])
def test_missing_field(tmp_path: Path, field: str) -> None:
    lines = [line for line in GOOD_ITEM.splitlines() if f"{field}:" not in line]
    if field == "file":  # the first line carried the "- "
        lines[0] = "  -" + lines[0][3:]
    _notebooks(tmp_path, "notebooks:\n" + "\n".join(lines) + "\n")
    error = _template_error(tmp_path)
    item = "#1" if field == "file" else "a.ipynb"
    assert str(error) == f"notebooks.yaml, item {item!r}, field {field!r}: is missing or empty."
    assert (error.file, error.item, error.field) == ("notebooks.yaml", item, field)


@pytest.mark.parametrize("title", ['""', '"   "', "null", "42"])
def test_empty_or_non_text_title(tmp_path: Path, title: str) -> None:
    _notebooks(tmp_path, "notebooks:\n" + GOOD_ITEM.replace("title: A", f"title: {title}"))
    error = _template_error(tmp_path)
    assert str(error) == "notebooks.yaml, item 'a.ipynb', field 'title': is missing or empty."


def test_second_item_is_named(tmp_path: Path) -> None:
    second = GOOD_ITEM.replace("a.ipynb", "b.ipynb").replace("intro: Hello.", "intro: ''")
    _notebooks(tmp_path, "notebooks:\n" + GOOD_ITEM + second)
    assert str(_template_error(tmp_path)) == "notebooks.yaml, item 'b.ipynb', field 'intro': is missing or empty."


@pytest.mark.parametrize("file", ["a.txt", "a.ipynb.bak", "sub/a.ipynb"])
def test_file_must_be_a_notebook_file_name(tmp_path: Path, file: str) -> None:
    _notebooks(tmp_path, "notebooks:\n" + GOOD_ITEM.replace("a.ipynb", file))
    error = _template_error(tmp_path)
    assert str(error) == f"notebooks.yaml, item {file!r}, field 'file': must be a notebook file name ending in .ipynb."
    assert (error.item, error.field) == (file, "file")


def test_entry_without_colon(tmp_path: Path) -> None:
    _notebooks(tmp_path, "notebooks:\n" + GOOD_ITEM.replace("pkg.mod:fn", "pkg.mod.fn"))
    error = _template_error(tmp_path)
    assert str(error) == "notebooks.yaml, item 'a.ipynb', field 'entry': must look like 'package.module:function'."
    assert (error.item, error.field) == ("a.ipynb", "entry")


def test_duplicate_file(tmp_path: Path) -> None:
    again = GOOD_ITEM.replace("title: A", "title: Another A")
    _notebooks(tmp_path, "notebooks:\n" + GOOD_ITEM + GOOD_ITEM.replace("a.ipynb", "c.ipynb") + again)
    error = _template_error(tmp_path)
    assert str(error) == "notebooks.yaml, item 'a.ipynb', field 'file': appears more than once."
    assert (error.file, error.item, error.field) == ("notebooks.yaml", "a.ipynb", "file")


def test_a_page_is_named_by_its_name_or_else_its_title(tmp_path: Path) -> None:
    _notebooks(tmp_path, "notebooks:\n" + GOOD_ITEM + GOOD_ITEM.replace("a.ipynb", "b.ipynb") + "    name: ' Bee '\n")
    assert [t.name for t in load_notebook_templates(tmp_path)] == ["A", "Bee"]


@pytest.mark.parametrize("name", ["''", "[x]"], ids=["empty", "a list"])
def test_a_page_name_that_is_not_text(tmp_path: Path, name: str) -> None:
    _notebooks(tmp_path, "notebooks:\n" + GOOD_ITEM + f"    name: {name}\n")
    error = _template_error(tmp_path)
    assert str(error) == "notebooks.yaml, item 'a.ipynb', field 'name': must be a short, non-empty page name."
    assert (error.item, error.field) == ("a.ipynb", "name")


def test_item_not_a_mapping(tmp_path: Path) -> None:
    _notebooks(tmp_path, "notebooks:\n" + GOOD_ITEM + "  - just a string\n")
    error = _template_error(tmp_path)
    assert str(error) == "notebooks.yaml, item '#2': each notebook must be a mapping."
    assert (error.item, error.field) == ("#2", None)


@pytest.mark.parametrize(
    "text",
    ["notebooks: a.ipynb\n", "notebooks: []\n", "notebooks:\n", "notebooks: {file: a.ipynb}\n", "other:\n" + GOOD_ITEM],
    ids=["a string", "empty list", "null", "a mapping", "missing key"],
)
def test_notebooks_not_a_list(tmp_path: Path, text: str) -> None:
    _notebooks(tmp_path, text)
    error = _template_error(tmp_path)
    assert str(error) == "notebooks.yaml: expected a non-empty list under 'notebooks'."
    assert (error.file, error.item, error.field) == ("notebooks.yaml", None, None)


@pytest.mark.parametrize(
    "text", ["- " + GOOD_ITEM.strip(), "just text\n", ""], ids=["a list", "a string", "empty file"]
)
def test_top_level_not_a_mapping(tmp_path: Path, text: str) -> None:
    _notebooks(tmp_path, text)
    assert str(_template_error(tmp_path)) == "notebooks.yaml: expected a mapping at the top level."


def test_invalid_yaml(tmp_path: Path) -> None:
    _notebooks(tmp_path, "notebooks:\n  - file: [unclosed\n    title: A\n")
    error = _template_error(tmp_path)
    assert str(error).startswith("notebooks.yaml: is not valid YAML (")
    assert error.file == "notebooks.yaml"
    assert error.__cause__ is None and error.__suppress_context__


def test_a_folder_without_notebooks_yaml_uses_the_default(tmp_path: Path) -> None:
    assert load_notebook_templates(tmp_path / "nowhere") == load_notebook_templates(config.default_templates_dir())


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        read_yaml(tmp_path / "nowhere" / "notebooks.yaml")
    path = str(tmp_path / "nowhere" / "notebooks.yaml")
    assert str(info.value) == f"{path}: file not found."
    assert info.value.file == path


# -- guidance ----------------------------------------------------------------------------------


def test_real_guidance() -> None:
    guidance = load_guidance("stakeholder_value", REAL_TEMPLATES)
    assert list(guidance) == ["strategies", "prompts"]
    assert set(guidance["strategies"]) == set(QUADRANTS.values())
    assert set(guidance["prompts"]) == {"expected_value", "success_measures", "channel", "cadence", "engagement"}
    assert all(isinstance(text, str) and text.strip() for section in guidance.values() for text in section.values())
    assert guidance["strategies"]["manage closely"].startswith("High power, high interest.")


def test_guidance_is_read_once(tmp_path: Path) -> None:
    _write(tmp_path, "wb.yaml", "tips:\n  a: First.\n")
    first = load_guidance("wb", tmp_path)
    (tmp_path / "wb.yaml").write_text("tips:\n  a: Changed.\n", encoding="utf-8")
    assert load_guidance("wb", tmp_path) is first
    assert first == {"tips": {"a": "First."}}


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("tips:\n  a: Fine.\nprompts:\n  - a list\n", "prompts"),
        ("tips:\n  a: Fine.\n  b: 3\n", "tips"),
        ("tips:\n  a:\n    nested: x\n", "tips"),
        ("tips:\n", "tips"),
        ("42: text\n", "42"),
    ],
    ids=["list section", "number value", "nested value", "empty section", "scalar section"],
)
def test_malformed_guidance_names_file_and_section(tmp_path: Path, text: str, item: str) -> None:
    _write(tmp_path, "wb.yaml", text)
    with pytest.raises(TemplateError) as info:
        load_guidance("wb", tmp_path)
    assert str(info.value) == f"wb.yaml, item {item!r}: must map each key to a sentence."
    assert (info.value.file, info.value.item, info.value.field) == ("wb.yaml", item, None)


def test_guidance_not_a_mapping_or_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"^wb\.yaml: expected a mapping at the top level\.$"):
        load_guidance("wb", _write(tmp_path / "list", "wb.yaml", "- a\n- b\n"))
    with pytest.raises(TemplateError, match=r"^wb\.yaml: is not valid YAML \("):
        load_guidance("wb", _write(tmp_path / "bad", "wb.yaml", "tips: {a: [\n"))


def test_guidance_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        load_guidance("absent", tmp_path)
    assert str(info.value) == f"{tmp_path / 'absent.yaml'}: file not found."


def test_failed_guidance_is_not_cached(tmp_path: Path) -> None:
    with pytest.raises(TemplateError):
        load_guidance("later", tmp_path)
    _write(tmp_path, "later.yaml", "tips:\n  a: Now here.\n")
    assert load_guidance("later", tmp_path) == {"tips": {"a": "Now here."}}


@pytest.mark.parametrize(
    ("extra", "field", "problem"),
    [
        ("    links: token\n", "links", "must be a list of query parameter names."),
        ("    links: [Token-1]\n", "links", "must be a list of query parameter names."),
        ("    owner: false\n", "owner", "a page nobody may open: give it links or let owners open it."),
        ("    owner: 'no'\n", "owner", "must be true or false."),
        (
            "    links: [pulse]\n    opens_per_address_hour: 0\n",
            "opens_per_address_hour",
            "must be a whole number of at least 1, on a page with links.",
        ),
        (
            "    opens_per_address_hour: 5\n",
            "opens_per_address_hour",
            "must be a whole number of at least 1, on a page with links.",
        ),
    ],
)
def test_who_may_open_a_page_is_checked(tmp_path: Path, extra: str, field: str, problem: str) -> None:
    _notebooks(tmp_path, "notebooks:\n" + GOOD_ITEM + extra)
    error = _template_error(tmp_path)
    assert (error.item, error.field) == ("a.ipynb", field) and str(error).endswith(problem)


def test_a_page_with_links_for_participants_only(tmp_path: Path) -> None:
    _notebooks(
        tmp_path, "notebooks:\n" + GOOD_ITEM + "    links: [pulse]\n    owner: false\n    opens_per_address_hour: 60\n"
    )
    [page] = load_notebook_templates(tmp_path)
    assert (page.links, page.owner, page.opens_per_address_hour) == (("pulse",), False, 60)


# -- pages: a notebook's file name found by its stable id --------------------------------------

#: GOOD_ITEM's fields after a first line of its own (``  - page: ...``).
REST_OF_ITEM = GOOD_ITEM.replace("  - file", "    file")


def test_real_pages_name_every_notebook_once() -> None:
    templates = load_notebook_templates(REAL_TEMPLATES)
    pages = [t.page for t in templates]
    assert None not in pages and len(set(pages)) == len(pages)
    assert notebook_file("index", REAL_TEMPLATES) == "index.ipynb"
    assert notebook_file("stakeholder_survey", REAL_TEMPLATES) == "03_stakeholder_survey.ipynb"
    assert all(notebook_file(str(t.page), REAL_TEMPLATES) == t.file for t in templates)


def test_a_page_id_is_optional_and_found_by_notebook_file(tmp_path: Path) -> None:
    _notebooks(tmp_path, "notebooks:\n" + GOOD_ITEM + "  - page: bee\n" + REST_OF_ITEM.replace("a.ipynb", "b.ipynb"))
    assert [t.page for t in load_notebook_templates(tmp_path)] == [None, "bee"]
    assert notebook_file("bee", tmp_path) == "b.ipynb"
    with pytest.raises(TemplateError) as info:
        notebook_file("a", tmp_path)
    assert str(info.value) == "notebooks.yaml, item 'a', field 'page': no notebook has this page."


@pytest.mark.parametrize("page", ["Index", "1st", "a-b", "[a]"])
def test_page_must_be_a_plain_id(tmp_path: Path, page: str) -> None:
    _notebooks(tmp_path, f"notebooks:\n  - page: {page!r}\n" + REST_OF_ITEM)
    error = _template_error(tmp_path)
    assert (error.item, error.field) == ("a.ipynb", "page")


def test_duplicate_page(tmp_path: Path) -> None:
    second = REST_OF_ITEM.replace("a.ipynb", "b.ipynb")
    _notebooks(tmp_path, "notebooks:\n  - page: one\n" + REST_OF_ITEM + "  - page: one\n" + second)
    error = _template_error(tmp_path)
    assert str(error) == "notebooks.yaml, item 'one', field 'page': appears more than once."

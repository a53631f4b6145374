"""Unit tests of cpmkit.soft_skills.bank: the real soft-skills bank, and malformed copies whose
TemplateError must name the file, the item and the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cpmkit import config
from cpmkit.errors import TemplateError
from cpmkit.soft_skills.bank import QuestionBank, default_bank, load_bank

REAL_BANK = Path(__file__).resolve().parents[2] / "templates" / "soft_skills.yaml"

NAMED_COMPETENCIES = (
    "positive_communication",
    "active_listening",
    "conflict_resolution",
    "people_leadership",
    "empathy_relationships",
    "expectation_management",
    "transparency_trust",
    "adaptability",
    "customer_advocacy",
    "seeking_feedback",
)

#: Where every item's source must come from: one of the seed articles, IPMA ICB4 or PMI.
SOURCE_PREFIXES = (
    "Kantata, 6-Step Guide",
    "Piletic, Customer-Centric Road",
    "The 1 Thing you MUST know",
    "Customer-First Strategy",
    "ViduPM, Customer Engagement",
    "IPMA ICB4 People: ",
    "PMI Power Skills: ",
)


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank(REAL_BANK)


# -- the real bank ---------------------------------------------------------------------------


def test_real_bank_loads_with_the_named_competencies(bank: QuestionBank) -> None:
    ids = [c.id for c in bank.competencies]
    assert len(ids) >= 9
    assert set(NAMED_COMPETENCIES) <= set(ids)
    assert len(ids) == len(set(ids))
    assert bank.name == "Customer-centric PM soft skills (cpmkit default bank)"


def test_real_bank_scale_is_one_to_five_fully_labelled(bank: QuestionBank) -> None:
    assert bank.scale.points == ((1, "never"), (2, "rarely"), (3, "sometimes"), (4, "often"), (5, "always"))
    assert (bank.scale.low, bank.scale.high) == (1, 5)


@pytest.mark.parametrize("competency_id", NAMED_COMPETENCIES)
def test_real_bank_competency_is_complete(bank: QuestionBank, competency_id: str) -> None:
    competency = bank.competency(competency_id)
    items = bank.items_for(competency_id)
    assert competency.name and competency.description
    assert len(items) >= 4
    assert sum(item.reverse for item in items) >= 1
    assert sum(not item.reverse for item in items) >= 3
    assert len(competency.practices) >= 2
    assert all(len(practice.split()) >= 6 for practice in competency.practices)


def test_real_bank_items_are_unique_sourced_first_person_statements(bank: QuestionBank) -> None:
    ids = [item.id for item in bank.items]
    assert len(ids) == len(set(ids))
    texts = [item.text for item in bank.items]
    assert len(texts) == len(set(texts))
    known = {c.id for c in bank.competencies}
    for item in bank.items:
        assert item.competency in known
        assert item.source.startswith(SOURCE_PREFIXES), item
        assert item.text.startswith(("I ", "When ", "In ", "During ", "After ", "Before ", "With ", "At ")), item
        assert " I " in f" {item.text} ", item
        assert item.text.endswith(".")


def test_real_bank_keeps_the_file_order(bank: QuestionBank) -> None:
    assert bank.competencies[0].id == "positive_communication"
    assert bank.items[0].id == "pc1" and bank.items[0].competency == "positive_communication"
    order = [c.id for c in bank.competencies]
    positions = [order.index(item.competency) for item in bank.items]
    assert positions == sorted(positions)


def test_real_bank_carries_the_seed_phrases(bank: QuestionBank) -> None:
    texts = {item.id: item.text for item in bank.items}
    assert texts["pc1"] == "When I give a client bad news, I also say what we will do about it."
    assert texts["al1"] == "When a client raises a concern, I restate it before answering."
    assert texts["em6"] == "I agree to extra scope to avoid an awkward conversation."
    assert bank.items_for("expectation_management")[-1].reverse


def test_default_bank_reads_the_templates_folder() -> None:
    assert config.templates_dir() / "soft_skills.yaml" == REAL_BANK
    assert default_bank() == load_bank(REAL_BANK)
    assert default_bank() is default_bank()


# -- malformed banks -------------------------------------------------------------------------

GOOD = """\
name: Test bank
scale:
  - {value: 1, label: never}
  - {value: 2, label: sometimes}
  - {value: 3, label: always}
competencies:
  - id: listening
    name: Listening
    description: Hearing the client.
    practices:
      - Summarise before replying.
    items:
      - id: l1
        text: "I restate a concern before answering."
        source: "IPMA ICB4 People: Personal communication"
      - id: l2
        text: "I interrupt the client."
        source: "IPMA ICB4 People: Personal communication"
        reverse: true
  - id: saying_no
    name: Saying no
    description: Protecting the scope.
    practices:
      - Write an impact note.
      - Offer an alternative.
    items:
      - id: n1
        text: "I explain the impact before agreeing to a change."
        source: "The 1 Thing you MUST know (Manage Expectations)"
      - id: n2
        text: "I agree to extra scope to avoid an awkward conversation."
        source: "ViduPM, Customer Engagement (#4)"
        reverse: true
"""


def _bank_file(tmp_path: Path, text: str, name: str = "trainer_bank.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _edit(old: str, new: str) -> str:
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


def _refused(tmp_path: Path, text: str) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        load_bank(_bank_file(tmp_path, text))
    return info.value


def test_good_minimal_bank_loads(tmp_path: Path) -> None:
    bank = load_bank(_bank_file(tmp_path, GOOD))
    assert [c.id for c in bank.competencies] == ["listening", "saying_no"]
    assert [(i.id, i.competency, i.reverse) for i in bank.items] == [
        ("l1", "listening", False),
        ("l2", "listening", True),
        ("n1", "saying_no", False),
        ("n2", "saying_no", True),
    ]
    assert bank.competency("saying_no").practices == ("Write an impact note.", "Offer an alternative.")
    assert bank.scale.points == ((1, "never"), (2, "sometimes"), (3, "always"))


def test_explicit_matching_competency_is_accepted(tmp_path: Path) -> None:
    text = _edit("      - id: n1\n", "      - id: n1\n        competency: saying_no\n")
    assert load_bank(_bank_file(tmp_path, text)).items[2].competency == "saying_no"


MALFORMED = {
    # case: (text, item, field, words in the message)
    "missing name": (_edit("name: Test bank\n", ""), None, "name", "missing or empty"),
    "empty name": (_edit("name: Test bank\n", "name: '  '\n"), None, "name", "missing or empty"),
    "unknown top-level field": (
        _edit("name: Test bank\n", "name: Test bank\ntitle: x\n"),
        None,
        "title",
        "not a known field",
    ),
    "missing scale": (
        GOOD.split("scale:")[0] + "competencies:" + GOOD.split("competencies:")[1],
        None,
        "scale",
        "at least 3",
    ),
    "two-point scale": (_edit("  - {value: 3, label: always}\n", ""), None, "scale", "at least 3"),
    "scale gap": (
        _edit("{value: 3, label: always}", "{value: 4, label: always}"),
        "scale point 3",
        "value",
        "must be 3",
    ),
    "scale descending": (
        _edit("{value: 2, label: sometimes}", "{value: 0, label: sometimes}"),
        "scale point 2",
        "value",
        "must be 2",
    ),
    "scale value not a number": (
        _edit("{value: 1, label: never}", "{value: one, label: never}"),
        "scale point 1",
        "value",
        "whole number",
    ),
    "scale label empty": (
        _edit("{value: 2, label: sometimes}", "{value: 2, label: ''}"),
        "scale point 2",
        "label",
        "missing or empty",
    ),
    "missing competencies": (GOOD.split("competencies:")[0], None, "competencies", "non-empty list"),
    "empty competencies": (
        GOOD.split("competencies:")[0] + "competencies: []\n",
        None,
        "competencies",
        "non-empty list",
    ),
    "competency without id": (
        _edit("  - id: listening\n", "  - ident: listening\n"),
        "competency 1",
        "ident",
        "not a known field",
    ),
    "competency id empty": (_edit("  - id: listening\n", "  - id: ''\n"), "competency 1", "id", "missing or empty"),
    "competency id not snake_case": (
        _edit("  - id: saying_no\n", "  - id: Saying No\n"),
        "Saying No",
        "id",
        "lowercase",
    ),
    "competency missing name": (_edit("    name: Listening\n", ""), "listening", "name", "missing or empty"),
    "competency missing description": (
        _edit("    description: Protecting the scope.\n", ""),
        "saying_no",
        "description",
        "missing or empty",
    ),
    "practices missing": (
        _edit("    practices:\n      - Summarise before replying.\n", ""),
        "listening",
        "practices",
        "non-empty list",
    ),
    "practices not a list": (
        _edit("      - Summarise before replying.\n", "      Summarise before replying.\n"),
        "listening",
        "practices",
        "non-empty list",
    ),
    "practice not a string": (
        _edit("      - Offer an alternative.\n", "      - {text: Offer}\n"),
        "saying_no",
        "practices",
        "non-empty sentence",
    ),
    "practice empty": (
        _edit("      - Offer an alternative.\n", "      - ''\n"),
        "saying_no",
        "practices",
        "non-empty sentence",
    ),
    "competency with one item": (
        _edit(
            '      - id: l2\n        text: "I interrupt the client."\n'
            '        source: "IPMA ICB4 People: Personal communication"\n        reverse: true\n',
            "",
        ),
        "listening",
        "items",
        "at least 2 items",
    ),
    "duplicate competency id": (
        _edit("  - id: saying_no\n", "  - id: listening\n"),
        "listening",
        "id",
        "more than once",
    ),
    "item missing id": (_edit("      - id: n1\n", "      - idx: n1\n"), "saying_no item 1", "idx", "not a known field"),
    "item empty id": (_edit("      - id: n1\n", "      - id: ''\n"), "saying_no item 1", "id", "missing or empty"),
    "item missing text": (_edit('        text: "I interrupt the client."\n', ""), "l2", "text", "missing or empty"),
    "item missing source": (
        _edit('        source: "The 1 Thing you MUST know (Manage Expectations)"\n', ""),
        "n1",
        "source",
        "missing or empty",
    ),
    "item reverse not a bool": (
        _edit("reverse: true\n  - id: saying_no", "reverse: 'yes please'\n  - id: saying_no"),
        "l2",
        "reverse",
        "true or false",
    ),
    "item reverse misspelt": (
        _edit("      - id: n2\n", "      - id: n2\n        revers: true\n"),
        "n2",
        "revers",
        "not a known field",
    ),
    "duplicate item id across competencies": (
        _edit("      - id: n2\n", "      - id: l1\n"),
        "l1",
        "id",
        "more than once in the bank",
    ),
    "item under unknown competency": (
        _edit("      - id: n1\n", "      - id: n1\n        competency: negotiation\n"),
        "n1",
        "competency",
        "unknown competency 'negotiation'",
    ),
    "item names another competency": (
        _edit("      - id: n1\n", "      - id: n1\n        competency: listening\n"),
        "n1",
        "competency",
        "listed under 'saying_no'",
    ),
    "item not a mapping": (
        _edit(
            '      - id: n1\n        text: "I explain', '      - just text\n      - id: n1\n        text: "I explain'
        ),
        "saying_no item 1",
        None,
        "mapping",
    ),
}


@pytest.mark.parametrize(("text", "item", "field", "words"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_bank_is_refused(tmp_path: Path, text: str, item: str | None, field: str | None, words: str) -> None:
    error = _refused(tmp_path, text)
    assert (error.file, error.item, error.field) == ("trainer_bank.yaml", item, field)
    message = str(error)
    assert message.startswith("trainer_bank.yaml")
    if item:
        assert f"item {item!r}" in message
    if field:
        assert f"field {field!r}" in message
    assert words in message


def test_invalid_yaml_is_refused_with_the_line(tmp_path: Path) -> None:
    error = _refused(tmp_path, GOOD.replace("  - id: saying_no\n", "  - id: saying_no\n   name: [unclosed\n"))
    assert error.file == "trainer_bank.yaml"
    assert "is not valid YAML at line" in str(error)


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "just words\n"])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    error = _refused(tmp_path, text)
    assert (error.file, error.item, error.field) == ("trainer_bank.yaml", None, None)
    assert "mapping" in str(error)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        load_bank(tmp_path / "nowhere.yaml")
    assert info.value.file == "nowhere.yaml"
    assert "file not found" in str(info.value) and str(tmp_path) in str(info.value)


def test_bank_names_lists_the_banks_in_a_templates_folder(tmp_path: Path) -> None:
    from cpmkit.soft_skills.bank import bank_names

    shipped = Path(__file__).resolve().parents[2] / "templates" / "soft_skills.yaml"
    (tmp_path / "soft_skills.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "leaders_2027.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "notebooks.yaml").write_text("notebooks: []\n", encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("competencies: [\n", encoding="utf-8")
    assert bank_names(tmp_path) == ["leaders_2027", "soft_skills"]
    assert "soft_skills" in bank_names()


def test_a_folder_with_only_a_new_bank_still_offers_the_default(tmp_path: Path) -> None:
    """A trainer's folder holds the files they changed; the defaults fill in the rest."""
    from cpmkit import config
    from cpmkit.soft_skills.bank import bank_names

    shipped = config.default_templates_dir() / "soft_skills.yaml"
    (tmp_path / "leaders_2027.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    assert bank_names(tmp_path) == ["leaders_2027", "soft_skills"]
    (tmp_path / "soft_skills.yaml").write_text("competencies: [\n", encoding="utf-8")  # the trainer's, broken
    assert bank_names(tmp_path) == ["leaders_2027"]  # theirs replaces the default: its mistake is theirs to see

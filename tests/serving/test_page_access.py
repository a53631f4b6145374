"""Who may open which page (cpmkit.serving.page_access), decided from the notebooks' templates."""

from __future__ import annotations

import pytest

from cpmkit.accounts.owners import Owner
from cpmkit.core.content import load_notebook_templates
from cpmkit.serving.page_access import Identity, Outcome, decode_identity, encode_identity, page_verdict

PAGES = {page.file: page for page in load_notebook_templates()}
PM = Owner(7, "alice")
OWNER_PAGES = [
    "index.ipynb",
    "01_stakeholder_value.ipynb",
    "02_workshop_trainer.ipynb",
    "03_expectation_gap.ipynb",
    "04_lessons_learned.ipynb",
]
LINK_PAGES = {
    "03_stakeholder_survey.ipynb": "survey",
    "04_pulse_survey.ipynb": "pulse",
    "04_retro_board.ipynb": "board",
}


@pytest.mark.parametrize("file", OWNER_PAGES)
def test_an_owner_page_needs_a_sign_in_and_ignores_link_parameters(file: str) -> None:
    page = PAGES[file]
    assert page_verdict(page, {}, None).outcome is Outcome.SIGN_IN
    assert page_verdict(page, {"project": "2", "survey": "abc", "pulse": "x"}, None).outcome is Outcome.SIGN_IN
    assert page_verdict(page, {"project": "2"}, PM).outcome is Outcome.OPEN


@pytest.mark.parametrize(("file", "parameter"), LINK_PAGES.items())
def test_a_participant_page_opens_only_with_its_own_link_checked(file: str, parameter: str) -> None:
    page = PAGES[file]
    verdict = page_verdict(page, {parameter: "tok", "project": "2"}, None)
    assert verdict.outcome is Outcome.OPEN and verdict.links == ((parameter, "tok"),)
    assert page_verdict(page, {}, None).outcome is Outcome.NEEDS_LINK
    assert page_verdict(page, {}, PM).outcome is Outcome.NEEDS_LINK  # an owner holds no link either
    other = "pulse" if parameter != "pulse" else "survey"
    assert page_verdict(page, {other: "tok"}, None).outcome is Outcome.NEEDS_LINK  # another page's link


def test_the_retro_board_checks_both_the_board_and_the_facilitator_link() -> None:
    verdict = page_verdict(PAGES["04_retro_board.ipynb"], {"board": "b", "facilitator": "f"}, None)
    assert verdict.links == (("board", "b"), ("facilitator", "f"))


def test_a_self_assessment_opens_by_its_link_or_for_a_signed_in_owner_only() -> None:
    page = PAGES["02_soft_skills.ipynb"]
    assert page_verdict(page, {}, None).outcome is Outcome.SIGN_IN  # no longer "the last one, anyone's"
    assert page_verdict(page, {}, PM).outcome is Outcome.OPEN
    for parameter in ("token", "code", "rate"):
        assert page_verdict(page, {parameter: "x"}, None).links == ((parameter, "x"),)


@pytest.mark.parametrize("override", ["template", "theme"])
def test_voila_template_and_theme_overrides_are_refused_for_everyone(override: str) -> None:
    assert page_verdict(PAGES["index.ipynb"], {override: "lab"}, PM).outcome is Outcome.REFUSED
    assert (
        page_verdict(PAGES["04_pulse_survey.ipynb"], {"pulse": "t", override: "lab"}, None).outcome is Outcome.REFUSED
    )


def test_a_notebook_that_is_not_a_page_is_refused() -> None:
    assert page_verdict(None, {}, PM).outcome is Outcome.NOT_A_PAGE


@pytest.mark.parametrize(
    "identity", [Identity(PM, "b1"), Identity(None, "b2"), Identity(Owner(1, "root", admin=True), "b3")]
)
def test_the_identity_survives_the_header_it_travels_in(identity: Identity) -> None:
    assert decode_identity(encode_identity(identity)) == identity


@pytest.mark.parametrize("value", [None, "", "{", "[]", '{"owner": {"id": "x"}, "browser": "b"}', '{"browser": "b"}'])
def test_a_malformed_identity_is_nobody(value: str | None) -> None:
    assert decode_identity(value) is None

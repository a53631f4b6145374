"""The page header: links home and to the workbooks keeping the project, a title naming the
page and project, and participant headers that link nowhere."""

from __future__ import annotations

import dataclasses

import pytest

from cpmkit.core.content import load_notebook_templates
from cpmkit.db.database import Store
from cpmkit.ui.page_header import (
    PageHeader,
    ParticipantHeader,
    _intro_html,
    page_title,
    pm_header_html,
    workbook_links,
)


def test_the_title_says_the_page_then_the_project() -> None:
    assert page_title("Stakeholder value", "Harbour Bridge Refit") == "Stakeholder value · Harbour Bridge Refit"
    assert page_title("Retrospective board") == "Retrospective board"


def test_links_go_home_and_to_each_workbook_keeping_the_project() -> None:
    links = workbook_links(load_notebook_templates(), 7, "expectation_gap")
    assert [link.label for link in links] == [
        "Home",
        "Stakeholder value",
        "Soft-skills self-assessment",
        "Workshop trainer",
        "Expectation gap",
        "Lessons learned",
    ]
    assert links[0].href == "index.ipynb?project=7" and links[1].href == "01_stakeholder_value.ipynb?project=7"
    assert [link.label for link in links if link.current] == ["Expectation gap"]
    assert all("?" not in link.href for link in workbook_links(load_notebook_templates(), None, None))


def test_participant_pages_are_never_linked_from_a_header() -> None:
    hrefs = " ".join(link.href for link in workbook_links(load_notebook_templates(), 1, None))
    assert not any(page in hrefs for page in ("survey", "retro_board", "pulse"))


def test_the_header_escapes_the_project_and_marks_the_current_page() -> None:
    links = workbook_links(load_notebook_templates(), 3, "stakeholder_value")
    markup = pm_header_html("Stakeholder value", "<b>Refit</b>", links)
    assert "&lt;b&gt;Refit&lt;/b&gt;" in markup and "<b>" not in markup
    assert '<a href="01_stakeholder_value.ipynb?project=3" aria-current="page">' in markup


def test_switching_project_in_the_header_renames_the_page_and_its_links(store: Store) -> None:
    store.create_project("Harbour Bridge Refit")
    seen: list[int | None] = []
    header = PageHeader(store, "stakeholder_value", on_change=seen.append)
    assert header.head.title == "Stakeholder value · Harbour Bridge Refit"
    other = store.create_project("Canal <Dredge>")
    header.bar._fill(header.bar.project_id)
    header.bar.choice.value = other
    assert seen[-1] == other and header.head.title == "Stakeholder value · Canal <Dredge>"
    assert f"01_stakeholder_value.ipynb?project={other}" in header.nav.value
    assert "Canal &lt;Dredge&gt;" in header.nav.value


def test_the_introduction_is_shown_by_the_header_under_voila_only(monkeypatch: pytest.MonkeyPatch) -> None:
    gap = next(t for t in load_notebook_templates() if t.page == "expectation_gap")
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    assert _intro_html(gap) == ""  # JupyterLab: the notebook's first cell shows it
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5")
    assert "<strong>expects</strong>" in _intro_html(gap) and "<li>" in _intro_html(gap)
    html_in_intro = dataclasses.replace(gap, intro="Read <img src=x onerror=alert(1)> first.")
    assert "<img" not in _intro_html(html_in_intro) and "&lt;img" in _intro_html(html_in_intro)


def test_a_participant_header_names_the_tab_after_what_the_link_opens() -> None:
    import ipywidgets as W

    header = ParticipantHeader(W.HTML("<h3>Sprint 12</h3>"), "Retrospective board")
    assert header.head.title == "Retrospective board"
    header.show("Sprint 12")
    assert header.head.title == "Sprint 12" and header.head.intro_html == ""
    header.show("Pulse survey", "Canal Dredge")
    assert header.head.title == "Pulse survey · Canal Dredge"
    assert "cpmkit-participant-header" in header.widget._dom_classes

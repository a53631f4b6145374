"""Workbook 4's feedback loop end to end on one real Voila server: a stakeholder answers the
pulse survey through its link (a ``<script>`` comment among the answers), and opening the
link again in the same browser shows those answers and changes the same response; the PM uploads a
survey export larger than tornado's default 10 MiB websocket message through the import
tab, maps it (leaving its extra column out on purpose) and imports it with a progress bar, and importing it again
with the columns remembered from the first time adds nothing; the results show the NPS with its number
of responses and the script comment as text; one click turns a theme into a lesson in the
register. No request leaves localhost and no dialog opens.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from cpmkit.db.database import Store
from cpmkit.feedback.lessons.store import LessonStore
from cpmkit.feedback.pulse.store import PulseStore
from cpmkit.stakeholders.store import StakeholderStore

pytestmark = pytest.mark.browser

COMMENT = "<script>alert(1)</script> Terrible, awful handover of the budget: we are furious"
#: Above tornado's default websocket_max_message_size (10 MiB): the upload only works because
#: ``cpmkit serve`` raises it.
EXPORT_BYTES = 11 * 1024 * 1024
EXPORT_COMMENTS = [
    "The weekly status update is clear and useful",
    "Deadlines keep slipping and nobody tells us why",
    "Great team, very responsive to our questions",
    "Budget reports come too late for us to react",
    "Scope changes are not communicated early enough",
    "",
    "Quality of the last release was poor: too many bugs",
]
#: Reading, analysing and saving ~10k responses on a shared 2-core machine.
IMPORT_TIMEOUT_MS = 180_000


def google_forms_export(path: Path) -> int:
    """A Google Forms CSV export over EXPORT_BYTES; returns its number of responses. Scores
    cycle 0-10, so the NPS is known: 2 promoters and 7 detractors in 11. The bulk is a long
    column the import leaves out; the comments cycle through a few, one of them blank."""
    rows = [
        [
            "Timestamp",
            "Email Address",
            "How likely is it that you would recommend our team to a friend or colleague?",
            "Anything else you want to tell us? What is not working is the most useful thing to hear.",
            "Internal notes",
        ]
    ]
    notes = "x" * 1000
    size = 0
    while size < EXPORT_BYTES or (len(rows) - 1) % 11:  # whole cycles of 0-10
        n = len(rows) - 1
        rows.append(
            [
                f"2026/11/{1 + n % 20:02d} 10:{n % 60:02d}:{n % 59:02d} am GMT",
                f"person{n}@example.org",
                str(n % 11),
                EXPORT_COMMENTS[n % 7],
                notes,
            ]
        )
        size += sum(len(cell) for cell in rows[-1]) + 8
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return len(rows) - 1


def test_pulse_answers_and_a_large_import_reach_the_results_and_a_lesson(
    web: Any,
    more_web: Any,
    server_store: Store,
    server_stakeholders: StakeholderStore,
    unique: Any,
    wait_until: Any,
    tmp_path: Path,
) -> None:
    pulses = PulseStore(server_store)
    project = server_store.create_project(unique("Feedback"))
    server_stakeholders.add_stakeholder(project, "Acme <Corp>", category="customer")
    round_id = pulses.create_round(project, "November pulse", dt.date(2026, 11, 1))
    token = pulses.new_round_token(round_id)

    # A stakeholder answers through the survey link.
    respondent = more_web("respondent")
    form = respondent.open("04_pulse_survey.ipynb", pulse=token)
    form.get_by_role("radio", name="2 - Not really").first.click()
    form.get_by_role("button", name="4", exact=True).click()
    comment = form.locator("textarea").last
    comment.fill(COMMENT)
    comment.blur()
    wait_until(
        lambda: (r := pulses.responses(project)).shape[0] == 1 and r["comment"].iloc[0] == COMMENT,
        what="the form's answers saved",
    )
    saved = pulses.responses(project).iloc[0]
    assert (saved["recommend"], saved["progress"], saved["stakeholder"]) == (4, 2, None)  # anonymous unless chosen
    respondent.screenshot("pulse-survey", readme="04_pulse_survey.png")
    # Opened again in the same browser: the answers are back, and still one response.
    form = respondent.reload()
    expect(form).to_contain_text("Welcome back")
    expect(form.get_by_role("radio", name="2 - Not really").first).to_be_checked()
    expect(form.locator("textarea").last).to_have_value(COMMENT)
    form.get_by_role("button", name="9", exact=True).click()
    wait_until(lambda: pulses.responses(project)["recommend"].tolist() == [9], what="the changed answer saved")
    respondent.assert_clean()

    # The PM imports a large export of the same round.
    export = tmp_path / "Project pulse (Responses) - Form responses 1.csv"
    imported = google_forms_export(export)
    assert export.stat().st_size > 10 * 1024 * 1024
    web.open("04_lessons_learned.ipynb", project=project)
    page = web.page
    page.get_by_role("tab", name="Import responses").click()
    panel = page.locator(".cpmkit-feedback-import")
    with page.expect_file_chooser() as chooser:
        panel.get_by_role("button", name="Choose file").click()
    chooser.value.set_files(str(export))
    start = panel.get_by_role("button", name="Import")
    expect(panel).to_contain_text("person0@example.org", timeout=IMPORT_TIMEOUT_MS)  # the preview
    expect(start).to_be_disabled()  # "Internal notes" is neither imported nor left out yet
    panel.get_by_role("button", name="Leave out the other columns").click()
    expect(start).to_be_enabled()
    start.click()
    expect(panel).to_contain_text(f"{imported:,} new responses added to November pulse", timeout=IMPORT_TIMEOUT_MS)
    expect(panel.locator(".cpmkit-import-progress")).to_be_visible()
    assert len(pulses.responses(project)) == imported + 1

    # The same file again adds nothing.
    with page.expect_file_chooser() as chooser:
        panel.get_by_role("button", name="Choose file").click()
    chooser.value.set_files(str(export))
    expect(panel).not_to_contain_text(
        "new responses added", timeout=IMPORT_TIMEOUT_MS
    )  # a new upload clears the last result
    panel.get_by_role("button", name="Use the same columns and values").click(timeout=IMPORT_TIMEOUT_MS)
    expect(start).to_be_enabled()
    start.click()
    expect(panel).to_contain_text(
        f"0 new responses added to November pulse; {imported:,} already imported before", timeout=IMPORT_TIMEOUT_MS
    )
    assert len(pulses.responses(project)) == imported + 1

    # The results: NPS with n beside it, the script comment as text, a theme made a lesson.
    page.get_by_role("tab", name="Results").click()
    results = page.locator(".cpmkit-feedback-results")
    nps = round(100 * (2 / 11 * imported + 1 - 7 / 11 * imported) / (imported + 1))  # the form's 9 is a promoter
    expect(results).to_contain_text(f"NPS {nps} (n = {imported + 1:,})", timeout=IMPORT_TIMEOUT_MS)
    expect(results.locator(".cpmkit-comment").first).to_contain_text(COMMENT)  # the most negative comes first
    assert results.locator("script").count() == 0
    web.screenshot("results", readme="04_feedback_results.png", height=2400)
    results.get_by_role("button", name="Make a lesson: Communication").click()
    register = page.locator(".cpmkit-lessons-register")
    expect(register).to_contain_text("complete the fields below")
    [lesson] = LessonStore(server_store).lessons(project).to_dict("records")
    assert "Communication" in lesson["what_happened"]
    web.screenshot("lesson", readme="04_lessons_learned.png")
    web.assert_clean()

"""Unit tests of cpmkit.feedback.pulse.template: the real pulse survey and feedback taxonomy, and
malformed copies whose TemplateError must name the file, the item and the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cpmkit.errors import TemplateError
from cpmkit.feedback.pulse.template import (
    FEEDBACK_THEMES_FILE,
    PULSE_SURVEY_FILE,
    TONE_RANGE,
    FeedbackTaxonomy,
    PulseSurvey,
    feedback_taxonomy,
    load_feedback_taxonomy,
    load_pulse_survey,
    pulse_survey,
)

REAL_TEMPLATES = Path(__file__).resolve().parents[3] / "templates"

#: The questions the seed articles say to ask during the project (Kantata, tip 3).
SEED_QUESTIONS = {
    "progress": "Are you comfortable with progress?",
    "as_expected": "Are we proceeding as you expected?",
    "anything_else": "Is there anything else you would like us to be doing?",
    "information": "Do you have all the information you need?",
}
NAMED_THEMES = (
    "communication",
    "schedule",
    "scope",
    "quality",
    "budget",
    "responsiveness",
    "transparency",
    "people",
)


@pytest.fixture(scope="module")
def survey() -> PulseSurvey:
    return load_pulse_survey(REAL_TEMPLATES / PULSE_SURVEY_FILE)


@pytest.fixture(scope="module")
def taxonomy() -> FeedbackTaxonomy:
    return load_feedback_taxonomy(REAL_TEMPLATES / FEEDBACK_THEMES_FILE)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _survey_error(tmp_path: Path, text: str) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        load_pulse_survey(_write(tmp_path, "pulse.yaml", text))
    return info.value


def _taxonomy_error(tmp_path: Path, text: str) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        load_feedback_taxonomy(_write(tmp_path, "themes.yaml", text))
    return info.value


# -- the real pulse survey -------------------------------------------------------------------


def test_real_survey_asks_the_seed_questions_word_for_word(survey: PulseSurvey) -> None:
    for question_id, text in SEED_QUESTIONS.items():
        assert survey.question(question_id).text == text
    assert survey.question("anything_else").kind == "text"


def test_real_survey_asks_in_this_order(survey: PulseSurvey) -> None:
    ids = [q.id for q in survey.questions]
    assert ids == ["progress", "as_expected", "anything_else", "information", "recommend", "satisfaction", "comment"]


def test_real_survey_ratings_are_required_and_fully_labelled(survey: PulseSurvey) -> None:
    for question_id in ("progress", "as_expected", "information"):
        question = survey.question(question_id)
        assert question.kind == "rating" and question.required
        assert question.scale is not None
        assert list(question.scale.values) == [1, 2, 3, 4, 5]
        assert all(question.scale.label(value) for value in question.scale.values)
    progress = survey.question("progress").scale
    assert progress is not None and progress.label(1) == "Not at all"


def test_real_survey_recommend_is_the_standard_nps_question(survey: PulseSurvey) -> None:
    question = survey.recommend
    assert question.id == "recommend" and question.required
    assert question.text.startswith("How likely is it that you would recommend")
    assert question.text.endswith("to a friend or colleague?")
    assert question.scale is not None
    assert (question.scale.low, question.scale.high) == (0, 10)
    assert question.scale.label(0) == "Not at all likely"
    assert question.scale.label(10) == "Extremely likely"
    assert question.scale.label(5) == ""


def test_real_survey_satisfaction_and_comment_are_optional(survey: PulseSurvey) -> None:
    satisfaction = survey.satisfaction
    assert satisfaction is not None and satisfaction.id == "satisfaction" and not satisfaction.required
    assert satisfaction.scale is not None
    assert [satisfaction.scale.label(v) for v in (1, 5)] == ["Very dissatisfied", "Very satisfied"]
    comment = survey.question("comment")
    assert comment.kind == "text" and not comment.required and comment.scale is None
    assert survey.text_ids == ("anything_else", "comment")


def test_default_survey_is_read_from_the_templates_folder(tmp_path: Path) -> None:
    assert pulse_survey() == load_pulse_survey(REAL_TEMPLATES / PULSE_SURVEY_FILE)
    (tmp_path / PULSE_SURVEY_FILE).write_text((REAL_TEMPLATES / PULSE_SURVEY_FILE).read_text(encoding="utf-8"))
    assert pulse_survey(tmp_path).name == "Project pulse survey"


# -- malformed pulse surveys -----------------------------------------------------------------

NPS_SCALE = "{low: 0, high: 10, labels: {0: Unlikely, 10: Likely}}"
RECOMMEND = f'- id: recommend\n  kind: recommend\n  text: "How likely?"\n  scale: {NPS_SCALE}\n'


def _questions(*blocks: str) -> str:
    """A survey file with these question entries (each a YAML list item, not indented)."""
    return "name: Pulse\nintro: Hello.\nquestions:\n" + textwrap.indent("".join(blocks), "  ")


def _rating(
    extra: str = "", scale: str = "{low: 1, high: 3, labels: {1: a, 2: b, 3: c}}", qid: str = "progress"
) -> str:
    return f'- id: {qid}\n  kind: rating\n  text: "Comfortable?"\n  scale: {scale}\n{extra}'


def test_minimal_survey_loads(tmp_path: Path) -> None:
    survey = load_pulse_survey(_write(tmp_path, "pulse.yaml", _questions(_rating(), RECOMMEND)))
    assert [q.id for q in survey.questions] == ["progress", "recommend"]
    assert survey.satisfaction is None and survey.text_ids == ()


@pytest.mark.parametrize(
    ("questions", "item", "field", "fragment"),
    [
        (_rating(qid="Progress"), "Progress", "id", "lowercase letters"),
        (_rating(qid="round"), "round", "id", "reserved"),
        (_rating(qid="themes"), "themes", "id", "reserved"),
        (_rating("  kind2: x\n"), "progress", "kind2", "not a known field"),
        (_rating("  required: maybe\n"), "progress", "required", "true or false"),
        (_rating(scale="{low: 1, high: 2, labels: {1: a, 2: b}}"), "progress", "scale", "at least 3 points"),
        (_rating(scale="{low: 3, high: 1, labels: {}}"), "progress", "scale", "high above low"),
        (_rating(scale="{low: 1, high: 3, labels: {1: a, 3: c}}"), "progress", "scale.labels", "no label for 2"),
        (_rating(scale="{low: 1, high: 3, labels: {1: a, 2: b, 3: c, 4: d}}"), "progress", "scale.labels", "4"),
        (_rating(scale="{low: 1, high: 3, labels: {1: a, 2: '', 3: c}}"), "progress", "scale.labels", "non-empty"),
        (
            _rating(scale="{low: 1, high: 3, step: 1, labels: {1: a, 2: b, 3: c}}"),
            "progress",
            "scale.step",
            "not a known",
        ),
        (_rating(scale="five"), "progress", "scale", "mapping"),
        ('- id: progress\n  kind: rating\n  text: "Comfortable?"\n', "progress", "scale", "mapping"),
        ("- id: progress\n  kind: stars\n  text: Comfortable?\n", "progress", "kind", "rating, recommend"),
        ("- id: progress\n  kind: rating\n  text: '  '\n", "progress", "text", "missing or empty"),
        ("- id: note\n  kind: text\n  text: Note?\n  scale: {low: 1, high: 3}\n", "note", "scale", "no scale"),
        ("- kind: text\n  text: Note?\n", "question 1", "id", "missing or empty"),
        ("- just a string\n", "question 1", None, "must be a mapping"),
    ],
)
def test_malformed_question_names_item_and_field(
    tmp_path: Path, questions: str, item: str, field: str | None, fragment: str
) -> None:
    error = _survey_error(tmp_path, _questions(questions, RECOMMEND))
    assert (error.file, error.item, error.field) == ("pulse.yaml", item, field)
    assert fragment in str(error)


@pytest.mark.parametrize(
    ("recommend_scale", "fragment"),
    [
        ("{low: 1, high: 10, labels: {1: Unlikely, 10: Likely}}", "from 0 to 10"),
        ("{low: 0, high: 10, labels: {0: Unlikely}}", "no label for 10"),
    ],
)
def test_recommend_question_must_be_nps_scale(tmp_path: Path, recommend_scale: str, fragment: str) -> None:
    text = _questions(RECOMMEND.replace(NPS_SCALE, recommend_scale))
    error = _survey_error(tmp_path, text)
    assert (error.item, error.field) == ("recommend", "scale" if "from" in fragment else "scale.labels")
    assert fragment in str(error)


def test_satisfaction_question_must_be_one_to_five(tmp_path: Path) -> None:
    seven = "- id: satisfaction\n  kind: satisfaction\n  text: Satisfied?\n  scale: {low: 1, high: 7, labels: {1: a, 7: b}}\n"
    error = _survey_error(tmp_path, _questions(seven, RECOMMEND))
    assert (error.item, error.field) == ("satisfaction", "scale")
    assert "from 1 to 5" in str(error)


def test_survey_needs_exactly_one_recommend_question(tmp_path: Path) -> None:
    assert "exactly one" in str(_survey_error(tmp_path, _questions(_rating())))
    twice = _questions(_rating(), RECOMMEND, RECOMMEND.replace("id: recommend", "id: recommend_again"))
    error = _survey_error(tmp_path, twice)
    assert (error.field, "not 2" in str(error)) == ("questions", True)


def test_survey_allows_at_most_one_satisfaction_question(tmp_path: Path) -> None:
    csat = "- id: {qid}\n  kind: satisfaction\n  text: Satisfied?\n  scale: {{low: 1, high: 5, labels: {{1: a, 2: b, 3: c, 4: d, 5: e}}}}\n"
    error = _survey_error(tmp_path, _questions(csat.format(qid="sat1"), csat.format(qid="sat2"), RECOMMEND))
    assert error.field == "questions" and "at most one" in str(error)


def test_duplicate_question_id_is_refused(tmp_path: Path) -> None:
    error = _survey_error(tmp_path, _questions(_rating(), _rating(), RECOMMEND))
    assert (error.item, error.field) == ("progress", "id")


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ("name: Pulse\nintro: Hi.\nquestions: []\n", "questions", "non-empty list"),
        ("name: Pulse\nquestions:\n" + textwrap.indent(RECOMMEND, "  "), "intro", "missing or empty"),
        (
            "name: Pulse\nintro: Hi.\ntitle: x\nquestions:\n" + textwrap.indent(RECOMMEND, "  "),
            "title",
            "not a known field",
        ),
    ],
)
def test_malformed_survey_top_level(tmp_path: Path, text: str, field: str, fragment: str) -> None:
    error = _survey_error(tmp_path, text)
    assert (error.item, error.field) == (None, field)
    assert fragment in str(error)


def test_real_survey_has_a_round_every_two_weeks(survey: PulseSurvey) -> None:
    assert survey.every_days == 14


@pytest.mark.parametrize("every", ["0", "366", "2.5", "fortnightly", "true"])
def test_a_cadence_that_is_not_a_number_of_days_is_refused(tmp_path: Path, every: str) -> None:
    error = _survey_error(
        tmp_path, f"name: Pulse\nintro: Hi.\nevery_days: {every}\nquestions:\n" + textwrap.indent(RECOMMEND, "  ")
    )
    assert (error.item, error.field) == (None, "every_days")
    assert "whole number of days from 1 to 365" in str(error)


def test_without_a_cadence_the_survey_has_none(tmp_path: Path) -> None:
    path = _write(tmp_path, "pulse.yaml", "name: Pulse\nintro: Hi.\nquestions:\n" + textwrap.indent(RECOMMEND, "  "))
    assert load_pulse_survey(path).every_days is None


def test_survey_that_is_not_yaml_or_missing_is_a_template_error(tmp_path: Path) -> None:
    assert "not valid YAML" in str(_survey_error(tmp_path, "questions: [unclosed\n"))
    with pytest.raises(TemplateError, match="file not found"):
        load_pulse_survey(tmp_path / "missing.yaml")


# -- the real feedback taxonomy --------------------------------------------------------------


def test_real_taxonomy_has_the_named_themes_and_more(taxonomy: FeedbackTaxonomy) -> None:
    ids = [theme.id for theme in taxonomy.themes]
    assert ids[: len(NAMED_THEMES)] == list(NAMED_THEMES)
    assert len(ids) > len(NAMED_THEMES) and len(ids) == len(set(ids))
    for theme in taxonomy.themes:
        assert theme.label and len(theme.keywords) >= 5
    assert "communicat*" in taxonomy.theme("communication").keywords


def test_real_taxonomy_tone_words_are_on_vaders_scale(taxonomy: FeedbackTaxonomy) -> None:
    words = dict(taxonomy.tone_words)
    low, high = TONE_RANGE
    assert all(low <= tone <= high for tone in words.values())
    assert words["late"] < 0 < words["punctual"]
    assert words["please"] == 0


def test_real_taxonomy_tone_phrases_are_phrases_on_vaders_scale(taxonomy: FeedbackTaxonomy) -> None:
    phrases = dict(taxonomy.tone_phrases)
    low, high = TONE_RANGE
    assert all(low <= tone <= high and len(phrase.split()) >= 2 for phrase, tone in phrases.items())
    assert phrases["could be better"] < 0 < phrases["on track"]


def test_default_taxonomy_is_read_from_the_templates_folder(taxonomy: FeedbackTaxonomy) -> None:
    assert feedback_taxonomy() == taxonomy


# -- malformed feedback taxonomies -----------------------------------------------------------


def _themes(keywords: str, *, theme_id: str = "scope", extra: str = "") -> str:
    return f"themes:\n  - id: {theme_id}\n    label: Scope\n    keywords: {keywords}\n{extra}"


def test_keywords_are_stored_case_folded_and_single_spaced(tmp_path: Path) -> None:
    taxonomy = load_feedback_taxonomy(
        _write(tmp_path, "themes.yaml", _themes("['  Status   UPDATE ', \"Didn't reply\", Requirement*]"))
    )
    assert taxonomy.theme("scope").keywords == ("status update", "didn't reply", "requirement*")
    assert taxonomy.tone_words == ()


@pytest.mark.parametrize(
    ("keywords", "fragment"),
    [
        ("[]", "non-empty list"),
        ("[scope!]", "'scope!' is not a keyword"),
        ("['*scope']", "is not a keyword"),
        ("['sc*ope']", "is not a keyword"),
        ("['scope  -  creep']", "is not a keyword"),
        ("[on]", "True is not a keyword"),
        ("['ab*']", "at least 3 letters"),
        ("['e-ma*']", "at least 3 letters"),
        ("[Scope, scope]", "lists 'scope' twice"),
    ],
)
def test_malformed_keywords_name_the_theme(tmp_path: Path, keywords: str, fragment: str) -> None:
    error = _taxonomy_error(tmp_path, _themes(keywords))
    assert (error.file, error.item, error.field) == ("themes.yaml", "scope", "keywords")
    assert fragment in str(error)


@pytest.mark.parametrize(
    ("text", "item", "field", "fragment"),
    [
        ("themes: []\n", None, "themes", "non-empty list"),
        ("tone_words: {}\n", None, "themes", "non-empty list"),
        ("themes: [a]\nextra: 1\n", None, "extra", "not a known field"),
        (_themes("[scope]", theme_id="unthemed"), "unthemed", "id", "reserved"),
        (_themes("[scope]", theme_id="Scope"), "Scope", "id", "lowercase"),
        (_themes("[scope]") + "  - id: scope\n    label: Again\n    keywords: [x]\n", "scope", "id", "more than once"),
        ("themes:\n  - id: scope\n    keywords: [scope]\n", "scope", "label", "missing or empty"),
        ("themes:\n  - scope\n", "theme 1", None, "must be a mapping"),
        (_themes("[scope]", extra="tone_words: [late]\n"), None, "tone_words", "map each word"),
        (_themes("[scope]", extra="tone_words: {very late: -1}\n"), "very late", "tone_words", "single word"),
        (_themes("[scope]", extra="tone_words: {off: -1}\n"), "False", "tone_words", "single word"),
        (_themes("[scope]", extra="tone_words: {late: -5}\n"), "late", "tone_words", "from -4 (most negative) to 4"),
        (_themes("[scope]", extra="tone_words: {late: bad}\n"), "late", "tone_words", "not 'bad'"),
        (_themes("[scope]", extra="tone_words: {late: true}\n"), "late", "tone_words", "a number"),
        (_themes("[scope]", extra="tone_words: {Late: -1, late: -2}\n"), "late", "tone_words", "more than once"),
        (_themes("[scope]", extra="tone_phrases: [too late]\n"), None, "tone_phrases", "map each phrase"),
        (_themes("[scope]", extra="tone_phrases: {late: -1}\n"), "late", "tone_phrases", "single words go in"),
        (_themes("[scope]", extra="tone_phrases: {'too late!': -1}\n"), "too late!", "tone_phrases", "two or more"),
        (_themes("[scope]", extra="tone_phrases: {'could be*': -1}\n"), "could be*", "tone_phrases", "two or more"),
        (_themes("[scope]", extra="tone_phrases: {too late: 4.5}\n"), "too late", "tone_phrases", "from -4"),
        (
            _themes("[scope]", extra="tone_phrases: {too late: -1, Too  LATE: -2}\n"),
            "Too  LATE",
            "tone_phrases",
            "more than once",
        ),
        (  # a comment's "didnt reply" is read as "didn't reply": two scores for it would fight
            _themes("[scope]", extra='tone_phrases: {"didn\'t reply": -1.5, didnt reply: 1.5}\n'),
            "didnt reply",
            "tone_phrases",
            "more than once",
        ),
    ],
)
def test_malformed_taxonomy_names_item_and_field(
    tmp_path: Path, text: str, item: str | None, field: str | None, fragment: str
) -> None:
    error = _taxonomy_error(tmp_path, text)
    assert (error.item, error.field) == (item, field)
    assert fragment in str(error)


def test_tone_words_are_case_folded(tmp_path: Path) -> None:
    taxonomy = load_feedback_taxonomy(
        _write(tmp_path, "themes.yaml", _themes("[scope]", extra="tone_words: {LATE: -1.5, On-Time: 1}\n"))
    )
    assert taxonomy.tone_words == (("late", -1.5), ("on-time", 1.0))


def test_tone_phrases_are_case_folded_and_single_spaced(tmp_path: Path) -> None:
    text = _themes("[scope]", extra="tone_phrases: {'Could  be BETTER': -1.8, \"didn't reply\": -1}\n")
    taxonomy = load_feedback_taxonomy(_write(tmp_path, "themes.yaml", text))
    assert taxonomy.tone_phrases == (("could be better", -1.8), ("didn't reply", -1.0))

"""Unit tests of cpmkit.feedback.survey_import.recoding: the distinct answers of a column, a value
suggested for each on the pulse survey's real scales (by label, by number, by the ordinal words
of templates/answer_scales.yaml in six languages, spread from the order of their scale), the
Recoding kept with a mapping, and the answer scales file checked on load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cpmkit.errors import TemplateError, ValidationError
from cpmkit.feedback.pulse.targets import import_targets
from cpmkit.feedback.pulse.template import pulse_survey
from cpmkit.feedback.survey_import.mapping import Target
from cpmkit.feedback.survey_import.recoding import (
    NOT_AN_ANSWER,
    Recoding,
    answer_scales,
    distinct_answers,
    load_answer_scales,
    suggest_recoding,
)

#: The pulse survey's own fields: progress on the comfort scale 1..5 (Not at all .. Completely),
#: recommend 0..10 (labels on 0 and 10), satisfaction 1..5 (Very dissatisfied .. Very satisfied).
TARGETS = {target.id: target for target in import_targets(pulse_survey())}
PROGRESS, RECOMMEND, SATISFACTION = TARGETS["progress"], TARGETS["recommend"], TARGETS["satisfaction"]


def suggested(answers: list[str], target: Target = PROGRESS) -> list[int | None]:
    """The value suggested for each answer; None for one placed nowhere (left out of the recoding)."""
    recoding = suggest_recoding(answers, target)
    assert set(recoding.values) <= set(answers) and None not in recoding.values.values()
    return [recoding.values.get(answer) for answer in answers]


def test_the_real_scales_are_the_ones_the_tests_assume() -> None:
    assert (PROGRESS.low, PROGRESS.high, PROGRESS.labels[3]) == (1, 5, (4, "Mostly"))
    assert (RECOMMEND.low, RECOMMEND.high) == (0, 10)
    assert (SATISFACTION.low, SATISFACTION.high, SATISFACTION.labels[-1]) == (1, 5, (5, "Very satisfied"))


def test_distinct_answers_are_counted_most_frequent_first() -> None:
    cells = pd.Series(["Yes", "No", "", "Somewhat", "No", "Yes", "Yes", "  ", "Maybe"])
    assert distinct_answers(cells) == [("Yes", 3), ("No", 2), ("Maybe", 1), ("Somewhat", 1)]
    assert distinct_answers(pd.Series([], dtype=str)) == []


def test_answers_are_placed_by_the_targets_labels_and_by_number() -> None:
    assert suggested(["Mostly", "NOT  AT ALL", "completely", "4", "5 - Completely"]) == [4, 1, 5, 4, 5]
    assert suggested(["Very satisfied", "Neither satisfied nor dissatisfied"], SATISFACTION) == [5, 3]
    answers = ["9", "9 - Very likely", "10 (Extremely likely)", "Not at all likely", "11", "-1"]
    assert suggested(answers, RECOMMEND) == [9, 9, 10, 0, None, None]


@pytest.mark.parametrize(
    ("answers", "values"),
    [
        (["Yes", "Somewhat", "No"], [5, 3, 1]),
        (["Sí", "Más o menos", "No"], [5, 3, 1]),
        (["Oui", "Un peu", "Non"], [5, 3, 1]),
        (["Ja", "Teilweise", "Nein"], [5, 3, 1]),
        (["Sim", "Em parte", "Não"], [5, 3, 1]),
        (["Ja", "Deels", "Nee"], [5, 3, 1]),
        (["Sí", "No"], [5, 1]),
        (["oui", "NON"], [5, 1]),
        (
            ["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree"],
            [5, 4, 3, 2, 1],
        ),
        (["Totalmente de acuerdo", "De acuerdo", "En desacuerdo"], [5, 4, 2]),
        (["Tout à fait d’accord", "D'accord", "Pas d'accord"], [5, 4, 2]),  # typographic and plain apostrophes
        (["Stimme voll und ganz zu", "Stimme zu", "Stimme nicht zu"], [5, 4, 2]),
        (["Concordo totalmente", "Discordo"], [5, 2]),
        (["Helemaal eens", "Neutraal", "Oneens"], [5, 3, 2]),
        (["Always", "Often", "Sometimes", "Rarely", "Never"], [5, 4, 3, 2, 1]),
        (["Toujours", "Parfois", "Jamais"], [5, 3, 1]),
        (["Immer", "Selten"], [5, 2]),
        (["Excellent", "Very good", "Good", "Fair", "Poor"], [5, 4, 3, 2, 1]),
        (["Excelente", "Bueno", "Malo"], [5, 3, 1]),
        (["Very satisfied", "Satisfied", "Neutral", "Dissatisfied", "Very dissatisfied"], [5, 4, 3, 2, 1]),
        (["Zeer tevreden", "Tevreden", "Ontevreden"], [5, 4, 2]),
        (["Sehr zufrieden", "Unzufrieden"], [5, 2]),
        (["Muito satisfeito", "Insatisfeito"], [5, 2]),
    ],
)
def test_ordinal_words_are_placed_in_several_languages(answers: list[str], values: list[int]) -> None:
    assert suggested(answers) == values


def test_the_scale_found_is_spread_evenly_over_the_targets_scale() -> None:
    assert suggested(["Yes", "Somewhat", "No"], RECOMMEND) == [10, 5, 0]
    agreement = ["Strongly agree", "Agree", "Neutral", "Disagree", "Strongly disagree"]
    assert suggested(agreement, RECOMMEND) == [10, 8, 5, 3, 0]  # 7.5 and 2.5 rounded half up
    assert suggested(["Agree", "Disagree"]) == [4, 2]  # the whole scale is spread, not the answers found
    assert suggested(["Yes", "No"], RECOMMEND) == [10, 0]


def test_answers_placed_nowhere_are_left_out_until_given_a_value() -> None:
    assert suggested(["Yes", "Maybe", "Banana", "Don't know"]) == [5, None, None, None]
    assert dict(suggest_recoding(["Yes", "Maybe"], PROGRESS).values) == {"Yes": 5}  # "Maybe" stays a problem
    assert suggested(["Mostly", "Yes", "No"]) == [4, 5, 1]  # the label first, the rest by its scale
    assert suggested([]) == []
    comment = Target("comment", "Comment", "text")
    with pytest.raises(ValidationError, match="'Comment' is not answered on a scale"):
        suggest_recoding(["Yes"], comment)


def test_a_recoding_is_changed_by_copy_and_saved_as_plain_data() -> None:
    recoding = suggest_recoding(["Yes", "Somewhat", "No", "Maybe"], PROGRESS)
    changed = recoding.with_value("Somewhat", 2).with_value("Maybe", 3).with_value("No", None)
    assert dict(recoding.values) == {"Yes": 5, "Somewhat": 3, "No": 1}
    assert dict(changed.values) == {"Yes": 5, "Somewhat": 2, "No": None, "Maybe": 3}
    assert dict(changed.without("Maybe").without("Absent").values) == {"Yes": 5, "Somewhat": 2, "No": None}
    with pytest.raises(TypeError):
        changed.values["Yes"] = 1  # type: ignore[index]
    data = json.loads(json.dumps(changed.to_data()))
    assert Recoding.from_data(data, PROGRESS) == changed
    assert NOT_AN_ANSWER == "not an answer"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "The saved answer values of 'Are you comfortable with progress?' are not readable."),
        ({"values": {"Yes": 6}}, "The answer values of 'Are you comfortable with progress?': 'Yes' is given 6,"),
        ({"values": ["Yes", 5]}, "are not readable"),
        ({}, "are not readable"),
        ({"values": {"Yes": 6}}, "'Yes' is given 6, not a whole number from 1 to 5 nor 'not an answer'."),
        ({"values": {"Yes": True}}, "'Yes' is given True"),
        ({"values": {"Yes": "5"}}, "'Yes' is given '5'"),
        ({"values": {"Yes": 2.5}}, "'Yes' is given 2.5"),
    ],
)
def test_saved_recodings_that_do_not_fit_the_target_are_refused(data: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Recoding.from_data(data, PROGRESS)
    assert message in str(caught.value)


def test_a_saved_recoding_of_a_text_target_is_refused() -> None:
    with pytest.raises(ValidationError, match="is not answered on a scale"):
        Recoding.from_data({"values": {}}, Target("comment", "Comment", "text"))


def test_the_answer_scales_file_loads_each_scale_lowest_first() -> None:
    scales = {scale.id: scale for scale in answer_scales()}
    assert {"yes_no", "yes_somewhat_no", "agreement", "frequency", "quality", "satisfaction"} <= set(scales)
    assert [scales["yes_somewhat_no"].point(word) for word in ("no", "Somewhat", "YES!", "maybe")] == [0, 1, 2, None]
    assert all(len(scale.points) >= 2 for scale in scales.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scales: []", "answer_scales.yaml, field 'scales': must be a non-empty list of scales."),
        ("scale: []", "answer_scales.yaml, field 'scale': is not a known field (expected scales)."),
        ("scales: [[yes]]", "answer_scales.yaml, item 'scale 1': each scale must be a mapping with id and points."),
        (
            "scales:\n  - id: yes_no\n    points:\n      - [no]\n      - [yes]",
            "answer_scales.yaml, item 'yes_no', field 'points': False is not a word or phrase (put every phrase in",
        ),
        (
            'scales:\n  - id: yes_no\n    points: [["no", "nope"], ["yes", "No!"]]',
            "answer_scales.yaml, item 'yes_no', field 'points': lists 'No!' twice: a phrase names one point.",
        ),
        (
            'scales:\n  - id: yes_no\n    points: [["no", "yes"]]',
            "item 'yes_no', field 'points': must list at least two points, lowest first",
        ),
        ('scales:\n  - id: yes_no\n    points: [["no"], []]', "item 'yes_no', field 'points': must list at least"),
        ('scales:\n  - id: yes_no\n    points: [["no"], ["..."]]', "'...' is not a word or phrase"),
        (
            'scales:\n  - id: yes_no\n    point: [["no"], ["yes"]]',
            "item 'yes_no', field 'point': is not a known field (expected id, points).",
        ),
        ('scales:\n  - id: Yes No\n    points: [["no"], ["yes"]]', "item 'Yes No', field 'id': must be lowercase"),
        (
            'scales:\n  - {id: a, points: [["no"], ["yes"]]}\n  - {id: a, points: [["bad"], ["good"]]}',
            "answer_scales.yaml, item 'a', field 'id': appears more than once.",
        ),
        ("scales: [", "answer_scales.yaml: is not valid YAML"),
    ],
)
def test_a_broken_answer_scales_file_is_refused_naming_file_scale_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "answer_scales.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_answer_scales(path)
    assert message in str(caught.value)


def test_the_scales_of_another_templates_folder_are_used_when_given(tmp_path: Path) -> None:
    (tmp_path / "answer_scales.yaml").write_text('scales:\n  - id: grade\n    points: [["bad"], ["good"]]\n')
    assert [scale.id for scale in answer_scales(tmp_path)] == ["grade"]

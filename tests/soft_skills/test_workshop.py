"""Unit tests of cpmkit.soft_skills.workshop: the trainer dashboard's pure helpers.

The bank is built by hand so the expected figures can be worked out in the comments.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence

import pandas as pd
import pytest

from cpmkit.errors import ValidationError
from cpmkit.soft_skills import workshop as workshop_report
from cpmkit.soft_skills.bank import Competency, Item, QuestionBank, Scale
from cpmkit.soft_skills.scoring import cohort_distribution, round_change
from cpmkit.soft_skills.workshop import (
    CLOSED,
    HIDDEN,
    HIDDEN_IN_A_ROUND,
    HIDDEN_PAIRS,
    NAMES_SHOWN,
    PAIRED,
    ROUND_MEANS,
    UNPAIRED,
    answers_by_round,
    change_table,
    cohort_change,
    distribution_table,
    export_tables,
    file_stem,
    has_figures,
    parse_rounds,
    participant_link,
    person_of,
    released_answers,
    released_pairs,
    requested_workshop,
    require_open,
    round_pairs,
    status_table,
    trainer_link,
)

BANK = QuestionBank(
    name="Test bank",
    scale=Scale(((1, "never"), (2, "rarely"), (3, "sometimes"), (4, "often"), (5, "always"))),
    competencies=(
        Competency("listen", "Active listening", "About listening.", ("Listen more",)),
        Competency("feedback", "Giving feedback", "About feedback.", ("Give feedback",)),
    ),
    items=tuple(
        Item(i, c, f"Statement {i}", "test")
        for c, ids in (("listen", "L1 L2 L3"), ("feedback", "F1 F2 F3"))
        for i in ids.split()
    ),
)


T0 = dt.datetime(2026, 3, 2, 9, 0)
EXPORT_COLUMNS = ["round", "participant", "display_name", "completed_at", "item_id", "value"]
Person = tuple[str, "str | None", int, int]  # round, display name (None: anonymous), listen, feedback


def _export(*people: Person, finished: Mapping[int, int | None] | None = None) -> pd.DataFrame:
    """The store's cohort_export for ``people`` (ids 1, 2, ... in the order given); each finished
    that many minutes after T0 (``finished``; None: still answering), by default its id."""
    rows = []
    for pid, (round_name, name, listen, feedback) in enumerate(people, start=1):
        minutes = (finished or {}).get(pid, pid)
        when = None if minutes is None else T0 + dt.timedelta(minutes=minutes)
        rows += [(round_name, pid, name, when, item, listen) for item in ("L1", "L2", "L3")]
        rows += [(round_name, pid, name, when, item, feedback) for item in ("F1", "F2", "F3")]
    return pd.DataFrame(rows, columns=EXPORT_COLUMNS, dtype=object).astype({"participant": "int64", "value": "int64"})


# before: listen 2, 3, 4 (mean 3), feedback 3, 3, 3; after: listen 4, 5, 3 (mean 4), feedback 4, 4, 4.
BEFORE: list[Person] = [("before", "Ana", 2, 3), ("before", "Cy", 3, 3), ("before", "Bo", 4, 3)]
AFTER: list[Person] = [("after", "Ana", 4, 4), ("after", "Cy", 5, 4), ("after", "Bo", 3, 4)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("workshop=12", 12),
        ("project=3&workshop=5", 5),
        ("workshop=%2012%20", 12),
        ("", None),
        (None, None),
        ("workshop=", None),
        ("workshop=abc", None),
        ("workshop=-1", None),
        ("workshop=1.5", None),
        ("workshop=\u0661\u0662", None),  # Arabic-Indic digits: isdigit() but not a plain number
        ("project=12", None),
    ],
)
def test_the_workshop_number_comes_from_the_url(query: str | None, expected: int | None) -> None:
    assert requested_workshop(query) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("before, after", ["before", "after"]),
        ("  before ,after  ", ["before", "after"]),
        ("only", ["only"]),
        ("day 1, day 2, , day 3,", ["day 1", "day 2", "day 3"]),
    ],
)
def test_rounds_are_split_on_commas_and_trimmed(text: str, expected: list[str]) -> None:
    assert parse_rounds(text) == expected


@pytest.mark.parametrize("text", ["", "   ", " , ,"])
def test_no_round_at_all_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValidationError, match="before, after"):
        parse_rounds(text)


def test_rounds_must_be_text() -> None:
    with pytest.raises(ValidationError, match="separated by commas"):
        parse_rounds(["before"])  # type: ignore[arg-type]


def test_links_point_at_the_generated_notebooks_and_never_carry_a_key() -> None:
    assert participant_link("ABC234") == "/voila/render/02_soft_skills.ipynb?code=ABC234"
    assert participant_link("A&B C") == "/voila/render/02_soft_skills.ipynb?code=A%26B%20C"
    assert (
        trainer_link(7, "http://10.0.0.5:8866")
        == "http://10.0.0.5:8866/voila/render/02_workshop_trainer.ipynb?workshop=7"
    )


def test_status_table_keeps_the_rounds_in_order_and_counts_those_still_answering() -> None:
    table = status_table({"before": {"joined": 5, "completed": 3}, "after": {"joined": 0, "completed": 0}})
    assert table.to_dict("records") == [
        {"round": "before", "joined": 5, "completed": 3, "in_progress": 2, "who": "2 anonymous"},
        {"round": "after", "joined": 0, "completed": 0, "in_progress": 0, "who": ""},
    ]
    assert status_table({}).empty


@pytest.mark.parametrize(
    ("named", "in_progress", "who"),
    [
        (["Ada"], 1, "Ada"),
        (["Ada", "Ben"], 2, "Ada and Ben"),
        (["Ada", "Ben"], 5, "Ada, Ben and 3 anonymous"),
        ([], 4, "4 anonymous"),
        (
            [f"P{n}" for n in range(NAMES_SHOWN + 3)],
            NAMES_SHOWN + 4,
            ", ".join(f"P{n}" for n in range(NAMES_SHOWN)) + ", 3 more and 1 anonymous",
        ),
    ],
)
def test_the_trainer_sees_who_is_still_answering_by_name_and_the_anonymous_as_a_count(
    named: list[str], in_progress: int, who: str
) -> None:
    table = status_table({"before": {"joined": in_progress + 2, "completed": 2}}, {"before": named})
    assert table.loc[0, "who"] == who


def test_answers_by_round_nests_the_long_export_and_keeps_every_round() -> None:
    export = _export(*BEFORE, ("elsewhere", "Zed", 5, 5))
    by_round = answers_by_round(export, ["before", "after"])
    assert list(by_round) == ["before", "after"]
    assert by_round["after"] == {}
    assert by_round["before"]["1"] == {"L1": 2, "L2": 2, "L3": 2, "F1": 3, "F2": 3, "F3": 3}
    assert set(by_round["before"]) == {"1", "2", "3"}
    assert all(type(v) is int for answers in by_round["before"].values() for v in answers.values())


def test_answers_by_round_names_a_missing_column() -> None:
    with pytest.raises(ValidationError, match="completed_at"):
        answers_by_round(pd.DataFrame({"round": [], "participant": [], "item_id": [], "value": []}), ["before"])


# -- the anonymity rule of the dashboard and the downloads -------------------------------------


def _who(released: pd.DataFrame, round_name: str = "r") -> set[int]:
    return {int(p) for p in released.loc[released["round"] == round_name, "participant"]}


def test_only_participants_who_finished_count_and_a_round_under_three_shows_nothing() -> None:
    export = _export(("r", "Ana", 2, 3), ("r", "Bo", 3, 3), ("r", "Cy", 4, 3), finished={3: None})
    assert released_answers(export, ["r"]).empty  # Cy is still answering: two named are too few
    tables = export_tables(export, BANK, ["r"])
    assert tables["answers"].empty
    assert list(tables["distribution"]["status"]) == [HIDDEN, HIDDEN]
    assert _who(released_answers(_export(("r", "Ana", 2, 3), ("r", "Bo", 3, 3), ("r", "Cy", 4, 3)), ["r"])) == {1, 2, 3}


def test_anonymous_participants_count_in_whole_batches_of_three_in_the_order_they_finished() -> None:
    named: list[Person] = [("r", "Ana", 2, 3), ("r", "Bo", 3, 3)]
    anonymous: list[Person] = [("r", None, 4, 4)] * 4  # ids 3, 4, 5, 6
    assert released_answers(_export(*named, *anonymous[:2]), ["r"]).empty  # 2 named + 2 anonymous: 2 < 3
    # ids 3..6 finish at minutes 9, 7, 8, 10: the first three to finish are 4, 5 and 3
    export = _export(*named, *anonymous, finished={3: 9, 4: 7, 5: 8, 6: 10})
    assert _who(released_answers(export, ["r"])) == {1, 2, 3, 4, 5}
    only_anonymous = _export(*anonymous[:3], ("r", None, 1, 1), ("r", None, 1, 1), finished={4: None})
    assert _who(released_answers(only_anonymous, ["r"])) == {1, 2, 3}  # 4 answering, 5 waits for two more


def test_a_named_round_needs_three_people_too() -> None:
    tables = export_tables(_export(("only", "Ana", 2, 3), ("only", "Bo", 4, 3)), BANK, ["only"])
    assert tables["answers"].empty, "no item answers of a group under three, even named"
    assert list(tables["distribution"]["status"]) == [HIDDEN, HIDDEN]


def test_two_downloads_never_differ_by_one_anonymous_person() -> None:
    """A round grows one finisher at a time, named or not, in any order; between any two looks
    the anonymous people added are none or at least three, and none is ever taken away."""
    for seed in range(12):
        rng = random.Random(seed)
        people: list[Person] = [
            ("r", rng.choice(["Ana", "Bo", None, None]), rng.randint(1, 5), rng.randint(1, 5)) for _ in range(12)
        ]
        order = list(range(1, 13))
        rng.shuffle(order)
        finished: dict[int, int | None] = dict.fromkeys(order)
        before: set[int] = set()
        for minute, pid in enumerate(order, start=1):
            finished[pid] = minute
            export = _export(*people, finished=finished)
            now = _who(released_answers(export, ["r"]))
            anonymous_now = {p for p in now if people[p - 1][1] is None}
            anonymous_before = {p for p in before if people[p - 1][1] is None}
            assert anonymous_now >= anonymous_before
            assert len(anonymous_now - anonymous_before) in (0, *range(3, 13))
            tables = export_tables(export, BANK, ["r"], rng=rng)
            # every sheet covers the same people: the distribution counts those the answers list
            shown = tables["distribution"]
            counted = {int(n) for n in shown["n"].dropna()}
            assert counted <= {tables["answers"]["participant"].nunique()}
            before = now


def test_downloads_label_anonymous_people_afresh_and_never_by_joining_order() -> None:
    people: list[Person] = [
        ("before", "Ana", 2, 3),
        *[("before", None, 3, 3)] * 3,
        ("after", None, 4, 4),
        ("after", "ana", 5, 5),
        ("after", None, 1, 1),
        ("after", None, 2, 2),
        ("after", "Ana", 1, 2),
    ]
    export = _export(*people)
    first = export_tables(export, BANK, ["before", "after"], rng=random.Random(1))["answers"]
    second = export_tables(export, BANK, ["before", "after"], rng=random.Random(2))["answers"]
    labels = list(dict.fromkeys(first["participant"]))
    anonymous = [label for label in labels if label.startswith("Anonymous ")]
    assert len(anonymous) == 6 and all(len(label) == len("Anonymous ABCD") for label in anonymous)
    assert {"Ana", "ana (2)", "Ana (3)"} == set(labels) - set(anonymous)
    assert not set(anonymous) & set(second["participant"]), "a label never links two downloads"
    cells = " ".join(str(v) for v in first.to_numpy().ravel())
    assert "Participant" not in cells and str(T0.year) not in cells
    for round_name in ("before", "after"):  # rows by round, then label: no trace of who joined first
        in_round = first.loc[first["round"] == round_name, "participant"]
        assert list(in_round) == sorted(in_round, key=str.casefold)
    assert list(dict.fromkeys(first["round"])) == ["before", "after"]


def test_names_that_look_alike_get_distinct_labels() -> None:
    released = pd.DataFrame({"participant": [1, 2, 3, 4], "display_name": ["Bob", "Bоb", "ＢＯＢ\u200b", None]})
    labels = workshop_report._labels(released, random.Random(0))
    assert {pid: labels[pid] for pid in (1, 2, 3)} == {1: "Bob", 2: "Bоb (2)", 3: "ＢＯＢ\u200b (3)"}  # Cyrillic о in 2
    assert labels[4].startswith("Anonymous ")


def test_distribution_table_words_hidden_rows_for_the_page() -> None:
    # 3 before: both competencies shown; only 2 after: both hidden.
    by_round = answers_by_round(_export(*BEFORE, *AFTER[:2]), ["before", "after"])
    shown = cohort_distribution(BANK, by_round["before"])
    table = distribution_table(shown)
    assert list(table["status"]) == ["", ""]
    listen = table.iloc[0]
    # listen scores 2, 3, 4: mean 3, quartiles 2.5 / 3 / 3.5, one each at 2, 3 and 4.
    assert (listen["n"], listen["mean"], listen["q1"], listen["median"], listen["q3"]) == (3, 3.0, 2.5, 3.0, 3.5)
    assert (listen["n_2"], listen["n_3"], listen["n_4"]) == (1, 1, 1)
    assert has_figures(shown)

    hidden = cohort_distribution(BANK, by_round["after"])
    worded = distribution_table(hidden)
    assert list(worded["status"]) == [HIDDEN, HIDDEN] == ["hidden: fewer than 3 participants"] * 2
    assert worded["mean"].isna().all() and list(worded["n"]) == ["", ""], "a blank cell, not <NA>"
    assert not has_figures(hidden)
    assert list(hidden["status"]) == ["hidden: fewer than 3"] * 2, "the input frame is left as it was"


def test_change_table_words_hidden_rows_for_the_page() -> None:
    both = answers_by_round(_export(*BEFORE, *AFTER), ["before", "after"])
    change = change_table(round_change(BANK, both, before="before", after="after"))
    assert list(change["change"]) == [1.0, 1.0]  # listen 3 -> 4, feedback 3 -> 4
    assert list(change["status"]) == ["", ""]
    short = answers_by_round(_export(*BEFORE, *AFTER[:2]), ["before", "after"])
    hidden = change_table(round_change(BANK, short, before="before", after="after"))
    assert list(hidden["status"]) == [HIDDEN_IN_A_ROUND] * 2
    assert hidden["change"].isna().all()


def test_export_tables_hold_the_answers_each_rounds_distribution_and_the_change() -> None:
    tables = export_tables(_export(*BEFORE, *AFTER), BANK, ["before", "after"])
    assert list(tables) == ["answers", "distribution", "change"]
    answers = tables["answers"]
    assert list(answers.columns) == ["round", "participant", "competency", "item_id", "value"]
    assert len(answers) == 36 and set(answers["competency"]) == {"listen", "feedback"}
    distribution = tables["distribution"]
    assert list(distribution["round"]) == ["before", "before", "after", "after"]
    assert list(distribution["mean"]) == [3.0, 3.0, 4.0, 4.0]
    assert distribution["n"].dtype == "Int64", "the files keep the counts as numbers"
    change = tables["change"]
    assert list(change[["before", "after", "measured"]].iloc[0]) == ["before", "after", ROUND_MEANS]
    assert "not paired" in ROUND_MEANS  # the dashboard may show the paired change: the file says which it holds
    assert list(change["change"]) == [1.0, 1.0]


def test_export_tables_keep_small_groups_hidden_and_skip_the_change_with_one_round() -> None:
    tables = export_tables(_export(("only", "Ana", 2, 3), ("only", "Bo", 4, 3)), BANK, ["only"])
    assert list(tables) == ["answers", "distribution"]
    assert list(tables["distribution"]["status"]) == [HIDDEN, HIDDEN]
    assert all(math.isnan(v) for v in tables["distribution"]["mean"])


def test_an_answer_to_an_item_outside_the_bank_is_named_in_the_refusal() -> None:
    export = _export(("only", "Ana", 2, 3), ("only", "Bo", 4, 3), ("only", "Cy", 4, 3))
    export.loc[0, "item_id"] = "old_item"
    with pytest.raises(ValidationError, match="old_item"):
        export_tables(export, BANK, ["only"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Soft skills, March!", "workshop-12-soft-skills-march"),
        ("Équipe été", "workshop-12-equipe-ete"),
        ("<script>alert(1)</script>", "workshop-12-script-alert-1-script"),
        ("", "workshop-12"),
        ("!!!", "workshop-12"),
        ("x" * 100, "workshop-12-" + "x" * 40),
    ],
)
def test_file_stem_is_safe_for_a_file_name(name: str, expected: str) -> None:
    assert file_stem(name, 12) == expected


def test_a_closed_workshop_takes_nobody_new() -> None:
    """The one rule the start screen and the store's join apply."""
    require_open({"is_open": True})
    with pytest.raises(ValidationError) as caught:
        require_open({"is_open": False})
    assert str(caught.value) == CLOSED
    assert CLOSED.startswith("This workshop is closed")


# -- pairs ---------------------------------------------------------------------------------------


def _row(pid: int, round_name: str, person: str | None, browser: str | None = None, done: int | None = None) -> dict:
    """A participant row as TrainerAccess.people gives it; ``done``: finished that many minutes after T0."""
    return {
        "id": pid,
        "round": round_name,
        "person_key": person,
        "browser_key": browser,
        "completed_at": None if done is None else T0 + dt.timedelta(minutes=done),
    }


def test_rounds_pair_by_person_key() -> None:
    rows = [
        _row(1, "before", "P1", "B1"),
        _row(2, "before", "P2", "B2"),
        _row(3, "after", "P2", "B9"),  # the same person, by their link from another browser
        _row(4, "after", "P1", "B1"),
        _row(5, "after", "P3", "B3"),  # took only the after round
        _row(6, "middle", "P1", "B1"),
    ]
    assert round_pairs(rows, before="before", after="after") == [(2, 3), (1, 4)]  # in the order "after" joined
    assert round_pairs(rows, before="middle", after="after") == [(6, 4)]
    assert round_pairs(rows, before="after", after="before") == [(4, 1), (3, 2)]
    assert round_pairs(rows, before="before", after="before") == []
    assert round_pairs([], before="before", after="after") == []


def test_rows_from_before_rounds_were_paired_pair_by_their_browser() -> None:
    rows = [
        _row(1, "before", None, "B1"),  # joined before revision 0006: no person key
        _row(2, "after", None, "B1"),
        _row(3, "before", None, "B2"),
        _row(4, "after", "B2", "B2"),  # joined after the upgrade from the same browser: its key is that browser's
        _row(5, "before", None, None),  # neither: pairs with no one
        _row(6, "after", None, None),
    ]
    assert person_of(rows[0]) == "B1" and person_of(rows[4]) is None and person_of({"person_key": ""}) is None
    assert round_pairs(rows, before="before", after="after") == [(1, 2), (3, 4)]


def test_a_person_is_never_paired_twice_in_a_round() -> None:
    rows = [
        _row(5, "after", "P1", "B5"),
        _row(1, "before", "P1", "B1"),
        _row(2, "before", None, "P1"),  # an older row of the same person in the same round
        _row(3, "after", "P1", "B3"),
    ]
    pairs = round_pairs(rows, before="before", after="after")
    assert pairs == [(1, 3)]  # the first row of each round, once
    assert len({old for old, _new in pairs}) == len(pairs) == len({new for _old, new in pairs})


def test_anonymous_people_pair_and_the_pairs_name_no_one() -> None:
    """A row carries no name: pairing reads only the keys, and gives back participant ids, which
    never leave the figures."""
    rows = [_row(1, "before", "P1"), _row(2, "after", "P1")]
    assert round_pairs(rows, before="before", after="after") == [(1, 2)]
    assert not {"display_name"} & set(rows[0])


def _pairs_done(*finished: tuple[int, int | None], names: Sequence[str | None] = ()) -> tuple[pd.DataFrame, list[dict]]:
    """The cohort export and people rows of a before and an after participant per person (ids 1, 2
    / 3, 4 ...), finished (minutes after T0; None: still answering) as given, named as ``names``
    gives (anonymous by default)."""
    export, rows = [], []
    for n, (before, after) in enumerate(finished):
        name = names[n] if n < len(names) else None
        for pid, round_name, done in ((2 * n + 1, "before", before), (2 * n + 2, "after", after)):
            rows.append(_row(pid, round_name, f"P{n}", done=done))
            when = None if done is None else T0 + dt.timedelta(minutes=done)
            export += [(round_name, pid, name, when, item, 3) for item in ("L1", "L2", "L3", "F1", "F2", "F3")]
    frame = pd.DataFrame(export, columns=EXPORT_COLUMNS, dtype=object).astype(
        {"participant": "int64", "value": "int64"}
    )
    return frame, rows


def _released(export: pd.DataFrame, rows: list[dict]) -> list[tuple[int, int]]:
    return released_pairs(export, rows, before="before", after="after")


def test_paired_figures_count_finished_anonymous_pairs_in_whole_batches_of_three() -> None:
    assert _released(*_pairs_done((1, 20), (2, 21))) == []
    three = _pairs_done((1, 20), (2, 21), (3, 22))
    assert _released(*three) == [(1, 2), (3, 4), (5, 6)]
    # A fourth pair changes nothing: the paired mean at 3 and 4 pairs would give away the 4th's change.
    assert _released(*_pairs_done((1, 20), (2, 21), (3, 22), (4, 23))) == _released(*three)
    assert len(_released(*_pairs_done((1, 20), (2, 21), (3, 22), (4, 23), (5, 24), (6, 25)))) == 6
    # Only pairs finished in both rounds; in the order the pair finished (the later of the two).
    unfinished = _pairs_done((1, 20), (30, 2), (3, 22), (4, None), names=["Ana", "Bo", "Cy", "Di"])
    assert _released(*unfinished) == [(1, 2), (5, 6), (3, 4)]
    export, rows = _pairs_done((1, 40), (2, 21), (3, 22), (4, 23), (5, 24), (6, 25))
    rows = [{**row, "person_key": "Q"} if row["id"] in (10, 12) else row for row in rows]  # 2 people took one round
    assert _released(export, rows) == [(3, 4), (5, 6), (7, 8)]


def test_an_anonymous_pair_never_counts_next_to_named_ones_alone() -> None:
    """Two named pairs and one anonymous: the named answers are shown one by one, so a paired mean
    over the three would give away the anonymous person's before, after and change."""
    two_named = _pairs_done((1, 20), (2, 21), (3, 22), names=["Ana", "Bo", None])
    assert _released(*two_named) == []
    three_named = _pairs_done((1, 20), (2, 21), (3, 22), (4, 23), names=["Ana", "Bo", "Cy", None])
    assert _released(*three_named) == [(1, 2), (3, 4), (5, 6)]  # the named pairs, the anonymous one left out
    mixed = _pairs_done((1, 20), (2, 21), (3, 22), (4, 23), (5, 24), names=["Ana", "Bo", None, None, None])
    assert _released(*mixed) == [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]


def test_two_named_pairs_and_one_anonymous_show_no_paired_change() -> None:
    """2 named pairs, 1 anonymous pair and 2 more anonymous people per round: each round shows
    its answers (2 named + 3 anonymous), but the change stays each round's mean."""
    export = _export(
        ("before", "Alice", 2, 2), ("before", "Bob", 3, 3), ("before", None, 1, 5), ("before", None, 4, 1),
        ("before", None, 5, 5), ("after", "Alice", 3, 3), ("after", "Bob", 4, 4), ("after", None, 5, 1),
        ("after", None, 2, 2), ("after", None, 3, 3),
    )  # fmt: skip
    people = [_row(pid, "before" if pid <= 5 else "after", person, done=pid) for pid, person in enumerate(
        ["pA", "pB", "pX", "pY", "pZ", "pA", "pB", "pX", "pQ", "pR"], start=1
    )]  # fmt: skip
    assert len(released_answers(export, ["before", "after"]).drop_duplicates("participant")) == 10
    note, _change = cohort_change(BANK, export, people, before="before", after="after")
    assert note == UNPAIRED


def test_a_pair_counts_only_if_its_own_rounds_release_keeps_both_people() -> None:
    # Before: 3 named and 4 anonymous people; the round shows the first 3 anonymous (whole
    # batches), and holds back V, who finished last. After: the 3 named, and X, Y and V.
    people = [("before", name, 3, 3) for name in ("Ana", "Bo", "Cy", None, None, None, None)]
    people += [("after", name, 4, 4) for name in ("Ana", "Bo", "Cy", None, None, None)]
    persons = ["A", "B", "C", "X", "Y", "W", "V", "A", "B", "C", "X", "Y", "V"]
    rows = [_row(pid, people[pid - 1][0], person, done=pid) for pid, person in enumerate(persons, start=1)]
    export = _export(*people)
    assert 7 not in set(released_answers(export, ["before"])["participant"])
    # V's pair is not counted, so X's and Y's are two anonymous pairs: none; the named three count.
    assert _released(export, rows) == [(1, 8), (2, 9), (3, 10)]


def test_a_pair_counted_finished_only_once_its_answers_are_read_finished() -> None:
    """The people rows may be read after the answers: a pair whose answers the export still shows
    unfinished does not count, whatever the rows say."""
    export, rows = _pairs_done((1, 20), (2, 21), (3, None))
    rows = [{**row, "completed_at": T0} for row in rows]  # finished by the time the rows were read
    assert _released(export, rows) == []


def _paired_export(*people: tuple[str, int, int, int]) -> pd.DataFrame:
    """cohort_export rows for (round, participant id, listen, feedback), all anonymous, finished at T0 + id."""
    rows = []
    for round_name, pid, listen, feedback in people:
        when = T0 + dt.timedelta(minutes=pid)
        rows += [(round_name, pid, None, when, item, listen) for item in ("L1", "L2", "L3")]
        rows += [(round_name, pid, None, when, item, feedback) for item in ("F1", "F2", "F3")]
    return pd.DataFrame(rows, columns=EXPORT_COLUMNS, dtype=object).astype({"participant": "int64", "value": "int64"})


def test_the_cohort_change_is_paired_from_three_pairs_and_says_so() -> None:
    # Three people took both rounds (ids 1-3 before, 11-13 after); 14 took only the after round,
    # and is left out of the paired change.
    export = _paired_export(
        ("before", 1, 2, 3), ("before", 2, 3, 3), ("before", 3, 4, 3),
        ("after", 11, 3, 4), ("after", 12, 5, 4), ("after", 13, 4, 4), ("after", 14, 1, 1),
    )  # fmt: skip
    people = [
        *(_row(pid, "before", f"P{pid}", done=pid) for pid in (1, 2, 3)),
        *(_row(pid, "after", f"P{pid - 10}", done=pid) for pid in (11, 12, 13, 14)),
    ]
    note, change = cohort_change(BANK, export, people, before="before", after="after")
    assert note == PAIRED.format(pairs=3) and note.startswith("Paired: each of 3 participants")
    listen = change[change["competency"] == "listen"].iloc[0]
    assert (listen["mean_before"], listen["mean_after"], listen["change"], listen["pairs"]) == (3.0, 4.0, 1.0, 3)
    assert listen["status"] == ""  # shown: the page's wording
    # Two pairs: the dashboard shows what it showed before pairs, and says so.
    note, change = cohort_change(BANK, export, people[1:], before="before", after="after")
    assert note == UNPAIRED
    assert list(change.columns) == list(
        change_table(round_change(BANK, {"before": {}, "after": {}}, before="before", after="after")).columns
    )
    listen = change[change["competency"] == "listen"].iloc[0]
    # Each round's released answers: 3 before; 3 of the 4 anonymous after (whole batches of three).
    assert (listen["mean_before"], listen["mean_after"], listen["n_before"], listen["n_after"]) == (3.0, 4.0, 3, 3)
    assert HIDDEN_PAIRS.startswith("hidden: fewer than 3")

"""The trainer's workshop dashboard, the logic part: reading the URL and the rounds typed in,
turning the store's answers into the shape the cohort functions take, and the tables the
dashboard shows and exports.

Pure functions over plain values and DataFrames: no widgets, no store. The anonymity rule is
:mod:`cpmkit.soft_skills`' own (no figure for a group under ``MIN_GROUP``); this module only
words it for the page and never un-hides anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

import pandas as pd

from cpmkit._frames import require_columns
from cpmkit.errors import ValidationError
from cpmkit.query import query_number
from cpmkit.question_bank import QuestionBank
from cpmkit.soft_skills import MIN_GROUP, cohort_distribution, round_change

__all__ = [
    "HIDDEN",
    "HIDDEN_IN_A_ROUND",
    "PARTICIPANT_NOTEBOOK",
    "TRAINER_NOTEBOOK",
    "answers_by_round",
    "change_table",
    "distribution_table",
    "export_tables",
    "file_stem",
    "has_figures",
    "parse_rounds",
    "participant_link",
    "requested_workshop",
    "status_table",
    "trainer_link",
]

#: The generated notebooks the dashboard links to (relative links: same Voila server and folder).
PARTICIPANT_NOTEBOOK: Final = "02_soft_skills.ipynb"
TRAINER_NOTEBOOK: Final = "02_workshop_trainer.ipynb"
#: What a hidden row says, in place of soft_skills' shorter status.
HIDDEN: Final = f"hidden: fewer than {MIN_GROUP} participants"
HIDDEN_IN_A_ROUND: Final = f"hidden: fewer than {MIN_GROUP} participants in a round"

_STATUS_COLUMNS: Final = ["round", "joined", "completed", "in_progress"]
_EXPORT_COLUMNS: Final = ["round", "participant", "item_id", "value"]


def requested_workshop(query: str | None) -> int | None:
    """The workshop number in a query string such as ``workshop=12``, if there is a valid one."""
    return query_number(query, "workshop")


def parse_rounds(text: str) -> list[str]:
    """Round names typed as comma-separated text (``"before, after"``), spaces trimmed, blanks dropped.

    Only the splitting happens here; the store checks the names (length, repeats).
    """
    if not isinstance(text, str):
        raise ValidationError.for_field("rounds", text, "type the round names separated by commas.")
    rounds = [name.strip() for name in text.split(",") if name.strip()]
    if not rounds:
        raise ValidationError.for_field(
            "rounds", text, "give at least one round name; for before and after the training, type: before, after."
        )
    return rounds


def participant_link(join_code: str) -> str:
    """The relative link participants open to join: ``02_soft_skills.ipynb?code=<CODE>``."""
    return f"{PARTICIPANT_NOTEBOOK}?code={quote(join_code, safe='')}"


def trainer_link(workshop_id: int) -> str:
    """The relative link back to this dashboard; never carries the trainer key."""
    return f"{TRAINER_NOTEBOOK}?workshop={int(workshop_id)}"


def status_table(status: Mapping[str, Mapping[str, int]]) -> pd.DataFrame:
    """``{round: {"joined", "completed"}}`` (the store's ``cohort_status``) as one row per round,
    in the order given, with how many are still answering."""
    rows = [
        {
            "round": name,
            "joined": int(counts.get("joined", 0)),
            "completed": int(counts.get("completed", 0)),
            "in_progress": max(0, int(counts.get("joined", 0)) - int(counts.get("completed", 0))),
        }
        for name, counts in status.items()
    ]
    return pd.DataFrame(rows, columns=_STATUS_COLUMNS).astype({"joined": int, "completed": int, "in_progress": int})


def answers_by_round(export: pd.DataFrame, rounds: Sequence[str]) -> dict[str, dict[str, dict[str, int]]]:
    """The store's long ``cohort_export`` (round, participant, item_id, value) as
    ``{round: {participant: {item id: value}}}``, every round of ``rounds`` present (perhaps empty).

    Rows of a round not in ``rounds`` are left out. Participants are keyed by their export label,
    so nothing secret is carried into the cohort figures or their messages.
    """
    require_columns(export, _EXPORT_COLUMNS, "cohort answers")
    by_round: dict[str, dict[str, dict[str, int]]] = {name: {} for name in rounds}
    for round_name, participant, item_id, value in zip(
        export["round"], export["participant"], export["item_id"], export["value"]
    ):
        if round_name in by_round:
            by_round[round_name].setdefault(str(participant), {})[str(item_id)] = int(value)
    return by_round


def distribution_table(distribution: pd.DataFrame) -> pd.DataFrame:
    """``soft_skills.cohort_distribution``'s frame for the page: a hidden row says why it is empty
    ("hidden: fewer than 3 participants"), a shown row says nothing, and a missing count is a
    blank cell (not "<NA>")."""
    return _blank_missing_counts(_worded(distribution, HIDDEN))


def change_table(change: pd.DataFrame) -> pd.DataFrame:
    """``soft_skills.round_change``'s frame for the page, worded as in ``distribution_table``."""
    return _blank_missing_counts(_worded(change, HIDDEN_IN_A_ROUND))


def has_figures(frame: pd.DataFrame) -> bool:
    """Whether any row of a cohort_distribution or round_change frame shows figures."""
    require_columns(frame, ["status"], "cohort table")
    return bool((frame["status"] == "shown").any())


def export_tables(export: pd.DataFrame, bank: QuestionBank, rounds: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The workshop's results by sheet name: every answer (with its competency), the cohort
    distribution of each round and, with two rounds or more, the change from the first to the last.

    The answers are labelled as the store labels them (display name or "Participant N"); the
    summaries hide small groups exactly as the dashboard does.
    """
    by_round = answers_by_round(export, rounds)
    competency = {item.id: item.competency for item in bank.items}
    answers = export[_EXPORT_COLUMNS].copy()
    answers.insert(2, "competency", [competency.get(str(item), "") for item in answers["item_id"]])
    distributions = []
    for name in rounds:
        table = _worded(cohort_distribution(bank, by_round[name]), HIDDEN)
        table.insert(0, "round", name)
        distributions.append(table)
    tables = {"answers": answers, "distribution": pd.concat(distributions, ignore_index=True)}
    if len(rounds) >= 2:
        before, after = rounds[0], rounds[-1]
        change = _worded(round_change(bank, by_round, before=before, after=after), HIDDEN_IN_A_ROUND)
        change.insert(0, "after", after)
        change.insert(0, "before", before)
        tables["change"] = change
    return tables


def file_stem(name: str, workshop_id: int) -> str:
    """A safe file name stem for a workshop's downloads: ``workshop-12-soft-skills-march``."""
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.casefold()).strip("-")[:40].strip("-")
    return f"workshop-{int(workshop_id)}" + (f"-{slug}" if slug else "")


def _worded(frame: pd.DataFrame, hidden: str) -> pd.DataFrame:
    require_columns(frame, ["status"], "cohort table")
    shown = frame.copy()
    shown["status"] = [_note(status, hidden) for status in frame["status"]]
    return shown


def _blank_missing_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable whole-number columns (the counts) as plain values with "" where missing: an HTML
    table shows pandas' missing count as "<NA>", whatever its ``na_rep``."""
    shown = frame.copy()
    for column in shown.columns:
        if isinstance(shown[column].dtype, pd.Int64Dtype):
            shown[column] = pd.Series(
                ["" if pd.isna(value) else int(value) for value in shown[column]], index=shown.index, dtype=object
            )
    return shown


def _note(status: Any, hidden: str) -> str:
    if status == "shown":
        return ""
    return hidden if isinstance(status, str) and status.startswith("hidden") else str(status)

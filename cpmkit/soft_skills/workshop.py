"""The trainer's workshop dashboard, the logic part: reading the URL and the rounds typed in,
turning the store's answers into the shape the cohort functions take, pairing each person's
rounds, and the tables the dashboard shows and exports.

Pure functions over plain values and DataFrames: no widgets, no store. The anonymity rule is
:mod:`cpmkit.soft_skills.scoring`' own (no figure for a group under ``MIN_GROUP``, and a growing group
only in whole batches: ``released_count``); ``released_answers`` applies it to a workshop's
answers, and the dashboard and the downloads both take their figures from what it keeps.

Pairs: the same person's participants in two rounds (``round_pairs``: the same ``person_key``, or
for rows joined before rounds were paired, the same browser) let the change between rounds be
measured within each person. The same rule holds for pairs (``released_pairs``): only pairs
whose two participants ``released_answers`` keeps count; pairs named in both rounds count as
named answers do, every other pair only in whole batches of ``MIN_GROUP`` in the order the
pairs were finished (3, then 6, ...), so the paired change at 3 anonymous pairs and at 4 never
both show and no anonymous person's own change can be worked out by subtraction; the pairs,
and who is in them, never leave the figures. With fewer than ``MIN_GROUP`` pairs the dashboard shows the change between
the rounds' released answers as before (``cohort_change`` says which one it shows).
"""

from __future__ import annotations

import math
import random
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from cpmkit.core.addresses import page_link
from cpmkit.core.deferred_imports import deferred_module
from cpmkit.core.fields import name_key
from cpmkit.core.frames import require_columns
from cpmkit.core.links import JOIN_CODE_ALPHABET as READABLE
from cpmkit.core.query import query_number
from cpmkit.errors import ValidationError
from cpmkit.soft_skills.bank import QuestionBank
from cpmkit.soft_skills.scoring import MIN_GROUP, cohort_distribution, paired_change, released_count, round_change

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = deferred_module("pandas")

__all__ = [
    "ANONYMOUS",
    "CLOSED",
    "EXPORT_COLUMNS",
    "HIDDEN",
    "HIDDEN_IN_A_ROUND",
    "HIDDEN_PAIRS",
    "NAMES_SHOWN",
    "PAIRED",
    "PARTICIPANT_PAGE",
    "ROUND_MEANS",
    "TRAINER_PAGE",
    "UNPAIRED",
    "answers_by_round",
    "change_table",
    "cohort_change",
    "distribution_table",
    "export_sheets",
    "export_tables",
    "file_stem",
    "has_figures",
    "parse_rounds",
    "participant_link",
    "person_of",
    "released_answers",
    "released_pairs",
    "requested_workshop",
    "require_open",
    "round_pairs",
    "status_table",
    "trainer_link",
]

#: The pages (``notebooks.yaml``) the dashboard links to (relative links: same Voila server and folder).
PARTICIPANT_PAGE: Final = "soft_skills"
TRAINER_PAGE: Final = "workshop_trainer"
#: What a hidden row says, in place of soft_skills' shorter status.
HIDDEN: Final = f"hidden: fewer than {MIN_GROUP} participants"
HIDDEN_IN_A_ROUND: Final = f"hidden: fewer than {MIN_GROUP} participants in a round"
HIDDEN_PAIRS: Final = f"hidden: fewer than {MIN_GROUP} participants took both rounds"
#: What the dashboard says of the change it shows: within each person, or each round's own mean.
PAIRED: Final = (
    "Paired: each of {pairs} participants who finished both rounds compared with themselves (those named "
    f"in both rounds all, the others in groups of {MIN_GROUP}, in the order they finished)."
)
UNPAIRED: Final = (
    "Each round's mean over everyone it shows: fewer than "
    f"{MIN_GROUP} participants who finished both rounds (from the same browser or their own link) can be paired yet."
)

#: What the download's change sheet says it holds: not the dashboard's paired change (``cohort_change``).
ROUND_MEANS: Final = "each round's mean over everyone it shows, first round to last (not paired by person)"

#: What a participant is told when they try to join a closed workshop.
CLOSED: Final = "This workshop is closed: the trainer is no longer taking new participants."
#: Columns of the store's ``cohort_export``, which the functions here read.
EXPORT_COLUMNS: Final = ["round", "participant", "display_name", "completed_at", "item_id", "value"]

#: How an anonymous participant is labelled in a download: four random characters, drawn afresh
#: for every download, so a label never links two downloads (or two rounds).
ANONYMOUS: Final = "Anonymous {}"

#: How many names of those still answering a round the trainer's table lists before "and N more".
NAMES_SHOWN: Final = 20
_STATUS_COLUMNS: Final = ["round", "joined", "completed", "in_progress", "who"]
_ANSWER_COLUMNS: Final = ["round", "participant", "competency", "item_id", "value"]
_LABEL_LENGTH: Final = 4  # characters of READABLE (the join codes' alphabet: no 0/O, 1/I/L)


def requested_workshop(query: str | None) -> int | None:
    """The workshop number in a query string such as ``workshop=12``, if there is a valid one."""
    return query_number(query, "workshop")


def require_open(workshop: Mapping[str, Any]) -> None:
    """Refuse to let anyone join ``workshop`` (a store's workshop dict) once its trainer closed it:
    the one rule the start screen and the store's join both apply."""
    if not workshop["is_open"]:
        raise ValidationError(CLOSED)


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


def participant_link(join_code: str, base: str = "") -> str:
    """The link participants open to join, ``<base>/voila/render/<self-assessment notebook>?code=<CODE>``
    (``base``: the server's address, ``cpmkit.core.addresses``)."""
    return page_link(base, PARTICIPANT_PAGE, {"code": join_code})


def trainer_link(workshop_id: int, base: str = "") -> str:
    """The link back to this dashboard, under ``base``; never carries the trainer key."""
    return page_link(base, TRAINER_PAGE, {"workshop": int(workshop_id)})


def status_table(
    status: Mapping[str, Mapping[str, int]], still_answering: Mapping[str, Sequence[str]] | None = None
) -> pd.DataFrame:
    """``{round: {"joined", "completed"}}`` (the store's ``cohort_status``) as one row per round,
    in the order given, with how many are still answering and who (``still_answering``, the
    store's: named participants by name, the others as a count)."""
    rows = []
    for name, counts in status.items():
        in_progress = max(0, int(counts.get("joined", 0)) - int(counts.get("completed", 0)))
        rows.append(
            {
                "round": name,
                "joined": int(counts.get("joined", 0)),
                "completed": int(counts.get("completed", 0)),
                "in_progress": in_progress,
                "who": _who(list((still_answering or {}).get(name, ())), in_progress),
            }
        )
    return pd.DataFrame(rows, columns=_STATUS_COLUMNS).astype({"joined": int, "completed": int, "in_progress": int})


def _who(named: list[str], in_progress: int) -> str:
    """ "Ada, Ben and 2 anonymous": the names (the first ``NAMES_SHOWN``, then how many more), then
    how many chose no name."""
    anonymous = max(0, in_progress - len(named))
    more = len(named) - NAMES_SHOWN
    parts = [
        *named[:NAMES_SHOWN],
        *([f"{more} more"] if more > 0 else []),
        *([f"{anonymous} anonymous"] if anonymous else []),
    ]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


def released_answers(export: pd.DataFrame, rounds: Sequence[str]) -> pd.DataFrame:
    """The rows of the store's ``cohort_export`` that any figure or download may use: the one
    anonymity rule of the dashboard and the export. Per round of ``rounds``:

    * only participants who completed the assessment (their answers are final enough to count);
    * every named participant (they chose to give the trainer their name);
    * anonymous participants in whole batches of ``MIN_GROUP``, in the order they completed
      (``soft_skills.released_count``): the first 3, then the first 6, ... so two downloads or
      two looks at the dashboard never differ by one anonymous person;
    * nothing at all of a round where fewer than ``MIN_GROUP`` people are left.

    Rows of other rounds are left out; the input is not changed.
    """
    require_columns(export, EXPORT_COLUMNS, "cohort answers")
    frame = export[EXPORT_COLUMNS].copy()
    kept: list[int] = []
    for round_name in rounds:
        people = frame.loc[(frame["round"] == round_name) & frame["completed_at"].notna()]
        people = people.drop_duplicates("participant")[["participant", "display_name", "completed_at"]]
        named = [int(p) for p, name in zip(people["participant"], people["display_name"]) if not _blank(name)]
        anonymous = sorted(
            (when, int(p))
            for p, name, when in zip(people["participant"], people["display_name"], people["completed_at"])
            if _blank(name)
        )
        batch = [p for _when, p in anonymous[: released_count(len(anonymous))]]
        if len(named) + len(batch) >= MIN_GROUP:
            kept += named + batch
    return frame.loc[frame["participant"].isin(kept) & frame["round"].isin(list(rounds))].reset_index(drop=True)


def answers_by_round(export: pd.DataFrame, rounds: Sequence[str]) -> dict[str, dict[str, dict[str, int]]]:
    """The answers ``released_answers`` keeps as ``{round: {participant: {item id: value}}}``,
    every round of ``rounds`` present (perhaps empty).

    Participants are keyed by their store id as text; the key never leaves the figures.
    """
    released = released_answers(export, rounds)
    by_round: dict[str, dict[str, dict[str, int]]] = {name: {} for name in rounds}
    for round_name, participant, item_id, value in zip(
        released["round"], released["participant"], released["item_id"], released["value"]
    ):
        by_round[round_name].setdefault(str(participant), {})[str(item_id)] = int(value)
    return by_round


def person_of(row: Mapping[str, Any]) -> str | None:
    """Who a participant row is across rounds: its ``person_key``, else (a row joined before rounds
    were paired) its ``browser_key``, the digest of the browser it joined from; None: no one known."""
    return row.get("person_key") or row.get("browser_key") or None


def round_pairs(rows: Iterable[Mapping[str, Any]], *, before: str, after: str) -> list[tuple[int, int]]:
    """``(participant id in before, participant id in after)`` for each person (``person_of``) who
    took both rounds, in the order their ``after`` participant joined.

    ``rows`` are plain participant rows (``id``, ``round``, ``person_key``, ``browser_key``). A
    person is paired once per round: should they have two rows in a round, the first (lowest id)
    counts. A row with no person pairs with no one.
    """
    first: dict[str, dict[str, int]] = {before: {}, after: {}}
    for row in sorted(rows, key=lambda r: int(r["id"])):
        person = person_of(row)
        if person is not None and row["round"] in first:
            first[row["round"]].setdefault(person, int(row["id"]))
    earlier = first[before]
    pairs = [(earlier[person], pid) for person, pid in first[after].items() if person in earlier and before != after]
    return sorted(pairs, key=lambda pair: pair[1])


def released_pairs(
    export: pd.DataFrame, rows: Iterable[Mapping[str, Any]], *, before: str, after: str
) -> list[tuple[int, int]]:
    """The pairs (``round_pairs`` of the participant ``rows``) a paired figure may count, built as
    ``released_answers`` builds a round: only pairs whose two participants are both among those
    ``released_answers`` keeps of ``export`` in their round (so finished, and never someone their
    own round held back); a pair named in both rounds counts, as named answers do; every other
    pair only in whole batches of ``MIN_GROUP`` among themselves (``released_count``), in the
    order the pairs were finished (the later of the two); none at all below ``MIN_GROUP`` pairs.

    So no paired figure gives away an anonymous person's change next to named ones, and two
    releases never differ by one anonymous pair. Returned in the order the pairs finished."""
    released = released_answers(export, [before, after]).drop_duplicates("participant")
    kept = {
        int(pid): (when, not _blank(name))
        for pid, name, when in zip(released["participant"], released["display_name"], released["completed_at"])
    }
    named: list[tuple[Any, int, int]] = []
    others: list[tuple[Any, int, int]] = []
    for old, new in round_pairs(rows, before=before, after=after):
        if old in kept and new in kept:
            done = (max(kept[old][0], kept[new][0]), new, old)
            (named if kept[old][1] and kept[new][1] else others).append(done)
    others.sort()
    counted = sorted(named + others[: released_count(len(others))])
    return [(old, new) for _when, new, old in counted] if len(counted) >= MIN_GROUP else []


def cohort_change(
    bank: QuestionBank,
    export: pd.DataFrame,
    people: Iterable[Mapping[str, Any]],
    *,
    before: str,
    after: str,
) -> tuple[str, pd.DataFrame]:
    """The change between two rounds the dashboard shows, and what it is: ``PAIRED`` (worded with
    the number of pairs) and ``scoring.paired_change`` over ``released_pairs`` once there are
    ``MIN_GROUP`` of them; else ``UNPAIRED`` and ``scoring.round_change`` over the rounds'
    ``released_answers``. ``export`` is the store's ``cohort_export``, ``people`` its participant
    rows (``TrainerAccess.people``); the frame is worded for the page (``change_table``)."""
    pairs = released_pairs(export, people, before=before, after=after)
    if not pairs:
        change = round_change(bank, answers_by_round(export, [before, after]), before=before, after=after)
        return UNPAIRED, change_table(change)
    require_columns(export, EXPORT_COLUMNS, "cohort answers")
    by_participant: dict[int, dict[str, int]] = {}
    for participant, item_id, value in zip(export["participant"], export["item_id"], export["value"]):
        by_participant.setdefault(int(participant), {})[str(item_id)] = int(value)
    answers = [(by_participant.get(old, {}), by_participant.get(new, {})) for old, new in pairs]
    return PAIRED.format(pairs=len(pairs)), _blank_missing_counts(_worded(paired_change(bank, answers), HIDDEN_PAIRS))


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


def export_sheets(rounds: Sequence[str]) -> list[str]:
    """The names of ``export_tables``' sheets, in order: the change only with two rounds or more."""
    return ["answers", "distribution", *(["change"] if len(rounds) >= 2 else [])]


def export_tables(
    export: pd.DataFrame, bank: QuestionBank, rounds: Sequence[str], *, rng: random.Random | None = None
) -> dict[str, pd.DataFrame]:
    """The workshop's results by sheet name: the answers ``released_answers`` keeps (with their
    competency), the cohort distribution of each round and, with two rounds or more, the change
    from the first to the last between the rounds' means (``ROUND_MEANS``: the sheet says it is
    not the dashboard's paired change). Every sheet is worked out from the same released answers, so
    no sheet can be subtracted from another to single anyone out.

    A named participant is labelled with their name (" (2)" for a name used twice); an anonymous
    one with ``ANONYMOUS`` and four characters ``rng`` draws for this download only (a new
    ``secrets.SystemRandom`` by default). Rows are sorted by round and label, never by when
    anyone joined or finished.
    """
    released = released_answers(export, rounds)
    by_round = answers_by_round(released, rounds)
    labels = _labels(released, rng if rng is not None else secrets.SystemRandom())
    competency = {item.id: item.competency for item in bank.items}
    order = {name: i for i, name in enumerate(rounds)}
    answers = pd.DataFrame(
        {
            "round": released["round"],
            "participant": pd.Series([labels[int(p)] for p in released["participant"]], dtype=object),
            "competency": [competency.get(str(item), "") for item in released["item_id"]],
            "item_id": released["item_id"],
            "value": released["value"].astype("int64"),
        },
        columns=_ANSWER_COLUMNS,
    )
    answers = answers.assign(
        _round=answers["round"].map(order), _label=[str(label).casefold() for label in answers["participant"]]
    )
    answers = answers.sort_values(["_round", "_label", "item_id"], kind="stable").drop(columns=["_round", "_label"])
    distributions = []
    for name in rounds:
        table = _worded(cohort_distribution(bank, by_round[name]), HIDDEN)
        table.insert(0, "round", name)
        distributions.append(table)
    tables = {"answers": answers.reset_index(drop=True), "distribution": pd.concat(distributions, ignore_index=True)}
    if "change" in export_sheets(rounds):
        before, after = rounds[0], rounds[-1]
        change = _worded(round_change(bank, by_round, before=before, after=after), HIDDEN_IN_A_ROUND)
        change.insert(0, "measured", ROUND_MEANS)
        change.insert(0, "after", after)
        change.insert(0, "before", before)
        tables["change"] = change
    return tables


def file_stem(name: str, workshop_id: int) -> str:
    """A safe file name stem for a workshop's downloads: ``workshop-12-soft-skills-march``."""
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.casefold()).strip("-")[:40].strip("-")
    return f"workshop-{int(workshop_id)}" + (f"-{slug}" if slug else "")


def _labels(released: pd.DataFrame, rng: random.Random) -> dict[int, str]:
    """``{participant id: label}``: the display name (" (2)", " (3)" for a name used again, or
    one that looks the same), else ``ANONYMOUS`` with characters drawn by ``rng``; no two labels
    look the same (``fields.name_key``)."""
    people = released.drop_duplicates("participant").sort_values("participant")
    taken: set[str] = set()
    labels: dict[int, str] = {}
    anonymous: list[int] = []
    for pid, name in zip(people["participant"], people["display_name"]):
        if _blank(name):
            anonymous.append(int(pid))
            continue
        label, n = str(name), 1
        while name_key(label) in taken:
            n += 1
            label = f"{name} ({n})"
        taken.add(name_key(label))
        labels[int(pid)] = label
    for pid in anonymous:
        label = ""
        while not label or name_key(label) in taken:
            label = ANONYMOUS.format("".join(rng.choice(READABLE) for _ in range(_LABEL_LENGTH)))
        taken.add(name_key(label))
        labels[pid] = label
    return labels


def _blank(value: Any) -> bool:
    """No display name: None, NaN (a missing cell) or empty text."""
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


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

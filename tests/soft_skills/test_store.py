"""Unit tests of cpmkit.soft_skills.store.AssessmentStore, each run on SQLite and on a real
PostgreSQL server: workshops, participants, answers, development plans, the cohort and peer
ratings, every refusal, and 20 'kernels' (spawned processes) saving answers at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import string
from collections.abc import Callable
from contextlib import closing
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cpmkit.core.links import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, digest
from cpmkit.db.database import Store
from cpmkit.db.schema import answers as answers_table
from cpmkit.db.schema import (
    commitments,
    meta,
    participants,
    peer_answers,
    peer_raters,
    reflections,
    workshops,
)
from cpmkit.errors import NotFoundError, StoreError, ValidationError
from cpmkit.soft_skills import store as assessment_module
from cpmkit.soft_skills.bank import default_bank
from cpmkit.soft_skills.store import EXPORT_COLUMNS, AssessmentStore, TrainerAccess
from cpmkit.soft_skills.workshop import round_pairs

RunInProcesses = Callable[..., dict[int, Any]]  # the conftest fixture's call signature


@pytest.fixture
def assess(store: Store) -> AssessmentStore:
    return AssessmentStore(store)


@pytest.fixture
def workshop(assess: AssessmentStore) -> tuple[int, str, str]:
    return assess.create_workshop("Soft skills, March", bank="soft_skills", rounds=["before", "after"])


def _count(store: Store, table: Any, *where: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


# -- workshops -----------------------------------------------------------------------------


def test_create_workshop_and_find_it_by_code(assess: AssessmentStore) -> None:
    wid, code, key = assess.create_workshop("  Soft skills  ", bank="soft_skills", rounds=[" before ", "after"])
    assert isinstance(wid, int)
    assert len(code) == JOIN_CODE_LENGTH and set(code) <= set(JOIN_CODE_ALPHABET)
    assert isinstance(key, str) and len(key) >= 20
    found = assess.workshop_by_code(code)
    assert found["id"] == wid
    assert found["name"] == "Soft skills"
    assert found["bank"] == "soft_skills"
    assert found["rounds"] == ["before", "after"]
    assert found["join_code"] == code
    assert found["is_open"] is True
    assert isinstance(found["created_at"], dt.datetime)
    assert "trainer_key_hash" not in found
    assert assess.workshop(wid) == found


def test_code_lookup_ignores_case_spaces_and_dashes(assess: AssessmentStore, workshop: tuple[int, str, str]) -> None:
    wid, code, _key = workshop
    for typed in (code.lower(), f"  {code[:3]} {code[3:]} ", f"{code[:3].lower()}-{code[3:]}", f"\t{code}\n"):
        assert assess.workshop_by_code(typed)["id"] == wid


def test_unknown_or_empty_code_is_refused(assess: AssessmentStore, workshop: tuple[int, str, str]) -> None:
    with pytest.raises(NotFoundError) as caught:
        assess.workshop_by_code("zz zz zz")
    assert str(caught.value) == "No workshop has the code 'ZZZZZZ'. Check the code with your trainer."
    with pytest.raises(NotFoundError, match="No workshop has the code 'ZZZZZZ'"):
        assess.join_workshop("zzzzzz", round="before")
    for empty in ("", "   ", " - ", None, 123):
        with pytest.raises(ValidationError, match="^Code: enter the workshop code"):
            assess.workshop_by_code(empty)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "bank", "rounds", "field"),
    [
        ("", "soft_skills", ["before"], "Name"),
        ("   ", "soft_skills", ["before"], "Name"),
        (None, "soft_skills", ["before"], "Name"),
        ("x" * 201, "soft_skills", ["before"], "Name"),
        ("Workshop", "", ["before"], "Bank"),
        ("Workshop", "soft_skills", [], "Rounds"),
        ("Workshop", "soft_skills", ["before", " "], "Rounds"),
        ("Workshop", "soft_skills", ["before", "after", "before"], "Rounds"),
        ("Workshop", "soft_skills", ["Before", "before "], "Rounds"),
        ("Workshop", "soft_skills", "before", "Rounds"),  # a bare string is not a list of rounds
        ("Workshop", "soft_skills", ["before", 2], "Rounds"),
        ("Workshop", "soft_skills", None, "Rounds"),
    ],
)
def test_bad_workshops_are_refused(
    assess: AssessmentStore, store: Store, name: Any, bank: Any, rounds: Any, field: str
) -> None:
    with pytest.raises(ValidationError, match=f"^{field}:"):
        assess.create_workshop(name, bank=bank, rounds=rounds)
    assert _count(store, workshops) == 0


def test_join_codes_are_unique_and_unambiguous(assess: AssessmentStore) -> None:
    assert not set(JOIN_CODE_ALPHABET) & set("0O1IL")
    assert set(JOIN_CODE_ALPHABET) <= set(string.ascii_uppercase + string.digits)
    codes = [assess.create_workshop(f"W{i}", bank="soft_skills", rounds=["only"])[1] for i in range(25)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == JOIN_CODE_LENGTH
        assert set(code) <= set(JOIN_CODE_ALPHABET)


def test_a_taken_join_code_is_drawn_again(
    assess: AssessmentStore, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = assess.create_workshop("First", bank="soft_skills", rounds=["only"])
    draws = iter([first[1], first[1], "NEWCDE"])
    monkeypatch.setattr(assessment_module, "new_join_code", lambda: next(draws))
    wid, code, _key = assess.create_workshop("Second", bank="soft_skills", rounds=["only"])
    assert code == "NEWCDE"
    assert assess.workshop_by_code(code)["id"] == wid
    assert assess.workshop_by_code(first[1])["id"] == first[0]
    assert _count(store, workshops) == 2

    monkeypatch.setattr(assessment_module, "new_join_code", lambda: first[1])
    with pytest.raises(StoreError, match="free workshop code"):
        assess.create_workshop("Third", bank="soft_skills", rounds=["only"])
    assert _count(store, workshops) == 2


def test_trainer_key_opens_only_its_workshop(
    assess: AssessmentStore, workshop: tuple[int, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wid, code, key = workshop
    other_id, _other_code, other_key = assess.create_workshop("Other", bank="soft_skills", rounds=["only"])
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return bool(real(a, b))

    monkeypatch.setattr(hmac, "compare_digest", spy)
    opened = assess.trainer_workshop(wid, key)
    assert opened.workshop == assess.workshop_by_code(code)
    assert "trainer_key_hash" not in opened.workshop
    assert assess.trainer_workshop(wid, f"  {key} ").workshop_id == wid  # pasted with spaces
    assert assess.trainer_workshop(other_id, other_key).workshop_id == other_id
    assert len(compared) == 3  # every check is a constant-time comparison

    for wrong in (other_key, key.upper() if key.upper() != key else key.lower(), key[:-1], "", "x" * 500, None, 42):
        with pytest.raises(ValidationError, match="not the trainer key of this workshop") as caught:
            assess.trainer_workshop(wid, wrong)  # type: ignore[arg-type]
        assert caught.value.field == "trainer_key"
    with pytest.raises(NotFoundError, match="no workshop number"):
        assess.trainer_workshop(other_id + 1000, key)


def test_a_key_of_the_wrong_shape_is_refused_before_scrypt_runs(
    assess: AssessmentStore, workshop: tuple[int, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wid, _code, key = workshop
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", key)  # every key made has the shape
    hashed: list[bytes] = []
    real = hashlib.scrypt

    def spy(password: bytes, **kwargs: Any) -> bytes:
        hashed.append(password)
        return real(password, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", spy)
    for junk in ("", "x" * 500, key[:-1], key + "A", key[:-1] + "!", key[:-1] + "é", "x" * 10_000_000):
        with pytest.raises(ValidationError, match="not the trainer key of this workshop"):
            assess.trainer_workshop(wid, junk)
    assert hashed == []  # refused without a scrypt
    wrong = ("B" if key[0] == "A" else "A") + key[1:]
    with pytest.raises(ValidationError, match="not the trainer key of this workshop"):
        assess.trainer_workshop(wid, wrong)
    assert assess.trainer_workshop(wid, f" {key}\n").workshop_id == wid
    assert hashed == [wrong.encode(), key.encode()]  # a key of the right shape is checked


def test_trainer_key_is_never_stored_in_clear(assess: AssessmentStore, store: Store) -> None:
    created = [assess.create_workshop(f"W{i}", bank="soft_skills", rounds=["before", "after"]) for i in range(2)]
    with store.read() as conn:
        rows = {row.id: dict(row._mapping) for row in conn.execute(select(workshops))}
    hashes = set()
    for wid, _code, key in created:
        for column, value in rows[wid].items():
            assert key not in str(value), f"the key is in workshops.{column}"
            assert key.encode().hex() not in str(value), f"the key's bytes are in workshops.{column}"
        stored = rows[wid]["trainer_key_hash"]
        method, n, r, p, salt, digest = stored.split("$")
        assert (method, int(n), int(r), int(p)) == ("scrypt", 2**14, 8, 1)
        assert len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(digest)) == 64
        hashes.add((salt, digest))
    assert len(hashes) == 2  # salted: each workshop's hash is its own


def test_close_workshop_stops_new_participants(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]
) -> None:
    wid, code, key = workshop
    early = assess.join_workshop(code, round="before")
    trainer = assess.trainer_workshop(wid, key)
    trainer.close()
    assert assess.workshop_by_code(code)["is_open"] is False
    with pytest.raises(ValidationError, match="^This workshop is closed"):
        assess.join_workshop(code, round="before", display_name="Late")
    assert _count(store, participants) == 1
    trainer.close()  # closing again is harmless
    assess.save_answer(early["id"], "listen_1", 4)  # those already in can finish
    assess.mark_completed(early["id"])


# -- participants --------------------------------------------------------------------------


def test_join_workshop(assess: AssessmentStore, workshop: tuple[int, str, str]) -> None:
    wid, code, _key = workshop
    named = assess.join_workshop(code.lower(), round="before", display_name="  Ada   Lovelace ")
    anonymous = assess.join_workshop(code, round="after", display_name="   ")
    unnamed = assess.join_workshop(code, round="after")
    assert named["workshop_id"] == wid and named["round"] == "before"
    assert named["display_name"] == "Ada Lovelace"
    assert anonymous["display_name"] is None and anonymous["round"] == "after"
    assert unnamed["display_name"] is None
    assert len({named["id"], anonymous["id"], unnamed["id"]}) == 3
    tokens = {named["token"], anonymous["token"], unnamed["token"]}
    assert len(tokens) == 3 and all(isinstance(t, str) and len(t) >= 32 for t in tokens)
    assert named["completed_at"] is None and isinstance(named["created_at"], dt.datetime)
    assert assess.participant_by_token(named["token"]) == named
    assert assess.participant(named["id"]) == {k: v for k, v in named.items() if k != "token"}  # the token is not kept


BROWSER, OTHER_BROWSER = "a" * 32, "b" * 32


def test_a_join_from_the_same_browser_resumes_that_participant(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]
) -> None:
    wid, code, key = workshop
    first = assess.join_workshop(code, round="before", display_name="Ada", browser_key=BROWSER)
    assess.save_answer(first["id"], "listen_1", 4)
    # A reload: the same browser joins the same round again, even under the same name.
    again = assess.join_workshop(code.lower(), round="before", display_name="Ada", browser_key=BROWSER)
    assert again["id"] == first["id"] and again["resumed"] is True
    assert "token" not in again  # the store keeps only its digest: the first link still works
    assert assess.participant_by_token(first["token"])["id"] == first["id"]
    assert assess.answers(again["id"]) == {"listen_1": 4}
    assert assess.browser_participant(code, BROWSER) == assess.participant(first["id"])
    # Another browser is another person; the same browser in another round is the next round.
    other = assess.join_workshop(code, round="before", browser_key=OTHER_BROWSER)
    after = assess.join_workshop(code, round="after", browser_key=BROWSER)
    assert len({first["id"], other["id"], after["id"]}) == 3 and "resumed" not in other
    assert assess.browser_participant(code, BROWSER)["id"] == after["id"]  # the latest round
    assert assess.trainer_workshop(wid, key).cohort_status() == {
        "before": {"joined": 2, "completed": 0},
        "after": {"joined": 1, "completed": 0},
    }
    # Only digests are kept, and a browser never seen, or a join without a key, is no one known.
    kept = set(store.frame(select(participants.c.browser_key), ["browser_key"])["browser_key"])
    assert kept == {digest(BROWSER), digest(OTHER_BROWSER)}
    assert assess.browser_participant(code, "c" * 32) is None
    assert assess.browser_participant("ZZZZZZ", BROWSER) is None
    assert assess.join_workshop(code, round="before")["id"] not in {first["id"], other["id"]}


def test_a_closed_workshop_refuses_new_people_but_lets_a_known_browser_resume(
    assess: AssessmentStore, workshop: tuple[int, str, str]
) -> None:
    wid, code, key = workshop
    joined = assess.join_workshop(code, round="before", browser_key=BROWSER)
    assess.trainer_workshop(wid, key).close()
    assert assess.join_workshop(code, round="before", browser_key=BROWSER)["id"] == joined["id"]
    for browser in (OTHER_BROWSER, None):
        with pytest.raises(ValidationError, match="closed"):
            assess.join_workshop(code, round="before", browser_key=browser)
    with pytest.raises(ValidationError, match="closed"):  # a new round is a new join
        assess.join_workshop(code, round="after", browser_key=BROWSER)


def test_a_participant_without_a_joining_browser_gets_the_first_one_that_opens_their_page(
    assess: AssessmentStore, workshop: tuple[int, str, str]
) -> None:
    _wid, code, _key = workshop
    early = assess.join_workshop(code, round="before")  # joined before the browser's key arrived
    taken = assess.join_workshop(code, round="before", browser_key=OTHER_BROWSER)
    assess.remember_own_browser(early["id"], OTHER_BROWSER)  # someone else's in this round: not taken over
    assert assess.join_workshop(code, round="before", browser_key=OTHER_BROWSER)["id"] == taken["id"]
    assess.remember_own_browser(early["id"], BROWSER)
    assess.remember_own_browser(early["id"], "c" * 32)  # the first browser stays the one
    assert assess.join_workshop(code, round="before", browser_key=BROWSER)["id"] == early["id"]
    assert assess.browser_participant(code, "c" * 32) is None
    alone = assess.start_self_assessment()
    assess.remember_own_browser(alone["id"], "d" * 32)  # outside a workshop: nothing to resume by
    assert assess.browser_participant(code, "d" * 32) is None


def _person(store: Store, participant_id: int) -> str | None:
    with store.read() as conn:
        return conn.execute(select(participants.c.person_key).where(participants.c.id == participant_id)).scalar()


def _browser(store: Store, participant_id: int) -> str | None:
    with store.read() as conn:
        return conn.execute(select(participants.c.browser_key).where(participants.c.id == participant_id)).scalar()


def test_the_after_round_joined_from_the_same_browser_is_the_same_person(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]
) -> None:
    wid, code, key = workshop
    before = assess.join_workshop(code, round="before", browser_key=BROWSER)  # anonymous: their own browser
    other = assess.join_workshop(code, round="before", browser_key=OTHER_BROWSER)
    keyless = assess.join_workshop(code, round="before")  # the browser's key had not arrived
    assess.save_answer(before["id"], "listen_1", 2)
    assert _person(store, before["id"]) == digest(BROWSER)  # the browser it first joined from, as a digest
    assert _person(store, keyless["id"]) not in {None, digest(BROWSER), digest(OTHER_BROWSER)}
    assert assess.earlier_round(before["id"]) is None  # nothing before the first round

    after = assess.join_workshop(code, round="after", browser_key=BROWSER)
    assert _person(store, after["id"]) == _person(store, before["id"])
    assert assess.earlier_round(after["id"]) == ("before", {"listen_1": 2})
    assert assess.earlier_round(other["id"]) is None
    stranger = assess.join_workshop(code, round="after", browser_key="c" * 32)
    assert assess.earlier_round(stranger["id"]) is None
    pairs = round_pairs(assess.trainer_workshop(wid, key).people(), before="before", after="after")
    assert pairs == [(before["id"], after["id"])]
    assert "display_name" not in assess.trainer_workshop(wid, key).people()[0]  # pairing reads no name


def test_rows_joined_before_rounds_were_paired_pair_by_their_browser(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]
) -> None:
    wid, code, key = workshop
    before = assess.join_workshop(code, round="before", browser_key=BROWSER)
    after = assess.join_workshop(code, round="after", browser_key=BROWSER)
    lonely = assess.join_workshop(code, round="before")
    with store.write() as conn:  # as a store upgraded to revision 0006 has them
        conn.execute(participants.update().values(person_key=None))
    assess.save_answer(before["id"], "listen_1", 3)
    assert assess.earlier_round(after["id"]) == ("before", {"listen_1": 3})
    assert round_pairs(assess.trainer_workshop(wid, key).people(), before="before", after="after") == [
        (before["id"], after["id"])
    ]
    # Their link takes a later round as the same person: a row with no key at all gets one first.
    three = assess.create_workshop("Three rounds", bank="soft_skills", rounds=["before", "middle", "after"])
    middle = assess.join_workshop(three[1], round="middle", browser_key=BROWSER)
    with pytest.raises(ValidationError, match="already taken"):  # the browser's after round is the person's
        assess.take_round(before["id"], "after")
    with store.write() as conn:
        conn.execute(participants.update().where(participants.c.id == lonely["id"]).values(person_key=None))
    later = assess.take_round(lonely["id"], "after")
    assert _person(store, lonely["id"]) == _person(store, later["id"]) is not None
    assert assess.earlier_round(middle["id"]) is None  # another workshop's rounds are another matter


def test_the_personal_link_takes_the_after_round_as_the_same_person(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]
) -> None:
    wid, code, key = workshop
    before = assess.join_workshop(code, round="before", display_name="Ada", browser_key=BROWSER)
    for item, value in (("listen_1", 2), ("listen_2", 3)):
        assess.save_answer(before["id"], item, value)
    assert assess.rounds_to_take(before["id"]) == ["after"]
    # The "before" link opened on a phone (another browser): the page offers the after round.
    opened = assess.participant_by_token(before["token"])
    after = assess.take_round(opened["id"], "after", browser_key=OTHER_BROWSER)
    assert after["round"] == "after" and after["display_name"] == "Ada" and after["workshop_id"] == wid
    assert after["token"] != before["token"] and assess.participant_by_token(after["token"])["id"] == after["id"]
    assert _person(store, after["id"]) == _person(store, before["id"])
    assert assess.earlier_round(after["id"]) == ("before", {"listen_1": 2, "listen_2": 3})
    assert assess.rounds_to_take(before["id"]) == [] and assess.rounds_to_take(after["id"]) == []
    # The phone's browser now resumes the after round; the first browser would start it anew as the same
    # person, but the person has it: it joins as someone new, never paired twice.
    assert assess.join_workshop(code, round="after", browser_key=OTHER_BROWSER)["id"] == after["id"]
    again = assess.join_workshop(code, round="after", display_name="Ada B", browser_key=BROWSER)
    assert _person(store, again["id"]) not in {None, _person(store, before["id"])}
    assert round_pairs(assess.trainer_workshop(wid, key).people(), before="before", after="after") == [
        (before["id"], after["id"])
    ]
    # The earlier link never opens the later participant: a round taken is refused, as are others.
    with pytest.raises(ValidationError, match="already taken the round 'after'"):
        assess.take_round(before["id"], "after", browser_key=OTHER_BROWSER)
    with pytest.raises(ValidationError, match=r"the rounds after 'after' are none"):
        assess.take_round(after["id"], "before")
    with pytest.raises(ValidationError, match=r"the rounds after 'before' are 'after'"):
        assess.take_round(before["id"], "during")
    with pytest.raises(ValidationError, match="outside a workshop has no rounds"):
        assess.take_round(assess.start_self_assessment()["id"], "after")
    with pytest.raises(NotFoundError):
        assess.take_round(10**6, "after")
    assert assess.rounds_to_take(assess.start_self_assessment()["id"]) == []


def test_taking_a_round_keeps_the_workshops_rules(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]
) -> None:
    wid, code, key = workshop
    ada = assess.join_workshop(code, round="before", display_name="Ada")
    assess.join_workshop(code, round="after", display_name="ada", browser_key=BROWSER)  # someone else, in after
    with pytest.raises(ValidationError, match="already joined as 'Ada'"):
        assess.take_round(ada["id"], "after")
    quiet = assess.join_workshop(code, round="before")
    taken = assess.take_round(quiet["id"], "after", browser_key=BROWSER)  # that browser has someone in after
    assert assess.participant(taken["id"])["display_name"] is None
    assert assess.join_workshop(code, round="after", browser_key=BROWSER)["display_name"] == "ada"  # still theirs
    late = assess.join_workshop(code, round="before")
    assess.trainer_workshop(wid, key).close()
    assert assess.rounds_to_take(late["id"]) == []
    with pytest.raises(ValidationError, match="closed"):
        assess.take_round(late["id"], "after")


def test_another_name_on_a_shared_browser_is_another_person(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]
) -> None:
    """The room's laptop: Alice takes the before round, then Bob the after round under his name."""
    _wid, code, _key = workshop
    alice = assess.join_workshop(code, round="before", display_name="Alice", browser_key=BROWSER)
    assess.save_answer(alice["id"], "listen_1", 1)
    bob = assess.join_workshop(code, round="after", display_name="Bob", browser_key=BROWSER)
    assert _person(store, bob["id"]) != _person(store, alice["id"])
    assert assess.earlier_round(bob["id"]) is None  # Bob never sees Alice's scores as his change
    # Named then anonymous is another person too; the same name, however written, is the same one.
    quiet = assess.join_workshop(code, round="after", browser_key=OTHER_BROWSER)
    ada = assess.join_workshop(code, round="before", display_name="ADA", browser_key=OTHER_BROWSER)
    assert _person(store, ada["id"]) != _person(store, quiet["id"])
    bo = assess.join_workshop(code, round="before", display_name="Bob", browser_key="e" * 32)
    assert _person(store, bo["id"]) not in {_person(store, bob["id"]), None}  # another browser: another Bob
    named = assess.join_workshop(code, round="before", display_name="Ana", browser_key="f" * 32)
    again = assess.join_workshop(code, round="after", display_name=" ana ", browser_key="f" * 32)
    assert _person(store, again["id"]) == _person(store, named["id"])


def test_a_round_taken_on_someone_elses_browser_leaves_that_browser_theirs(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]
) -> None:
    """Alice's battery dies: she opens her before link on Bob's phone and takes the after round
    there. Bob, joining the after round from his phone later, is Bob, not Alice's after round."""
    _wid, code, _key = workshop
    alice = assess.join_workshop(code, round="before", browser_key=BROWSER)
    bob = assess.join_workshop(code, round="before", browser_key=OTHER_BROWSER)
    assess.save_answer(alice["id"], "listen_1", 5)
    alice_after = assess.take_round(alice["id"], "after", browser_key=OTHER_BROWSER)
    assert _browser(store, alice_after["id"]) is None
    bob_after = assess.join_workshop(code, round="after", browser_key=OTHER_BROWSER)
    assert bob_after["id"] != alice_after["id"] and not bob_after.get("resumed")
    assert _person(store, bob_after["id"]) == _person(store, bob["id"])
    assert assess.earlier_round(bob_after["id"]) == ("before", {})
    # Her own browser (or one no one used here) takes the new round: it resumes it.
    three = assess.create_workshop("Three", bank="soft_skills", rounds=["before", "middle", "after"])
    dan = assess.join_workshop(three[1], round="before", browser_key=BROWSER)
    middle = assess.take_round(dan["id"], "middle", browser_key=BROWSER)
    assert _browser(store, middle["id"]) == digest(BROWSER)
    last = assess.take_round(middle["id"], "after", browser_key="9" * 32)
    assert _browser(store, last["id"]) == digest("9" * 32)


def test_the_own_change_is_measured_from_the_nearest_earlier_round(
    assess: AssessmentStore, workshop: tuple[int, str, str]
) -> None:
    _wid, code, _key = assess.create_workshop("Three", bank="soft_skills", rounds=["before", "middle", "after"])
    dan = assess.join_workshop(code, round="before", display_name="Dan", browser_key=BROWSER)
    middle = assess.take_round(dan["id"], "middle")
    assess.save_answer(middle["id"], "listen_1", 4)
    after = assess.take_round(middle["id"], "after")
    assert assess.earlier_round(after["id"]) == ("middle", {"listen_1": 4})  # "since this round", as offered
    skipped = assess.join_workshop(code, round="before", browser_key=OTHER_BROWSER)
    assess.save_answer(skipped["id"], "listen_1", 2)
    assert assess.earlier_round(assess.take_round(skipped["id"], "after")["id"]) == ("before", {"listen_1": 2})


def test_a_name_taken_in_the_later_round_says_to_join_with_the_code(
    assess: AssessmentStore, workshop: tuple[int, str, str]
) -> None:
    _wid, code, _key = workshop
    carol = assess.join_workshop(code, round="before", display_name="Carol")
    assess.join_workshop(code, round="after", display_name="carol", browser_key=BROWSER)
    with pytest.raises(ValidationError, match="join the round 'after' with the workshop's code under another name"):
        assess.take_round(carol["id"], "after")


def test_the_database_keeps_one_participant_per_person_and_round(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]
) -> None:
    wid, code, _key = workshop
    ada = assess.join_workshop(code, round="before", browser_key=BROWSER)
    row = {"workshop_id": wid, "round": "before", "token": "t" * 64, "person_key": _person(store, ada["id"])}
    with pytest.raises(IntegrityError), store.write() as conn:
        conn.execute(participants.insert().values(**row))
    with store.write() as conn:  # rows from before rounds were paired have no key: they never clash
        conn.execute(participants.insert().values(**{**row, "person_key": None}))
        conn.execute(participants.insert().values(**{**row, "person_key": None, "token": "u" * 64}))


def _missing_once(real: Callable[..., Any], missing: Any) -> Callable[..., Any]:
    """``real``, but its first call gives ``missing``: what a kernel reads before another one commits."""
    calls: list[int] = []

    def once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return missing if len(calls) == 1 else real(*args, **kwargs)

    return once


def test_a_round_taken_while_the_same_person_joins_it_elsewhere_is_refused_plainly(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A join from the browser and the link's take_round of the same person at once (PostgreSQL
    runs them side by side): the second to write finds the person's row there, and says so."""
    _wid, code, _key = workshop
    before = assess.join_workshop(code, round="before", browser_key=BROWSER)
    after = assess.join_workshop(code, round="after", browser_key=BROWSER)
    monkeypatch.setattr(assessment_module, "_person_rows", _missing_once(assessment_module._person_rows, []))
    with pytest.raises(ValidationError, match="already taken the round 'after'"):
        assess.take_round(before["id"], "after")
    assert _count(store, participants, participants.c.round == "after") == 1
    assert _person(store, after["id"]) == _person(store, before["id"])


def test_a_round_taken_while_someone_else_joins_it_from_that_browser_leaves_the_browser_theirs(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _wid, code, _key = workshop
    ada = assess.join_workshop(code, round="before")
    bob = assess.join_workshop(code, round="after", browser_key=BROWSER)
    monkeypatch.setattr(
        assessment_module, "_browser_is_persons", _missing_once(assessment_module._browser_is_persons, True)
    )
    taken = assess.take_round(ada["id"], "after", browser_key=BROWSER)
    assert _browser(store, taken["id"]) is None and _browser(store, bob["id"]) == digest(BROWSER)
    monkeypatch.setattr(assessment_module, "_browser_is_persons", lambda *_args: True)  # every attempt clashes
    with pytest.raises(StoreError, match="clashed with another join of yours; please try again"):
        assess.take_round(assess.join_workshop(code, round="before")["id"], "after", browser_key=BROWSER)


def test_a_browser_key_that_is_no_key_is_refused(assess: AssessmentStore, workshop: tuple[int, str, str]) -> None:
    with pytest.raises(ValidationError, match="no key"):
        assess.join_workshop(workshop[1], round="before", browser_key="  ")


def test_the_store_keeps_only_digests_of_resume_and_rating_tokens(assess: AssessmentStore, store: Store) -> None:
    solo = assess.start_self_assessment()
    rating = assess.create_peer_link(solo["id"])
    kept = store.frame(select(participants.c.token), ["token"])["token"].tolist()
    assert kept == [digest(solo["token"])]
    assert store.frame(select(peer_raters.c.token), ["token"])["token"].tolist() == [digest(rating)]
    for stored in (digest(solo["token"]), digest(rating)):  # a copy of the store opens nothing
        with pytest.raises(NotFoundError):
            assess.participant_by_token(stored)
        with pytest.raises(NotFoundError):
            assess.peer_rater(stored)


def test_a_new_resume_token_replaces_the_old_one(assess: AssessmentStore) -> None:
    solo = assess.start_self_assessment("Grace")
    assess.save_answer(solo["id"], "listen_1", 4)
    token = assess.new_resume_token(solo["id"])
    assert token != solo["token"] and len(token) >= 32
    with pytest.raises(NotFoundError, match="does not open any saved self-assessment"):
        assess.participant_by_token(solo["token"])
    found = assess.participant_by_token(token)
    assert (found["id"], found["token"], found["display_name"]) == (solo["id"], token, "Grace")
    assert assess.answers(solo["id"]) == {"listen_1": 4}
    with pytest.raises(NotFoundError, match="no self-assessment number"):
        assess.new_resume_token(solo["id"] + 1000)


def test_join_refuses_unknown_rounds_and_bad_names(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]
) -> None:
    _wid, code, _key = workshop
    for bad_round in ("during", "Before", "", None):
        with pytest.raises(ValidationError) as caught:
            assess.join_workshop(code, round=bad_round)  # type: ignore[arg-type]
        assert str(caught.value).startswith("Round:")
        assert "'before', 'after'" in str(caught.value)
    with pytest.raises(ValidationError, match="^Display name: is 201 characters long; the limit is 200.$"):
        assess.join_workshop(code, round="before", display_name="x" * 201)
    with pytest.raises(ValidationError, match="^Display name:"):
        assess.join_workshop(code, round="before", display_name=42)  # type: ignore[arg-type]
    assert _count(store, participants) == 0


#: Names that look like "Bob" on screen (tests/test_fields.py has many more).
LOOK_ALIKES_OF_BOB = ["Bоb", "Bob\u200b", "B o b", "ＢＯＢ"]  # Cyrillic о, zero-width space, spaces, fullwidth


@pytest.mark.parametrize("look_alike", LOOK_ALIKES_OF_BOB)
def test_a_look_alike_name_cannot_join_the_same_round(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str], look_alike: str
) -> None:
    wid, code, _key = workshop
    bob = assess.join_workshop(code, round="before", display_name="Bob")
    with pytest.raises(ValidationError, match="^Display name: someone in this round has already joined as") as caught:
        assess.join_workshop(code, round="before", display_name=look_alike)
    assert caught.value.field == "display_name"
    assert _count(store, participants, participants.c.workshop_id == wid) == 1
    # The same name in another round is the same person coming back; another workshop is another room.
    later = assess.join_workshop(code, round="after", display_name=look_alike)
    other_code = assess.create_workshop("Other", bank="soft_skills", rounds=["before"])[1]
    elsewhere = assess.join_workshop(other_code, round="before", display_name=look_alike)
    assert later["display_name"] == elsewhere["display_name"] == " ".join(look_alike.split())  # shown as typed
    assert len({bob["id"], later["id"], elsewhere["id"]}) == 3


def test_a_name_nothing_of_which_shows_is_refused(
    assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]
) -> None:
    _wid, code, _key = workshop
    for invisible in ("\u200b", "\u200d \u2060\ufe0f", "\u3164"):
        with pytest.raises(ValidationError, match="^Display name: nothing of it shows on screen"):
            assess.join_workshop(code, round="before", display_name=invisible)
        with pytest.raises(ValidationError, match="^Display name: nothing of it shows on screen"):
            assess.start_self_assessment(invisible)
    assert _count(store, participants) == 0
    assert assess.join_workshop(code, round="before", display_name="   ")["display_name"] is None  # blank: anonymous


def test_solo_self_assessment_and_resume_by_token(assess: AssessmentStore) -> None:
    solo = assess.start_self_assessment()
    named = assess.start_self_assessment(" Grace ")
    assert solo["workshop_id"] is None and solo["round"] is None and solo["display_name"] is None
    assert named["display_name"] == "Grace"
    assert solo["token"] != named["token"]
    assert assess.participant_by_token(solo["token"]) == solo
    assert assess.participant_by_token(f" {named['token']}\n")["id"] == named["id"]  # pasted with spaces
    for unknown in ("nope", solo["token"][:-1], solo["token"].upper(), "", None):
        with pytest.raises(NotFoundError, match="does not open any saved self-assessment"):
            assess.participant_by_token(unknown)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="no self-assessment number"):
        assess.participant(named["id"] + 1000)


# -- answers -------------------------------------------------------------------------------


def test_save_answer_keeps_one_row_with_the_last_value(assess: AssessmentStore, store: Store) -> None:
    me = assess.start_self_assessment()["id"]
    other = assess.start_self_assessment()["id"]
    assert assess.answers(me) == {}
    assess.save_answer(me, "listen_1", 2)
    assess.save_answer(me, "listen_1", 5)
    assess.save_answer(me, "listen_1", 4)
    assess.save_answer(me, "conflict_2", 1)
    assess.save_answer(other, "listen_1", 3)
    assert assess.answers(me) == {"conflict_2": 1, "listen_1": 4}
    assert assess.answers(other) == {"listen_1": 3}
    assert _count(store, answers_table, answers_table.c.participant_id == me) == 2
    assert (
        _count(store, answers_table, answers_table.c.participant_id == me, answers_table.c.item_id == "listen_1") == 1
    )
    with store.read() as conn:
        when = (
            conn.execute(select(answers_table.c.answered_at).where(answers_table.c.participant_id == me))
            .scalars()
            .all()
        )
    assert all(isinstance(w, dt.datetime) for w in when)


@pytest.mark.parametrize("value", [True, False, "3", 3.0, 2.5, None, 2**31, -(2**31) - 1, [3]])
def test_bad_answer_values_are_refused(assess: AssessmentStore, store: Store, value: Any) -> None:
    me = assess.start_self_assessment()["id"]
    with pytest.raises(ValidationError, match="^Value: an answer is a whole number"):
        assess.save_answer(me, "listen_1", value)
    assert _count(store, answers_table) == 0


def test_answer_values_accept_any_integer_type(assess: AssessmentStore) -> None:
    import numpy as np

    me = assess.start_self_assessment()["id"]
    assess.save_answer(me, "a", np.int64(4))  # type: ignore[arg-type]
    assess.save_answer(me, "b", 0)
    assess.save_answer(me, "c", -2)
    assert assess.answers(me) == {"a": 4, "b": 0, "c": -2}
    assert all(type(v) is int for v in assess.answers(me).values())


@pytest.mark.parametrize("item_id", ["", None, 7, "x" * 65])
def test_bad_item_ids_are_refused(assess: AssessmentStore, item_id: Any) -> None:
    me = assess.start_self_assessment()["id"]
    with pytest.raises(ValidationError, match="^Item id:"):
        assess.save_answer(me, item_id, 3)


def test_answers_for_unknown_participants_say_so(assess: AssessmentStore, store: Store) -> None:
    me = assess.start_self_assessment()["id"]
    with pytest.raises(NotFoundError, match=f"no self-assessment number {me + 1000}"):
        assess.save_answer(me + 1000, "listen_1", 3)
    with pytest.raises(NotFoundError):
        assess.answers(me + 1000)
    with pytest.raises(NotFoundError):
        assess.mark_completed(me + 1000)
    assert _count(store, answers_table) == 0
    assess.save_answer(me, "listen_1", 3)  # the failed save left the store usable
    assert assess.answers(me) == {"listen_1": 3}


def test_mark_completed_keeps_the_first_time(assess: AssessmentStore, store: Store) -> None:
    me = assess.start_self_assessment()
    assess.mark_completed(me["id"])
    first = assess.participant(me["id"])["completed_at"]
    assert isinstance(first, dt.datetime)
    with store.write() as conn:  # move it into the past, so a second stamp would differ
        conn.execute(
            participants.update().where(participants.c.id == me["id"]).values(completed_at=dt.datetime(2020, 1, 1))
        )
    assess.mark_completed(me["id"])
    assert assess.participant(me["id"])["completed_at"] == dt.datetime(2020, 1, 1)


# -- development plan ----------------------------------------------------------------------


def test_reflection_and_commitments_make_the_plan(assess: AssessmentStore, store: Store) -> None:
    me = assess.start_self_assessment()["id"]
    assert assess.plan(me) == {"reflection": None, "commitments": []}
    assess.set_reflection(me, "  I interrupt.\nI will stop.  ")
    assess.set_reflection(me, "I interrupt; I will listen to the end.")
    assess.set_commitment(me, 2, what=" Ask one open question per meeting ", by_when="2024-06-30")
    assess.set_commitment(me, 1, what="Summarise before answering", by_when=dt.date(2024, 5, 31))
    assess.set_commitment(me, 3, what="Say no once a week", by_when=None)
    assess.set_commitment(me, 2, what="Ask two open questions per meeting", by_when=dt.datetime(2024, 7, 1, 9, 0))
    assert assess.plan(me) == {
        "reflection": "I interrupt; I will listen to the end.",
        "commitments": [
            {"position": 1, "what": "Summarise before answering", "by_when": dt.date(2024, 5, 31)},
            {"position": 2, "what": "Ask two open questions per meeting", "by_when": dt.date(2024, 7, 1)},
            {"position": 3, "what": "Say no once a week", "by_when": None},
        ],
    }
    assert _count(store, reflections) == 1
    assert _count(store, commitments) == 3

    # Blank text clears a reflection or a commitment.
    assess.set_reflection(me, "   ")
    assess.set_commitment(me, 3, what="  ", by_when="")
    assert assess.plan(me)["reflection"] is None
    assert [c["position"] for c in assess.plan(me)["commitments"]] == [1, 2]


@pytest.mark.parametrize(
    ("position", "what", "by_when", "field"),
    [
        (0, "x", None, "Position"),
        (4, "x", None, "Position"),
        (True, "x", None, "Position"),
        ("1", "x", None, "Position"),
        (1.0, "x", None, "Position"),
        (1, "x", "31/05/2024", "By when"),
        (1, "x", "tomorrow", "By when"),
        (1, "  ", "2024-05-31", "What"),
        (1, None, None, "What"),
        (1, "x" * 5001, None, "What"),
    ],
)
def test_bad_commitments_are_refused(
    assess: AssessmentStore, store: Store, position: Any, what: Any, by_when: Any, field: str
) -> None:
    me = assess.start_self_assessment()["id"]
    with pytest.raises(ValidationError, match=f"^{field}:"):
        assess.set_commitment(me, position, what=what, by_when=by_when)
    assert _count(store, commitments) == 0


def test_the_database_itself_refuses_a_fourth_commitment(assess: AssessmentStore, store: Store) -> None:
    me = assess.start_self_assessment()["id"]
    for position in (0, 4):
        with pytest.raises(IntegrityError), store.write() as conn:
            conn.execute(commitments.insert().values(participant_id=me, position=position, what="x"))
    assert _count(store, commitments) == 0


def test_plan_refusals(assess: AssessmentStore) -> None:
    me = assess.start_self_assessment()["id"]
    with pytest.raises(ValidationError, match="^Reflection: is 5001 characters long; the limit is 5000.$"):
        assess.set_reflection(me, "x" * 5001)
    with pytest.raises(ValidationError, match="^Reflection:"):
        assess.set_reflection(me, None)  # type: ignore[arg-type]
    for call in (
        lambda: assess.set_reflection(me + 1000, "text"),
        lambda: assess.set_reflection(me + 1000, ""),
        lambda: assess.set_commitment(me + 1000, 1, what="x", by_when=None),
        lambda: assess.set_commitment(me + 1000, 1, what="", by_when=None),
        lambda: assess.plan(me + 1000),
    ):
        with pytest.raises(NotFoundError, match="no self-assessment number"):
            call()


# -- the trainer's cohort ------------------------------------------------------------------


def test_cohort_and_status(assess: AssessmentStore, workshop: tuple[int, str, str]) -> None:
    wid, code, key = workshop
    trainer = assess.trainer_workshop(wid, key)
    ada = assess.join_workshop(code, round="before", display_name="Ada")["id"]
    bob = assess.join_workshop(code, round="before")["id"]
    quiet = assess.join_workshop(code, round="before")["id"]  # joined, answered nothing yet
    later = assess.join_workshop(code, round="after")["id"]
    other_code = assess.create_workshop("Other", bank="soft_skills", rounds=["before"])[1]
    stranger = assess.join_workshop(other_code, round="before")["id"]
    solo = assess.start_self_assessment()["id"]
    for pid, value in ((ada, 4), (bob, 2), (later, 5), (stranger, 1), (solo, 1)):
        assess.save_answer(pid, "listen_1", value)
    assess.save_answer(ada, "conflict_1", 3)

    assert trainer.cohort("before") == {ada: {"conflict_1": 3, "listen_1": 4}, bob: {"listen_1": 2}, quiet: {}}
    assert trainer.cohort("after") == {later: {"listen_1": 5}}
    assert trainer.cohort_status() == {
        "before": {"joined": 3, "completed": 0},
        "after": {"joined": 1, "completed": 0},
    }
    assert trainer.live_status()[1] == {"before": ["Ada"], "after": []}  # by name: only those who gave one
    assess.mark_completed(ada)
    assess.mark_completed(ada)
    assess.mark_completed(later)
    assert trainer.cohort_status() == {
        "before": {"joined": 3, "completed": 1},
        "after": {"joined": 1, "completed": 1},
    }
    assert list(trainer.cohort_status()) == ["before", "after"]  # the workshop's order
    assert trainer.live_status()[1] == {"before": [], "after": []}

    empty = assess.trainer_workshop(
        *assess.create_workshop("Empty", bank="soft_skills", rounds=["before", "after"])[::2]
    )
    assert empty.cohort("before") == {}
    assert empty.cohort_status() == {
        "before": {"joined": 0, "completed": 0},
        "after": {"joined": 0, "completed": 0},
    }

    with pytest.raises(
        ValidationError, match="^Round: this workshop has no round 'during'; its rounds are 'before', 'after'"
    ):
        trainer.cohort("during")


def test_cohort_export_is_long_format_without_tokens(assess: AssessmentStore, workshop: tuple[int, str, str]) -> None:
    wid, code, key = workshop
    joined = [
        assess.join_workshop(code, round="after", display_name="Ada"),
        assess.join_workshop(code, round="before"),
        assess.join_workshop(code, round="before", display_name="ada"),
        assess.join_workshop(code, round="after"),
    ]
    for i, person in enumerate(joined):
        assess.save_answer(person["id"], "listen_1", i % 5 + 1)
        assess.save_answer(person["id"], "conflict_1", 5 - i % 5)
    assess.mark_completed(joined[1]["id"])
    assess.join_workshop(code, round="before")  # no answers: no rows
    other_code = assess.create_workshop("Other", bank="soft_skills", rounds=["before"])[1]
    outsider = assess.join_workshop(other_code, round="before", display_name="Outsider")
    assess.save_answer(outsider["id"], "listen_1", 1)

    frame = assess.trainer_workshop(wid, key).cohort_export()
    assert list(frame.columns) == EXPORT_COLUMNS
    assert EXPORT_COLUMNS == ["round", "participant", "display_name", "completed_at", "item_id", "value"]
    assert frame["value"].dtype == "int64" and frame["participant"].dtype == "int64"
    done = assess.participant(joined[1]["id"])["completed_at"]
    assert done is not None
    ids = [person["id"] for person in joined]
    rows = [tuple(r) for r in frame.itertuples(index=False)]
    assert rows == [  # the rule (who may be shown, under what label) is workshop.released_answers'
        ("before", ids[1], None, done, "conflict_1", 4),
        ("before", ids[1], None, done, "listen_1", 2),
        ("before", ids[2], "ada", None, "conflict_1", 3),
        ("before", ids[2], "ada", None, "listen_1", 3),
        ("after", ids[0], "Ada", None, "conflict_1", 5),
        ("after", ids[0], "Ada", None, "listen_1", 1),
        ("after", ids[3], None, None, "conflict_1", 2),
        ("after", ids[3], None, None, "listen_1", 4),
    ]
    cells = " ".join(str(v) for v in frame.to_numpy().ravel()) + " ".join(frame.columns)
    for person in [*joined, outsider]:
        assert person["token"] not in cells
    assert "Outsider" not in cells

    empty = assess.trainer_workshop(*assess.create_workshop("Empty", bank="soft_skills", rounds=["only"])[::2])
    assert list(empty.cohort_export().columns) == EXPORT_COLUMNS
    assert empty.cohort_export().empty


def test_the_trainers_reads_need_the_key(assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]) -> None:
    """A cohort's answers, counts and export, and closing, are only reached through the access
    trainer_workshop hands out for the key: the store has no other way to them."""
    wid, code, key = workshop
    for _ in range(3):
        person = assess.join_workshop(code, round="before")
        assess.save_answer(person["id"], "listen_1", 4)
    for read in ("cohort", "cohort_status", "live_status", "cohort_export", "close_workshop"):
        assert not hasattr(assess, read), read
    with pytest.raises(ValidationError, match="not the trainer key") as caught:
        assess.trainer_workshop(wid, "A" * len(key))
    assert caught.value.field == "trainer_key"
    with pytest.raises(ValidationError, match="Only the workshop's trainer key opens its cohort"):
        TrainerAccess(store, assess.workshop(wid), _issued=object())  # made by hand: refused
    trainer = assess.trainer_workshop(wid, key)
    assert isinstance(trainer, TrainerAccess) and trainer.workshop_id == wid
    assert trainer.cohort_status()["before"]["joined"] == 3
    assert len(trainer.cohort_export()) == 3
    other_id, _other_code, _other_key = assess.create_workshop("Other", bank="soft_skills", rounds=["only"])
    with pytest.raises(ValidationError, match="not the trainer key"):
        assess.trainer_workshop(other_id, key)  # one workshop's key opens no other


# -- peer ratings --------------------------------------------------------------------------


def test_peer_ratings(assess: AssessmentStore, store: Store) -> None:
    me = assess.start_self_assessment("Ada")["id"]
    someone_else = assess.start_self_assessment()["id"]
    first, second, unused = (assess.create_peer_link(me) for _ in range(3))
    elsewhere = assess.create_peer_link(someone_else)
    assert len({first, second, unused, elsewhere}) == 4 and all(len(t) >= 32 for t in (first, second))
    assert assess.peer_answers(me) == []

    assess.save_peer_answer(first, "listen_1", 2)
    assess.save_peer_answer(first, "listen_1", 4)  # changed their mind
    assess.save_peer_answer(first, "conflict_1", 3)
    assess.save_peer_answer(f" {second} ", "listen_1", 5)
    assess.save_peer_answer(elsewhere, "listen_1", 1)
    assert assess.peer_answers(me) == [{"conflict_1": 3, "listen_1": 4}, {"listen_1": 5}]  # the unused link: no rater
    assert assess.peer_answers(someone_else) == [{"listen_1": 1}]
    assert _count(store, peer_answers) == 4
    assert assess.answers(me) == {}  # peers' answers are not the self-assessment

    bad: Any
    for bad in (True, "4", 4.5, None):
        with pytest.raises(ValidationError, match="^Value:"):
            assess.save_peer_answer(first, "listen_1", bad)
    with pytest.raises(ValidationError, match="^Item id:"):
        assess.save_peer_answer(first, "", 3)
    for unknown in ("nope", first[:-1], "", None):
        with pytest.raises(NotFoundError, match="rating link does not work"):
            assess.save_peer_answer(unknown, "listen_1", 3)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="no self-assessment number"):
        assess.create_peer_link(me + 1000)
    with pytest.raises(NotFoundError, match="no self-assessment number"):
        assess.peer_answers(me + 1000)
    assert assess.peer_answers(me) == [{"conflict_1": 3, "listen_1": 4}, {"listen_1": 5}]


def _rate_all(assess: AssessmentStore, token: str, score: int) -> None:
    """A rater answers every item of the default bank so each competency scores ``score``."""
    for item in default_bank().items:
        assess.save_peer_answer(token, item.id, 6 - score if item.reverse else score)


def test_a_peer_release_is_kept_and_changes_only_when_three_more_finished(
    assess: AssessmentStore, store: Store
) -> None:
    bank = default_bank()
    me = assess.start_self_assessment()["id"]
    links = [assess.create_peer_link(me) for _ in range(7)]
    assert assess.release_peer_view(me, bank) == (None, 0)
    for token, score in zip(links[:2], (5, 4)):
        _rate_all(assess, token, score)
    assess.save_peer_answer(links[2], "listen_1", 1)  # started, not finished
    assert assess.release_peer_view(me, bank) == (None, 2)
    _rate_all(assess, links[2], 1)
    first, waiting = assess.release_peer_view(me, bank)
    assert first is not None and waiting == 0 and len(first.raters) == 3
    assert set(first.others.values()) == {Fraction(7, 2)}  # (5 + 4 + 1) / 3 = 3.33 -> 3.5
    assert set(assess.peer_ratings(me)) == first.raters

    _rate_all(assess, links[3], 5)
    _rate_all(assess, links[0], 1)  # a rater in the release changes every answer
    assert assess.release_peer_view(me, bank) == (first, 1), "the release stands: one change each"
    assert AssessmentStore(store).release_peer_view(me, bank) == (first, 1), "kept in the store, not the page"
    for token in links[4:6]:
        _rate_all(assess, token, 5)
    second, waiting = assess.release_peer_view(me, bank)
    assert second is not None and waiting == 0 and second.raters > first.raters and len(second.raters) == 6
    assert set(second.others.values()) == {Fraction(7, 2)}  # (1 + 4 + 1 + 5 + 5 + 5) / 6 = 3.5
    with pytest.raises(NotFoundError):
        assess.release_peer_view(me + 1000, bank)


def test_a_stored_release_of_someone_else_is_ignored(assess: AssessmentStore, store: Store) -> None:
    bank = default_bank()
    me = assess.start_self_assessment()["id"]
    for score in (5, 5, 5):
        _rate_all(assess, assess.create_peer_link(me), score)
    stale = json.dumps({"subject_created": "1999-01-01 00:00:00", "raters": [1, 2, 3], "others": {"listen": "1"}})
    with store.write() as conn:
        conn.execute(meta.insert().values(key=f"peer-release:{me}", value=stale))
    release, _waiting = assess.release_peer_view(me, bank)
    assert release is not None and set(release.others.values()) == {Fraction(5)}


def test_two_pages_releasing_at_once_agree(assess: AssessmentStore, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = default_bank()
    me = assess.start_self_assessment()["id"]
    for score in (2, 3, 4):
        _rate_all(assess, assess.create_peer_link(me), score)
    real = assessment_module.release_peer_view
    calls: list[int] = []

    def racing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:  # another page of the same participant stores its release first
            monkeypatch.setattr(assessment_module, "release_peer_view", real)
            other = AssessmentStore(assess.store).release_peer_view(me, bank)
            monkeypatch.setattr(assessment_module, "release_peer_view", racing)
            assert other[0] is not None
        return real(*args, **kwargs)

    monkeypatch.setattr(assessment_module, "release_peer_view", racing)
    release, _waiting = assess.release_peer_view(me, bank)
    assert len(calls) == 2, "the first attempt lost the race and read again"
    monkeypatch.undo()
    assert assess.release_peer_view(me, bank) == (release, 0)


def test_own_browsers_are_kept_as_hashes(assess: AssessmentStore, store: Store) -> None:
    me = assess.start_self_assessment()["id"]
    other = assess.start_self_assessment()["id"]
    mine, theirs = "a" * 32, "b" * 32
    assert not assess.is_own_browser(me, mine)
    assess.remember_own_browser(me, mine)
    assess.remember_own_browser(me, mine)  # again: kept once
    assert assess.is_own_browser(me, mine)
    assert not assess.is_own_browser(me, theirs) and not assess.is_own_browser(other, mine)
    with store.read() as conn:
        stored = conn.execute(select(meta.c.value).where(meta.c.key == f"own-browsers:{me}")).scalar_one()
    assert mine not in stored and len(json.loads(stored)) == 1
    with pytest.raises(ValidationError, match="no key yet"):
        assess.remember_own_browser(me, "")
    with pytest.raises(NotFoundError):
        assess.remember_own_browser(me + 1000, mine)


def test_deleting_a_participant_deletes_everything_of_theirs(assess: AssessmentStore, store: Store) -> None:
    me = assess.start_self_assessment()["id"]
    keep = assess.start_self_assessment()["id"]
    for pid in (me, keep):
        assess.save_answer(pid, "listen_1", 3)
        assess.set_reflection(pid, "text")
        assess.set_commitment(pid, 1, what="x", by_when=None)
        assess.save_peer_answer(assess.create_peer_link(pid), "listen_1", 4)
    with store.write() as conn:
        conn.execute(participants.delete().where(participants.c.id == me))
    for table in (answers_table, reflections, commitments, peer_answers):
        assert _count(store, table) == 1, table.name
    assert assess.answers(keep) == {"listen_1": 3}
    assert assess.peer_answers(keep) == [{"listen_1": 4}]


def test_rounds_are_stored_as_json_text(assess: AssessmentStore, store: Store, workshop: tuple[int, str, str]) -> None:
    with store.read() as conn:
        raw = conn.execute(select(workshops.c.rounds).where(workshops.c.id == workshop[0])).scalar_one()
    assert json.loads(raw) == ["before", "after"]


# -- concurrency: 20 kernels join a workshop and answer at once ------------------------------

WORKERS = 20
ANSWERS_PER_WORKER = 40
SHARED_ITEMS = 5


def _answer_worker(barrier: Any, idx: int, url: str, code: str, shared_id: int, answers: int) -> Any:
    """One participant's kernel: join, answer every item, finish; also save into one shared
    participant's answers (the same person open in several tabs), racing everyone else."""
    with closing(Store.open(url)) as store:
        assess = AssessmentStore(store)
        barrier.wait()
        me = assess.join_workshop(code, round=("before", "after")[idx % 2], display_name=None if idx % 3 else f"P{idx}")
        for i in range(answers):
            assess.save_answer(me["id"], f"item_{i:02d}", (idx + i) % 5 + 1)
            if i < SHARED_ITEMS:
                assess.save_answer(shared_id, f"item_{i:02d}", idx)
        assess.mark_completed(me["id"])
        return me["id"]


def test_twenty_kernels_answering_at_once_lose_nothing(
    store_url: str, store: Store, run_in_processes: RunInProcesses
) -> None:
    assess = AssessmentStore(store)
    wid, code, key = assess.create_workshop("Busy workshop", bank="soft_skills", rounds=["before", "after"])
    shared = assess.start_self_assessment()["id"]

    joined = run_in_processes(
        _answer_worker, [(i, store_url, code, shared, ANSWERS_PER_WORKER) for i in range(WORKERS)]
    )

    assert len(set(joined.values())) == WORKERS
    for idx, pid in joined.items():
        expected = {f"item_{i:02d}": (idx + i) % 5 + 1 for i in range(ANSWERS_PER_WORKER)}
        assert assess.answers(pid) == expected, f"worker {idx}"
    assert _count(store, answers_table, answers_table.c.participant_id != shared) == WORKERS * ANSWERS_PER_WORKER
    shared_answers = assess.answers(shared)
    assert set(shared_answers) == {f"item_{i:02d}" for i in range(SHARED_ITEMS)}  # one row per item, none lost
    assert set(shared_answers.values()) <= set(range(WORKERS))
    trainer = assess.trainer_workshop(wid, key)
    assert trainer.cohort_status() == {
        "before": {"joined": WORKERS // 2, "completed": WORKERS // 2},
        "after": {"joined": WORKERS // 2, "completed": WORKERS // 2},
    }
    before = trainer.cohort("before")
    assert set(before) == {pid for idx, pid in joined.items() if idx % 2 == 0}
    assert len(trainer.cohort_export()) == WORKERS * ANSWERS_PER_WORKER


def _rejoin_worker(barrier: Any, idx: int, url: str, code: str) -> Any:
    """One of several tabs of the same browser joining the same round at once."""
    with closing(Store.open(url)) as store:
        barrier.wait()
        return AssessmentStore(store).join_workshop(code, round="before", browser_key=BROWSER)["id"]


def test_tabs_of_one_browser_joining_at_once_make_one_participant(
    store_url: str, store: Store, run_in_processes: RunInProcesses
) -> None:
    assess = AssessmentStore(store)
    wid, code, key = assess.create_workshop("Busy workshop", bank="soft_skills", rounds=["before"])
    joined = run_in_processes(_rejoin_worker, [(i, store_url, code) for i in range(4)])
    assert len(set(joined.values())) == 1
    assert assess.trainer_workshop(wid, key).cohort_status() == {"before": {"joined": 1, "completed": 0}}


def test_peer_rater_gives_the_subject_bank_and_the_answers_so_far(store: Store) -> None:
    assess = AssessmentStore(store)
    _workshop_id, code, _key = assess.create_workshop("Leads", bank="soft_skills", rounds=["before"])
    subject = assess.join_workshop(code, round="before")
    token = assess.create_peer_link(subject["id"])
    assert assess.peer_rater(token) == {"subject_id": subject["id"], "bank": "soft_skills", "answers": {}}
    assess.save_peer_answer(token, "pc1", 4)
    assert assess.peer_rater(f" {token} ")["answers"] == {"pc1": 4}
    solo_subject = assess.start_self_assessment()
    assert assess.peer_rater(assess.create_peer_link(solo_subject["id"]))["bank"] is None
    with pytest.raises(NotFoundError, match="does not work any more"):
        assess.peer_rater("nobody")

"""``cpmkit serve --workers 2``: two Voila workers behind Debian's nginx, on one PostgreSQL.

Two participants open the room's one workshop link through nginx, each in a fresh browser:
their pages land on different workers (each kernel id names its worker). The trainer signs in
on worker 1 and opens the dashboard on worker 2 (one cookie key for all workers), and sees
both join and answer; each participant's link to come back is on nginx's address (the Host
passes through), not a worker's. Closing a participant's page stops its kernel at once:
Voila's shutdown beacon, sent through nginx, reaches the worker holding the kernel.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from cpmkit.accounts.store import AccountStore
from cpmkit.cli import serve_env
from cpmkit.db.database import Store
from cpmkit.serving.server import VoilaServer, running_voila
from cpmkit.soft_skills.bank import default_bank
from cpmkit.soft_skills.store import AssessmentStore
from tests._repository import REPO_NOTEBOOKS
from tests.browser.conftest import ACCOUNTS, CULL_AFTER, PASSWORD, _close, watched
from tests.browser.test_workshop import (
    DASHBOARD_TIMEOUT_MS,
    PARTICIPANT,
    ROUND,
    TRAINER,
    answer_step,
    complete_assessment,
    counts_row,
    join,
    planned_answers,
    start_opening,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

WORKSHOP = "Two workers"
PEOPLE = {"Dana Ito": 4, "Eli Novak": 3}
#: Seconds within which a closed page's kernel must be gone: well under the cull (CULL_AFTER).
BEACON_SECONDS = 10


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory, postgres_server: Any) -> Iterator[VoilaServer]:
    """``cpmkit serve --workers 2`` on a fresh PostgreSQL database, with the browser tests' accounts."""
    base = tmp_path_factory.mktemp("workers")
    with postgres_server.fresh_database() as url:
        env = serve_env({**os.environ, "CPMKIT_DB_URL": url, "CPMKIT_DATA_DIR": str(base)})
        store = Store.open(url)
        try:
            for name, admin in ACCOUNTS.items():
                AccountStore(store).add_user(name, PASSWORD, admin=admin)
        finally:
            store.close()
        with running_voila(
            REPO_NOTEBOOKS, env=env, log_file=base / "serve.log", cull_after=CULL_AFTER, workers=2
        ) as server:
            yield server


def worker_urls(server: VoilaServer) -> dict[int, str]:
    """Each worker's own address, as ``serve`` printed it."""
    found = re.findall(r"cpmkit: worker (\d+) on (http://127\.0\.0\.1:\d+)", server.log_file.read_text())
    return {int(number): url for number, url in found}


def worker_of(page: Any) -> int:
    """The worker holding a page's kernel: the number its kernel id starts with."""
    kernel = re.search(r'"kernelId":\s*"w(\d+)_', page.content())
    assert kernel is not None, "the page names no worker's kernel"
    return int(kernel.group(1))


def test_a_workshop_spans_both_workers_and_the_trainer_sees_everyone(
    two_workers: VoilaServer, browser: Any, tmp_path: Path
) -> None:
    server = two_workers
    workers = worker_urls(server)
    assert sorted(workers) == [1, 2], server.log_tail()
    bank = default_bank()
    store = Store.open(server.store_url)
    try:
        assess = AssessmentStore(store)
        workshop_id, code, key = assess.create_workshop(WORKSHOP, bank="soft_skills", rounds=[ROUND])
        contexts: dict[str, tuple[Any, Any]] = {}

        def person(label: str, on: VoilaServer) -> Any:
            context, web = watched(browser, on, tmp_path, label)
            contexts[label] = (context, web)
            return web

        try:
            # The room's one link, opened through nginx by two new browsers.
            people = [person(f"participant{i}", server) for i in (1, 2)]
            for participant in people:
                start_opening(participant, PARTICIPANT, code=code)

            # Signed in on worker 1, the trainer opens the dashboard on worker 2.
            trainer = person("trainer", dataclasses.replace(server, base_url=workers[2]))
            cookies = dataclasses.replace(server, base_url=workers[1]).session_cookies("pm", PASSWORD)
            trainer.page.context.add_cookies([{"name": k, "value": v, "url": workers[2]} for k, v in cookies.items()])
            trainer.open(TRAINER, workshop=workshop_id)
            page = trainer.page
            page.get_by_role("tab", name="Open a workshop").click()
            opener = page.locator(".widget-tab-contents .widget-vbox").filter(
                has=page.get_by_role("button", name="Open dashboard")
            )
            opener.locator("input[type=password]").fill(key)
            opener.get_by_role("button", name="Open dashboard").click()
            expect(page.locator(".cpmkit-workshop-dashboard .cpmkit-join-code")).to_have_text(code)
            assert worker_of(page) == 2

            for participant in people:
                participant.wait_ready()
            assert {worker_of(participant.page) for participant in people} == {1, 2}

            names = list(PEOPLE)
            for participant, name in zip(people, names):
                join(participant.page, name, WORKSHOP, code)
                # Their link to come back is on the address they opened (nginx's), not a worker's.
                expect(participant.page.locator(".cpmkit-link-once a").first).to_have_attribute(
                    "href", re.compile(rf"^{re.escape(server.url(PARTICIPANT))}\?token=")
                )
            expect(counts_row(page).locator("td")).to_have_text(
                [ROUND, "2", "0", "2", f"{names[0]} and {names[1]}"], timeout=DASHBOARD_TIMEOUT_MS
            )
            plans = [planned_answers(bank, PEOPLE[name]) for name in names]
            complete_assessment(people[0].page, bank, plans[0])
            answer_step(people[1].page, bank, 0, plans[1], 0)
            expect(counts_row(page).locator("td")).to_have_text(
                [ROUND, "2", "1", "1", names[1]], timeout=DASHBOARD_TIMEOUT_MS
            )

            cohort = assess.trainer_workshop(workshop_id, key)
            saved = {assess.participant(p)["display_name"]: assess.answers(p) for p in cohort.cohort(ROUND)}
            first_step = {item.id for item in bank.items_for(bank.competencies[0].id)}
            assert saved == {names[0]: plans[0], names[1]: {i: v for i, v in plans[1].items() if i in first_step}}
            for web in (trainer, *people):
                web.assert_clean()

            # Closing the pages: each beacon reaches the worker holding its kernel.
            assert len(server.kernels()) == 3
            for participant in people:  # as a tab closes (its browser stays): the page sends its beacon
                with participant.page.expect_event("close"):
                    participant.page.close(run_before_unload=True)
            deadline = time.monotonic() + BEACON_SECONDS
            while len(server.kernels()) > 1 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(server.kernels()) == 1, server.log_tail()
        finally:
            for context, web in contexts.values():
                _close(context, web)
    finally:
        store.close()

"""A live page re-reads the store only when its version moved, and says when a read failed."""

from __future__ import annotations

from cpmkit.errors import StoreError
from cpmkit.ui.live_refresh import LiveRefresh
from cpmkit.ui.widgets import message_area


class Page(LiveRefresh):
    """A page over a fake store: ``versions`` are what successive version reads return."""

    def __init__(self, versions: list[int]) -> None:
        self.versions, self.loads = versions, 0
        self.live_message = message_area()
        self.ticker = None
        self.fail = False

    def _version(self) -> object:
        return self.versions.pop(0) if len(self.versions) > 1 else self.versions[0]

    def _read(self) -> None:
        if self.fail:
            raise StoreError("The store is not answering.")
        self.loads += 1


def test_a_tick_reads_the_page_again_only_when_the_version_moved() -> None:
    page = Page([1])
    page.refresh()
    page.tick()
    page.tick()
    assert page.loads == 1 and page.seen == 1
    page.versions = [2]
    page.tick()
    assert page.loads == 2 and page.seen == 2


def test_the_version_is_read_before_the_page_so_a_change_in_between_is_drawn_next_tick() -> None:
    page = Page([1, 2])  # the store moved to 2 while the page was being read at 1
    page.refresh()
    assert page.seen == 1
    page.tick()
    assert page.loads == 2 and page.seen == 2


def test_a_failed_read_is_said_and_the_next_tick_tries_again() -> None:
    page = Page([1])
    page.fail = True
    page.tick()
    assert "The store is not answering." in page.live_message.value and page.seen is None
    page.fail = False
    page.tick()
    assert page.loads == 1 and page.seen == 1
    page.stop()  # no ticker: nothing to stop


def test_a_persons_own_change_drawn_at_once_is_not_read_again_at_the_next_tick() -> None:
    page = Page([1])
    page.refresh()
    page.versions = [2]  # the person's own vote, saved, then drawn at once
    page._load()
    page.tick()
    assert page.loads == 2 and page.seen == 2

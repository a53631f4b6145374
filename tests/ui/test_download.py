"""DownloadButton's kernel side: the file is made only when the page asks, and sent as one
binary buffer with its name and type; a failure is said in words, never as a traceback."""

from __future__ import annotations

from importlib import resources

import pytest

from cpmkit.errors import ValidationError
from cpmkit.ui.download import NOT_MADE, DownloadButton, download_row
from tests._downloads import click, files


def test_the_file_is_made_only_at_the_click_and_sent_as_a_buffer_with_its_name() -> None:
    made: list[int] = []

    def make() -> bytes:
        made.append(1)
        return b"PK\x03\x04 bytes"

    button = DownloadButton("All tables (XLSX)", filename="stakeholder-value.xlsx", mime="application/x", make=make)
    assert made == [] and button.label == "All tables (XLSX)" and "cpmkit-download" in button._dom_classes
    message, buffers = click(button)
    assert made == [1]
    assert message == {"filename": "stakeholder-value.xlsx", "mime": "application/x"}
    assert buffers == [b"PK\x03\x04 bytes"]
    click(button)
    assert made == [1, 1]  # made afresh at each click: the file holds what is saved then


def test_a_name_can_follow_the_state_at_the_click() -> None:
    stem = ["first"]
    button = DownloadButton("Report", filename=lambda: f"{stem[0]}.html", mime="text/html", make=lambda: b"<p>")
    stem[0] = "second"
    assert click(button)[0]["filename"] == "second.html"
    assert files(download_row([button])) == {"second.html": b"<p>"}


def test_a_file_that_cannot_be_made_is_said_plainly(caplog: pytest.LogCaptureFixture) -> None:
    def refused() -> bytes:
        raise ValidationError("Create or choose a project first.")

    def broken() -> bytes:
        raise RuntimeError("secret detail")

    assert click(DownloadButton("X", filename="x", mime="x", make=refused)) == (
        {"failed": "Create or choose a project first."},
        [],
    )
    message, buffers = click(DownloadButton("X", filename="x", mime="x", make=broken))
    assert message == {"failed": NOT_MADE} and buffers == [] and "secret" not in NOT_MADE
    assert "secret detail" in caplog.text  # logged for the administrator, with its traceback


@pytest.mark.parametrize("content", [{"download": False}, {"other": 1}, "download", None])
def test_any_other_message_makes_nothing(content: object) -> None:
    made: list[int] = []
    button = DownloadButton("X", filename="x", mime="x", make=lambda: made.append(1) or b"")
    sent: list[object] = []
    button.send = lambda *a, **k: sent.append(a)  # type: ignore[method-assign]
    button._handle_custom_msg(content, [])
    assert made == [] and sent == []


def test_the_page_saves_the_buffer_as_a_blob_under_the_name() -> None:
    script = resources.files("cpmkit.ui").joinpath("download.js").read_text(encoding="utf-8")
    assert "new Blob([buffer]" in script and "link.download = filename" in script
    assert 'setAttribute("role", "status")' in script  # a failure is read out
    assert "http" not in script  # nothing from the network

"""Unit tests of cpmkit.serving.voila_app: Voila as ``cpmkit serve`` starts it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from cpmkit import cli
from cpmkit.feedback.survey_import.reader import MAX_FILE_BYTES
from cpmkit.serving import voila_app


def test_serve_starts_voila_through_the_launcher() -> None:
    command = cli.voila_command(Path("nb"), host="127.0.0.1", port=1)
    assert command[:3] == [sys.executable, "-m", "cpmkit.serving.voila_app"]
    assert not any("tornado_settings" in part for part in command)  # no deprecated dict literal


def test_websocket_messages_take_the_largest_upload_as_a_number() -> None:
    """A FileUpload sends its file in one websocket message: tornado's 10 MiB default would drop
    an export feedback_import accepts, and a limit given as text breaks tornado's comparison."""
    limit = voila_app.tornado_settings()["websocket_max_message_size"]
    assert isinstance(limit, int) and limit == MAX_FILE_BYTES + voila_app.UPLOAD_OVERHEAD_BYTES


def test_main_hands_voila_its_arguments_and_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from voila.app import Voila

    launched: dict[str, Any] = {}
    monkeypatch.setattr(Voila, "launch_instance", classmethod(lambda cls, argv, **kw: launched.update(argv=argv, **kw)))
    voila_app.main(["nb", "--port=1"])
    assert launched == {"argv": ["nb", "--port=1"], "tornado_settings": voila_app.tornado_settings()}

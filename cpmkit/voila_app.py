"""Voila as ``cpmkit serve`` runs it (``python -m cpmkit.voila_app`` plus Voila's own options):
the same application, given the one setting its command line can only take in a deprecated form.

A FileUpload sends its file in one websocket message, and tornado refuses messages over 10 MiB
by default, so an export that ``feedback_import`` accepts would never arrive. The limit is set
on the application as a number; on the command line it would need traitlets' deprecated
dict-literal form (``key=value`` would make it text, which tornado cannot compare).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Final

from cpmkit.feedback_import import MAX_FILE_BYTES

__all__ = ["UPLOAD_OVERHEAD_BYTES", "WEBSOCKET_MESSAGE_LIMIT", "main", "tornado_settings"]

#: Room in a websocket message beside an uploaded file (its name, type and the widget's state).
UPLOAD_OVERHEAD_BYTES: Final = 1024 * 1024
WEBSOCKET_MESSAGE_LIMIT: Final = MAX_FILE_BYTES + UPLOAD_OVERHEAD_BYTES


def tornado_settings() -> dict[str, Any]:
    """The settings cpmkit adds to Voila's web application."""
    return {"websocket_max_message_size": WEBSOCKET_MESSAGE_LIMIT}


def main(argv: Sequence[str] | None = None) -> None:
    """Start Voila with ``argv`` (default: this process's arguments) and cpmkit's settings."""
    from voila.app import Voila

    Voila.launch_instance(list(sys.argv[1:] if argv is None else argv), tornado_settings=tornado_settings())


if __name__ == "__main__":
    main()

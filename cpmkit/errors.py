"""Every error cpmkit raises on purpose, with the context a project manager needs.

Hierarchy::

    CpmkitError
    ├── ValidationError      a value entered is not acceptable (field, value)
    ├── TemplateError        a content file in templates/ is malformed (file, item, field)
    ├── NotFoundError        a project, stakeholder or measure no longer exists (``gone``), or none has the name given
    ├── StoreError           the data store cannot be opened or upgraded
    ├── TooManyTries         too many tries of a code or key in a short time (wait_seconds)
    └── ConfigError          a setting (environment variable) has a value cpmkit cannot use (setting, value)

Messages are plain language: they are shown as they are in Voila, next to the field.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "ConfigError",
    "CpmkitError",
    "NotFoundError",
    "StoreError",
    "TemplateError",
    "TooManyTries",
    "ValidationError",
    "gone",
]


class CpmkitError(Exception):
    """Base class: anything cpmkit expects to happen and can explain."""


class ValidationError(CpmkitError, ValueError):
    """A value entered for ``field`` cannot be accepted; nothing was saved."""

    def __init__(self, message: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value

    @classmethod
    def for_field(cls, field: str, value: Any, problem: str) -> ValidationError:
        """Build the message as '<Field label>: <problem>' so the UI can show it verbatim."""
        label = field.replace("_", " ").capitalize()
        return cls(f"{label}: {problem}", field=field, value=value)


class TemplateError(CpmkitError):
    """A content file under templates/ is malformed; names the file, item and field."""

    def __init__(self, message: str, *, file: str, item: str | None = None, field: str | None = None) -> None:
        where = file + (f", item {item!r}" if item else "") + (f", field {field!r}" if field else "")
        super().__init__(f"{where}: {message}")
        self.file = file
        self.item = item
        self.field = field


class NotFoundError(CpmkitError, LookupError):
    """The record asked for does not exist: deleted, perhaps in another tab (its message is
    ``gone(what)``), or none has the name given (the message lists what there is)."""


def gone(what: str) -> str:
    """The one sentence for a ``what`` (a project, a card...) deleted meanwhile, perhaps in another
    window or by someone else: every store says it the same way."""
    return f"This {what} no longer exists; it may have been deleted in another window."


class StoreError(CpmkitError):
    """The store cannot be opened, or its schema cannot be upgraded."""


class TooManyTries(CpmkitError):
    """Too many tries in a short time (of a join code, a key, a sign-in); nothing was tried.
    ``wait_seconds`` is how long until the next try is allowed."""

    def __init__(self, message: str, *, wait_seconds: float) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds

    @classmethod
    def after(cls, wait_seconds: float) -> TooManyTries:
        """ "Too many tries: wait N seconds and try again.", N rounded up to a whole second."""
        seconds = max(1, math.ceil(wait_seconds))
        unit = "second" if seconds == 1 else "seconds"
        return cls(f"Too many tries: wait {seconds} {unit} and try again.", wait_seconds=wait_seconds)


class ConfigError(CpmkitError):
    """The setting ``setting`` (an environment variable) holds ``value``, which cpmkit cannot use."""

    def __init__(self, message: str, *, setting: str, value: str) -> None:
        super().__init__(message)
        self.setting = setting
        self.value = value

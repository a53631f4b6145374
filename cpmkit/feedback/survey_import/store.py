"""The survey import's memory: per project, the column mapping and answer recodings a project
manager last used for an export, so a later export of the same form (the same headings in the
same order) is mapped and recoded as before in one click.

What is remembered is opaque here: a JSON object the import panel writes and reads back
(``{"mapping": ..., "recodings": ...}``), at most ``MAX_MAPPING_BYTES``. It is keyed by the
project and a SHA-256 of the headings: they are untrusted text from a file, perhaps thousands
of them, so they are hashed, never stored. A remembered mapping belongs to its project only and
is deleted with it (ON DELETE CASCADE). Each kind of import (a survey export, a stakeholder
register) remembers apart: its digest is made from the headings and the kind, so a register
and a survey with the same headings never share a mapping. A stored value that no longer reads as a JSON object is
as good as none: ``recall`` returns None, and the next ``remember`` replaces it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import func, select

from cpmkit.db.database import NO_PROJECT, Store, upsert
from cpmkit.db.schema import import_mappings
from cpmkit.errors import ValidationError

__all__ = ["MAX_MAPPING_BYTES", "SURVEY", "ImportMappingStore", "RememberedMapping", "headings_digest", "kind_digest"]

#: The most a remembered mapping may take as stored (JSON, non-ASCII escaped): far more than a real form needs.
MAX_MAPPING_BYTES: Final = 1_000_000


@dataclass(frozen=True)
class RememberedMapping:
    """What was remembered for an export's headings (``data``, as given) and when (``saved_at``)."""

    data: dict[str, Any]
    saved_at: dt.datetime


def headings_digest(columns: Sequence[str]) -> str:
    """SHA-256 (64 hex digits) of the headings in file order. Each is length-prefixed, so no
    heading's text can make two different lists hash alike; lone surrogates (from a file's
    undecodable bytes) are hashed as they are."""
    found = hashlib.sha256()
    for column in columns:
        encoded = column.encode("utf-8", "surrogatepass")
        found.update(len(encoded).to_bytes(8, "big"))
        found.update(encoded)
    return found.hexdigest()


#: The kind of import whose digest is the headings' alone (remembered before kinds existed).
SURVEY: Final = "survey"


def kind_digest(columns: Sequence[str], kind: str) -> str:
    """The key of a kind of import's mapping for these headings: ``headings_digest`` for a survey
    (as stored before kinds existed), else a SHA-256 of the kind and that digest."""
    digest = headings_digest(columns)
    return digest if kind == SURVEY else hashlib.sha256(f"{kind}\n{digest}".encode()).hexdigest()


class ImportMappingStore:
    """The mappings remembered per project and export headings, on ``store``, for one ``kind`` of import."""

    def __init__(self, store: Store, kind: str = SURVEY) -> None:
        self.store = store
        self.kind = kind

    def remember(self, project_id: int, columns: Sequence[str], data: Mapping[str, Any]) -> None:
        """Remember ``data`` for the project's exports with these headings, replacing what was
        remembered for them; ValidationError if it is not a JSON object or is too large,
        NotFoundError if the project is gone."""
        values = {
            "project_id": project_id,
            "headings_digest": kind_digest(columns, self.kind),
            "data": _json_object(data),
            "saved_at": func.current_timestamp(),
        }
        keys = [import_mappings.c.project_id, import_mappings.c.headings_digest]
        with self.store.write(missing=NO_PROJECT) as conn:
            conn.execute(upsert(self.store.engine, import_mappings, values, keys=keys, update=["data", "saved_at"]))

    def recall(self, project_id: int, columns: Sequence[str]) -> RememberedMapping | None:
        """What was remembered for the project's exports with these headings; None if nothing
        was, or if what was stored no longer reads as a JSON object."""
        query = select(import_mappings.c.data, import_mappings.c.saved_at).where(
            import_mappings.c.project_id == project_id,
            import_mappings.c.headings_digest == kind_digest(columns, self.kind),
        )
        with self.store.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        stored, saved_at = row
        try:
            data = json.loads(stored)
        except (ValueError, RecursionError):
            return None
        return RememberedMapping(data, saved_at) if isinstance(data, dict) else None


def _json_object(data: Any) -> str:
    """``data`` as compact JSON text (ASCII); ValidationError if it is not a JSON object (a dict of
    text keys to JSON values, no NaN) or takes more than ``MAX_MAPPING_BYTES``."""
    if not isinstance(data, Mapping) or not all(isinstance(key, str) for key in data):
        raise ValidationError("The column mapping cannot be remembered: it is not a set of named values.")
    try:
        text = json.dumps(dict(data), allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValidationError(
            f"The column mapping cannot be remembered: it holds a value that is not data ({exc})."
        ) from exc
    size = len(text)  # bytes: json.dumps writes ASCII, escaping the rest
    if size > MAX_MAPPING_BYTES:
        raise ValidationError(
            f"The column mapping is too large to remember: {size:,} bytes, at most {MAX_MAPPING_BYTES:,}."
        )
    return text

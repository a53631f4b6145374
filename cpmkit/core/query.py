"""Reading the page's query string (Voila hands it to the kernel as ``QUERY_STRING``):
which project, workshop, join code or token a link carries."""

from __future__ import annotations

from urllib.parse import parse_qs

__all__ = ["query_number", "query_params"]


def query_params(query: str | None) -> dict[str, str]:
    """The first non-blank value of each parameter, trimmed."""
    parsed = parse_qs(query or "")
    return {key: values[0].strip() for key, values in parsed.items() if values and values[0].strip()}


def query_number(query: str | None, name: str) -> int | None:
    """Parameter ``name`` as a whole number (``project=3``), or None if missing or not one."""
    value = query_params(query).get(name, "")
    return int(value) if value.isascii() and value.isdigit() else None

"""Paths in the repository the tests and benchmarks run from (an installed cpmkit has no such folders)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The checked-in notebooks (``cpmkit build-notebooks --check`` keeps them those the templates make).
REPO_NOTEBOOKS = ROOT / "notebooks"

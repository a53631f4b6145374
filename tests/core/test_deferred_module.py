"""Unit tests of cpmkit.core.deferred_imports.deferred_module, and the saving it is for: a
participant's page imports neither pandas nor numpy (about 30 MB a kernel) until it builds a
frame. Each check runs in a fresh interpreter, where nothing has imported pandas yet."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

#: The entry modules of the pages a room's participants open (templates/notebooks.yaml).
PARTICIPANT_PAGES = [
    "cpmkit.soft_skills.ui.assessment",
    "cpmkit.feedback.pulse.ui.survey",
    "cpmkit.gap.ui.survey",
    "cpmkit.feedback.retro.ui",
]


def _run(code: str) -> Any:
    """Run ``code`` in a fresh interpreter; it prints one JSON value last."""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_module_is_imported_at_the_first_attribute_and_then_answers_as_itself() -> None:
    out = _run(
        """
        import json, sys
        from cpmkit.core.deferred_imports import deferred_module
        stand_in = deferred_module("fractions")
        before = "fractions" in sys.modules
        half = stand_in.Fraction(1, 2)
        import fractions
        print(json.dumps({
            "before": before,
            "after": "fractions" in sys.modules,
            "same": stand_in.Fraction is fractions.Fraction and isinstance(half, fractions.Fraction),
            "kept": "Fraction" in vars(stand_in),
            "in_sys_modules": sys.modules["fractions"] is fractions and sys.modules["fractions"] is not stand_in,
        }))
        """
    )
    assert out == {"before": False, "after": True, "same": True, "kept": True, "in_sys_modules": True}


def test_a_missing_attribute_is_an_attribute_error() -> None:
    out = _run(
        """
        import json
        from cpmkit.core.deferred_imports import deferred_module
        try:
            deferred_module("fractions").no_such_thing
        except AttributeError as error:
            print(json.dumps(str(error)))
        """
    )
    assert "no_such_thing" in out


def test_participant_pages_import_neither_pandas_nor_numpy() -> None:
    """Arriving at a workshop, a pulse survey and a retrospective board are built without a frame
    (cpmkit.soft_skills.ui.assessment's tests check the first step too); pandas comes with the first."""
    out = _run(
        f"""
        import importlib, json, sys
        for page in {PARTICIPANT_PAGES!r}:
            importlib.import_module(page)
        before = sorted(name for name in ("pandas", "numpy") if name in sys.modules)
        from cpmkit.soft_skills.scoring import competency_scores
        from cpmkit.soft_skills.bank import default_bank
        competency_scores(default_bank(), {{}})
        print(json.dumps({{"before": before, "after": "pandas" in sys.modules}}))
        """
    )
    assert out == {"before": [], "after": True}

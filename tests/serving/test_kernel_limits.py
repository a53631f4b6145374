"""Unit tests of cpmkit.serving.kernel_limits. A limit lasts for the rest of its process, so every
test that sets one runs in a fresh interpreter (sys.executable -c ...)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from cpmkit.errors import ConfigError
from cpmkit.serving.kernel_limits import MEMORY_ENV, MINIMUM_MB, memory_limit_bytes

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, **env: str) -> Any:
    """Run ``code`` in a fresh interpreter with ``env`` added; it prints one JSON value last."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("", None), ("  ", None), ("1024", 1024 * 2**20), (" 512 ", 512 * 2**20)]
)
def test_the_setting_in_megabytes(value: str | None, expected: int | None) -> None:
    environ = {} if value is None else {MEMORY_ENV: value}
    assert memory_limit_bytes(environ) == expected


@pytest.mark.parametrize("value", ["lots", "1.5", "-1", "1e3", "512MB"])
def test_a_setting_that_is_not_a_number_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match=f"{MEMORY_ENV} must be a whole number of megabytes") as raised:
        memory_limit_bytes({MEMORY_ENV: value})
    assert (raised.value.setting, raised.value.value) == (MEMORY_ENV, value.strip())


def test_a_limit_too_small_for_a_kernel_is_refused() -> None:
    with pytest.raises(ConfigError, match=f"at least {MINIMUM_MB}"):
        memory_limit_bytes({MEMORY_ENV: str(MINIMUM_MB - 1)})


def test_no_setting_sets_no_limit() -> None:
    out = _run(
        """
        import json, resource
        from cpmkit.serving.kernel_limits import limit_kernel_memory
        print(json.dumps([limit_kernel_memory({}), resource.getrlimit(resource.RLIMIT_DATA)[0] == resource.RLIM_INFINITY]))
        """
    )
    assert out == [None, True]


def test_the_limit_holds_and_cannot_be_lifted() -> None:
    out = _run(
        """
        import json, resource
        from cpmkit.serving.kernel_limits import limit_kernel_memory
        applied = limit_kernel_memory()
        try:
            resource.setrlimit(resource.RLIMIT_DATA, (2 * applied, 2 * applied))
            lifted = True
        except ValueError:
            lifted = False
        try:
            blob = bytearray(600 * 2**20)
            refused = False
        except MemoryError:
            refused = True
        small = bytearray(20 * 2**20)  # still fine after the refusal
        print(json.dumps([applied, resource.getrlimit(resource.RLIMIT_DATA)[0], lifted, refused, len(small)]))
        """,
        **{MEMORY_ENV: "400"},
    )
    assert out == [400 * 2**20, 400 * 2**20, False, True, 20 * 2**20]


def test_an_action_out_of_memory_says_so_and_what_was_saved_stays(tmp_path: Path) -> None:
    # A participant's answers are saved; an action then needs more than the limit: the guard
    # shows the plain message, no traceback, and the saved answers are all still there.
    out = _run(
        """
        import json, numpy
        from cpmkit.soft_skills.store import AssessmentStore
        from cpmkit.serving.kernel_limits import limit_kernel_memory
        from cpmkit.db.database import Store
        from cpmkit.ui.widgets import OUT_OF_MEMORY, guard, message_area

        store = Store.open()
        assessments = AssessmentStore(store)
        person = assessments.start_self_assessment("Ana")
        assessments.save_answer(person["id"], "pc1", 4)
        assessments.save_answer(person["id"], "pc2", 2)
        limit_kernel_memory()
        area = message_area()
        with guard(area):
            assessments.save_answer(person["id"], "pc3", 5)
            numpy.ones(10**9)  # 8 GB
        shown = area.value
        with guard(area):
            assessments.save_answer(person["id"], "pc4", 3)  # the page still works
        print(json.dumps([shown == f'<div class="cpmkit-message-error">{OUT_OF_MEMORY}</div>', area.value,
                          assessments.answers(person["id"])]))
        """,
        **{MEMORY_ENV: "512", "CPMKIT_DB_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"},
    )
    assert out == [True, "", {"pc1": 4, "pc2": 2, "pc3": 5, "pc4": 3}]

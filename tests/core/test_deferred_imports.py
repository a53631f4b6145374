"""Unit tests of cpmkit.core.deferred_imports, each in a fresh interpreter (sys.executable -c ...) so the
test process's own modules are never swapped for stand-ins."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

#: Installed: already imported (the real module, or cpmkit's stand-in, put in place only when it
#: is installed, by whichever test imported cpmkit.ui first; find_spec refuses a stand-in), or findable.
INSTALLED = "rfc3987_syntax" in sys.modules or importlib.util.find_spec("rfc3987_syntax") is not None

pytestmark = pytest.mark.skipif(not INSTALLED, reason="rfc3987_syntax is not installed, so nothing is deferred")

#: IRIs whose validity the real rfc3987_syntax decides (checked below against the real module).
VALID_IRIS = ["http://example.com/path?q=1#frag", "http://例え.jp/ü", "urn:isbn:0451450523"]
INVALID_IRIS = ["not an iri", "http://exa mple.com/", "%%%", "/relative/only"]


def _run(*parts: str) -> Any:
    """Run the code ``parts`` (each dedented) in a fresh interpreter; it must print one JSON
    value as its last line."""
    code = "\n".join(textwrap.dedent(part) for part in parts)
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


CHECK_IRIS = f"""
checker = jsonschema.FormatChecker()
answers = {{iri: checker.conforms(iri, "iri") for iri in {VALID_IRIS + INVALID_IRIS!r}}}
"""


def test_deferred_import_skips_lark_and_still_checks_iris() -> None:
    out = _run(
        """
        import json, sys
        from cpmkit.core.deferred_imports import defer_rfc3987_syntax
        defer_rfc3987_syntax()
        stand_in = sys.modules["rfc3987_syntax"]
        import jsonschema
        after_import = {
            "lark": "lark" in sys.modules,
            "stand_in_kept": sys.modules["rfc3987_syntax"] is stand_in,
            "has_file": hasattr(stand_in, "__file__"),
        }
        """,
        CHECK_IRIS,
        """
        again = jsonschema.FormatChecker().conforms("http://example.com/", "iri")
        real = sys.modules["rfc3987_syntax"]
        print(json.dumps({
            "after_import": after_import,
            "answers": answers,
            "again": again,
            "lark_after_check": "lark" in sys.modules,
            "real_loaded": real is not stand_in and hasattr(real, "__file__"),
        }))
        """,
    )
    assert out["after_import"] == {"lark": False, "stand_in_kept": True, "has_file": False}
    assert out["answers"] == {**{iri: True for iri in VALID_IRIS}, **{iri: False for iri in INVALID_IRIS}}
    assert out["again"] is True
    assert out["lark_after_check"] is True
    assert out["real_loaded"] is True


def test_without_deferral_jsonschema_loads_lark_and_gives_the_same_answers() -> None:
    """The control: the saving is real, and the deferred answers above match the real module's."""
    out = _run(
        """
        import json, sys
        import jsonschema
        lark = "lark" in sys.modules
        """,
        CHECK_IRIS,
        """
        print(json.dumps({"lark": lark, "answers": answers}))
        """,
    )
    assert out["lark"] is True
    assert out["answers"] == {**{iri: True for iri in VALID_IRIS}, **{iri: False for iri in INVALID_IRIS}}


def test_already_imported_module_is_left_alone() -> None:
    out = _run(
        """
        import json, sys
        import rfc3987_syntax
        real = sys.modules["rfc3987_syntax"]
        from cpmkit.core.deferred_imports import defer_rfc3987_syntax
        defer_rfc3987_syntax()
        import jsonschema
        print(json.dumps({
            "same": sys.modules["rfc3987_syntax"] is real,
            "stand_in_function": rfc3987_syntax.is_valid_syntax.__module__ == "cpmkit.core.deferred_imports",
            "iri": jsonschema.FormatChecker().conforms("http://example.com/", "iri"),
        }))
        """
    )
    assert out["same"] is True
    assert out["stand_in_function"] is False
    assert out["iri"] is True


def test_deferring_twice_keeps_one_stand_in() -> None:
    out = _run(
        """
        import json, sys
        from cpmkit.core.deferred_imports import defer_rfc3987_syntax
        defer_rfc3987_syntax()
        first = sys.modules["rfc3987_syntax"]
        defer_rfc3987_syntax()
        print(json.dumps({"same": sys.modules["rfc3987_syntax"] is first, "valid": first.is_valid_syntax("iri", "http://a/")}))
        """
    )
    assert out == {"same": True, "valid": True}


def test_nothing_to_defer_when_the_module_is_not_installed() -> None:
    out = _run(
        """
        import importlib.util, json, sys
        real_find_spec = importlib.util.find_spec
        importlib.util.find_spec = lambda name, *a: None if name == "rfc3987_syntax" else real_find_spec(name, *a)
        from cpmkit.core.deferred_imports import defer_rfc3987_syntax
        defer_rfc3987_syntax()
        print(json.dumps({"installed": "rfc3987_syntax" in sys.modules}))
        """
    )
    assert out == {"installed": False}

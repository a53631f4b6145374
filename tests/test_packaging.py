"""The two dependency lists (pyproject for pip, environment.yml for conda) stay in step,
and the package exports what it means to."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

import cpmkit

ROOT = Path(__file__).resolve().parents[1]


def _normalise(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(3).replace(" ", "")


def test_environment_yml_lists_the_same_runtime_dependencies_as_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pip_deps = dict(_normalise(r) for r in pyproject["project"]["dependencies"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_deps = dict(
        _normalise(d) for d in env["dependencies"] if isinstance(d, str) and not d.startswith(("python", "pip"))
    )
    # Those conda-forge does not package come from PyPI, in the pip section (beside cpmkit itself).
    from_pypi = [d for entry in env["dependencies"] if isinstance(entry, dict) for d in entry.get("pip", [])]
    conda_deps.update(_normalise(d) for d in from_pypi if not d.startswith("-e"))
    assert conda_deps == pip_deps


def test_public_api_is_what_was_meant() -> None:
    assert sorted(cpmkit.__all__) == sorted(
        [
            "ConfigError",
            "CpmkitError",
            "NotFoundError",
            "Store",
            "StoreError",
            "TemplateError",
            "TooManyTries",
            "ValidationError",
            "__version__",
        ]
    )
    for name in cpmkit.__all__:
        assert hasattr(cpmkit, name)


def test_version_matches_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert cpmkit.__version__ == pyproject["project"]["version"]

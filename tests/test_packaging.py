"""What a release carries: the wheel holds the package with its default content, the sdist
what the wheel is built from; the dependency lists (the wheel's metadata for pip,
environment.yml for conda) stay in step; one version; the package exports what it means to."""

from __future__ import annotations

import email.parser
import importlib.metadata
import re
import subprocess
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

import cpmkit
from cpmkit import cli
from tests._repository import ROOT


def _normalise(requirement: str) -> tuple[str, SpecifierSet]:
    """A requirement (pip's or conda's ``name>=x``) as its canonical name and version range."""
    parsed = Requirement(requirement)
    return canonicalize_name(parsed.name), parsed.specifier


def _wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(archive.read(name).decode())


def test_environment_yml_lists_the_same_runtime_dependencies_as_the_wheel(built_dists: tuple[Path, Path]) -> None:
    """conda is not on the CI machine, so environment.yml is checked against what pip installs
    with the wheel: its metadata's requirements (extras such as ``test`` left out)."""
    required = _wheel_metadata(built_dists[1]).get_all("Requires-Dist") or []
    pip_deps = dict(_normalise(r) for r in required if "extra ==" not in r)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pip_deps == dict(_normalise(r) for r in pyproject["project"]["dependencies"])
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
            "Project",
            "Store",
            "StoreError",
            "TemplateError",
            "TooManyTries",
            "ValidationError",
            "__version__",
            "open_project",
        ]
    )
    for name in cpmkit.__all__:
        assert hasattr(cpmkit, name)


def test_the_version_is_set_in_one_place_and_everything_reports_it(
    built_dists: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """``cpmkit/__init__.py`` holds it; pyproject takes it from there (hatch's version source)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "cpmkit/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", cpmkit.__version__)
    assert importlib.metadata.version("cpmkit") == cpmkit.__version__  # the installed (editable) metadata
    assert _wheel_metadata(built_dists[1])["Version"] == cpmkit.__version__
    assert built_dists[1].name == f"cpmkit-{cpmkit.__version__}-py3-none-any.whl"
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"cpmkit {cpmkit.__version__}\n"


def _tracked(folder: str) -> list[str]:
    """The files git tracks under ``folder`` of the repository."""
    listed = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.split()


def test_the_wheel_carries_the_package_and_the_default_content(built_dists: tuple[Path, Path]) -> None:
    """Every file of the package (scripts, styles, the page template, migrations) and every
    default content file, byte for byte, under ``cpmkit/templates``; nothing else of the repository."""
    with zipfile.ZipFile(built_dists[1]) as archive:
        names = set(archive.namelist())
        for path in _tracked("templates"):
            assert archive.read(f"cpmkit/{path}") == (ROOT / path).read_bytes(), path
        missing = [path for path in _tracked("cpmkit") if path not in names]
    assert missing == []
    outside = {name.split("/")[0] for name in names} - {"cpmkit", f"cpmkit-{cpmkit.__version__}.dist-info"}
    assert outside == set()  # no tests, notebooks or benchmarks installed beside the package
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def test_the_sdist_carries_the_templates_and_the_notebooks(built_dists: tuple[Path, Path]) -> None:
    with tarfile.open(built_dists[0]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for path in _tracked("templates") + _tracked("notebooks") + _tracked("cpmkit"):
        assert path in names, path
    assert {"pyproject.toml", "README.md", "environment.yml"} <= names

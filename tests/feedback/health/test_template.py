"""Unit tests of cpmkit.feedback.health.template: the real health check, and malformed copies
whose TemplateError must name the file, the check (or dimension) and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cpmkit.errors import TemplateError
from cpmkit.feedback.health.template import HEALTH_CHECK_FILE, HealthChecks, health_checks, load_health_checks

REAL_TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


@pytest.fixture(scope="module")
def checks() -> HealthChecks:
    return load_health_checks(REAL_TEMPLATES / HEALTH_CHECK_FILE)


def _valid() -> dict[str, Any]:
    """A small valid file, as data, for the broken copies to start from."""
    return {
        "checks": [
            {
                "id": "mini",
                "name": "Mini check",
                "intro": "Two cards.",
                "dimensions": [
                    {"id": "pace", "name": "Pace", "green": "Fast.", "red": "Slow."},
                    {"id": "fun", "name": "Fun", "green": "Fun.", "red": "A chore."},
                ],
            }
        ]
    }


def _error(tmp_path: Path, data: Any) -> TemplateError:
    path = tmp_path / "health.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data, encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        load_health_checks(path)
    assert info.value.file == "health.yaml"
    return info.value


def test_real_file_has_the_project_teams_dimensions(checks: HealthChecks) -> None:
    team = checks.checks["project_team"]
    assert team.dimension_ids == (
        "customer_value",
        "client_communication",
        "pace",
        "quality",
        "fun",
        "learning",
        "support",
        "teamwork",
    )
    assert team.names["client_communication"] == "Communication with the client"
    assert all(d.green.endswith(".") and d.red.endswith(".") and d.green != d.red for d in team.dimensions)


def test_the_default_loader_reads_the_real_file() -> None:
    assert health_checks(REAL_TEMPLATES) == load_health_checks(REAL_TEMPLATES / HEALTH_CHECK_FILE)


def test_a_custom_folder_without_the_file_gets_the_packaged_checks(tmp_path: Path) -> None:
    (tmp_path / "retro_formats.yaml").write_text("formats: []\n", encoding="utf-8")  # set up before health checks
    assert health_checks(tmp_path) == load_health_checks(REAL_TEMPLATES / HEALTH_CHECK_FILE)


def test_a_valid_copy_loads(tmp_path: Path) -> None:
    path = tmp_path / "health.yaml"
    path.write_text(yaml.safe_dump(_valid()), encoding="utf-8")
    mini = load_health_checks(path).checks["mini"]
    assert (mini.name, mini.intro, mini.dimension_ids) == ("Mini check", "Two cards.", ("pace", "fun"))
    assert mini.dimensions[1].red == "A chore."


@pytest.mark.parametrize(
    ("change", "item", "field"),
    [
        (lambda d: d.pop("checks"), None, "checks"),
        (lambda d: d.update(extra=1), None, "extra"),
        (lambda d: d["checks"][0].pop("name"), "mini", "name"),
        (lambda d: d["checks"][0].update(id="Mini Check"), "Mini Check", "id"),
        (lambda d: d["checks"][0].update(dimensions=[d["checks"][0]["dimensions"][0]]), "mini", "dimensions"),
        (lambda d: d["checks"][0]["dimensions"][1].pop("red"), "mini, dimension fun", "red"),
        (lambda d: d["checks"][0]["dimensions"][1].update(green="  "), "mini, dimension fun", "green"),
        (lambda d: d["checks"][0]["dimensions"][1].update(amber="So so."), "mini, dimension fun", "amber"),
        (lambda d: d["checks"][0]["dimensions"][1].update(id="pace"), "mini, dimension pace", "id"),
        (lambda d: d["checks"].append(dict(d["checks"][0])), "mini", "id"),
    ],
)
def test_a_bad_entry_is_named(tmp_path: Path, change: Any, item: str | None, field: str) -> None:
    data = _valid()
    change(data)
    error = _error(tmp_path, data)
    assert (error.item, error.field) == (item, field)


def test_a_dimension_that_is_no_mapping_is_named_by_its_number(tmp_path: Path) -> None:
    data = _valid()
    data["checks"][0]["dimensions"][1] = "Fun"
    error = _error(tmp_path, data)
    assert error.item == "mini, dimension 2" and "mapping" in str(error)


def test_not_yaml_is_refused(tmp_path: Path) -> None:
    assert "not valid YAML" in str(_error(tmp_path, "checks: [unclosed"))

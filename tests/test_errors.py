"""Unit tests of cpmkit.errors: the hierarchy and the message formats the UI shows verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest

import cpmkit
from cpmkit.errors import (
    ConfigError,
    CpmkitError,
    NotFoundError,
    StoreError,
    TemplateError,
    TooManyTries,
    ValidationError,
    gone,
)


@pytest.mark.parametrize("cls", [ValidationError, TemplateError, NotFoundError, StoreError, TooManyTries, ConfigError])
def test_every_error_is_a_cpmkit_error(cls: type[Exception]) -> None:
    assert issubclass(cls, CpmkitError)
    assert issubclass(cls, Exception)


def test_builtin_bases() -> None:
    assert issubclass(ValidationError, ValueError)
    assert issubclass(NotFoundError, LookupError)
    assert not issubclass(TemplateError, ValueError)
    assert not issubclass(StoreError, (ValueError, LookupError))


def test_validation_error_is_catchable_as_value_error() -> None:
    with pytest.raises(ValueError, match="bad"):
        raise ValidationError("bad", field="power", value=9)


def test_validation_error_context() -> None:
    error = ValidationError("Power: too high.", field="power", value=9)
    assert str(error) == "Power: too high."
    assert (error.field, error.value) == ("power", 9)
    plain = ValidationError("No field.")
    assert (plain.field, plain.value) == (None, None)


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("name", "Name"),
        ("next_touchpoint", "Next touchpoint"),
        ("current_engagement", "Current engagement"),
        ("measured_on", "Measured on"),
    ],
)
def test_for_field_starts_with_the_label(field: str, label: str) -> None:
    error = ValidationError.for_field(field, "x", "is wrong.")
    assert isinstance(error, ValidationError)
    assert str(error) == f"{label}: is wrong."
    assert (error.field, error.value) == (field, "x")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"file": "notebooks.yaml"}, "notebooks.yaml: broken."),
        ({"file": "notebooks.yaml", "item": "index.ipynb"}, "notebooks.yaml, item 'index.ipynb': broken."),
        (
            {"file": "notebooks.yaml", "item": "index.ipynb", "field": "title"},
            "notebooks.yaml, item 'index.ipynb', field 'title': broken.",
        ),
        ({"file": "notebooks.yaml", "field": "title"}, "notebooks.yaml, field 'title': broken."),
    ],
)
def test_template_error_names_file_item_and_field(kwargs: dict[str, str], message: str) -> None:
    error = TemplateError("broken.", **kwargs)
    assert str(error) == message
    assert error.file == kwargs["file"]
    assert error.item == kwargs.get("item")
    assert error.field == kwargs.get("field")


def test_template_error_needs_a_file() -> None:
    with pytest.raises(TypeError):
        TemplateError("broken.")  # type: ignore[call-arg]


def test_not_found_and_store_errors_keep_their_message() -> None:
    assert str(NotFoundError("gone")) == "gone"
    assert str(StoreError("locked")) == "locked"
    with pytest.raises(LookupError):
        raise NotFoundError("gone")


@pytest.mark.parametrize(
    ("wait", "message"),
    [
        (12.0, "Too many tries: wait 12 seconds and try again."),
        (11.2, "Too many tries: wait 12 seconds and try again."),  # rounded up: never too early
        (1.0, "Too many tries: wait 1 second and try again."),
        (0.01, "Too many tries: wait 1 second and try again."),
    ],
)
def test_too_many_tries_says_how_long_to_wait(wait: float, message: str) -> None:
    error = TooManyTries.after(wait)
    assert str(error) == message
    assert error.wait_seconds == wait
    assert not isinstance(error, ValueError)  # not a bad value: the same value may be right later


def test_config_error_names_the_setting_and_its_value() -> None:
    error = ConfigError("CPMKIT_X must be a number.", setting="CPMKIT_X", value="lots")
    assert str(error) == "CPMKIT_X must be a number."
    assert (error.setting, error.value) == ("CPMKIT_X", "lots")
    assert not issubclass(ConfigError, ValueError)


def test_a_record_deleted_meanwhile_is_gone_in_one_sentence() -> None:
    assert gone("project") == "This project no longer exists; it may have been deleted in another window."
    assert str(NotFoundError(gone("card"))) == "This card no longer exists; it may have been deleted in another window."


def test_only_gone_says_no_longer_exists() -> None:
    """Every store words a deleted record through ``gone``, so the same mistake reads the same."""
    package = Path(cpmkit.__file__).parent
    written = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "errors.py" and "no longer exists" in path.read_text(encoding="utf-8")
    ]
    assert written == []

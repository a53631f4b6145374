"""Query-string parameters: first non-blank value, whole numbers only where a number is meant."""

import pytest

from cpmkit.core.query import query_number, query_params


def test_query_params_keep_the_first_non_blank_value() -> None:
    assert query_params("code=AB12&name=+Ana+&empty=&code=ZZ") == {"code": "AB12", "name": "Ana"}
    assert query_params(None) == {} and query_params("") == {}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("project=3", 3),
        ("a=1&project=12", 12),
        ("project=+7+", 7),
        ("project=x", None),
        ("project=-1", None),
        ("project=%C2%B2", None),
        ("", None),
        (None, None),
    ],
)
def test_query_number(query: str | None, expected: int | None) -> None:
    assert query_number(query, "project") == expected

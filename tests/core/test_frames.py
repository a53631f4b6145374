"""The shared column check names every missing column."""

import pandas as pd
import pytest

from cpmkit.core.frames import require_columns
from cpmkit.errors import ValidationError


def test_missing_columns_are_named_in_order() -> None:
    frame = pd.DataFrame({"a": [1]})
    require_columns(frame, ["a"], "thing")
    with pytest.raises(ValidationError, match=r"^The thing needs the column\(s\) b, c\.$"):
        require_columns(frame, ["a", "b", "c"], "thing")

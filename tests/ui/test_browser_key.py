"""BrowserKey: the key a form keeps in the browser, checked before the kernel trusts it."""

from __future__ import annotations

import pytest

from cpmkit.ui.browser_key import KEY_PATTERN, BrowserKey


def test_no_key_until_the_browser_sends_one() -> None:
    widget = BrowserKey("cpmkit-pulse-abc")
    assert widget.name == "cpmkit-pulse-abc" and widget.key == "" and widget.valid_key is None
    assert "cpmkit-browser-key" in widget._dom_classes
    assert "localStorage" in widget._esm


@pytest.mark.parametrize("key", ["", "<script>", "0123456789ABCDEF0123456789ABCDEF", "0" * 31, "0" * 33, "g" * 32])
def test_a_key_the_browser_could_not_have_made_is_not_valid(key: str) -> None:
    assert BrowserKey("x", key=key).valid_key is None


def test_renew_gives_a_new_valid_key() -> None:
    widget = BrowserKey("x", key="0" * 32)
    assert widget.valid_key == "0" * 32
    renewed = widget.renew()
    assert renewed != "0" * 32 and widget.key == renewed and KEY_PATTERN.fullmatch(renewed)

"""The one builder of page links, and the base URL the gate works out from a request."""

from __future__ import annotations

import pytest

from cpmkit.core.addresses import page_link, request_base_url, valid_public_url


def test_a_page_link_is_absolute_under_the_base_with_its_parameters_quoted() -> None:
    link = page_link("http://192.168.1.20:8866", "soft_skills", {"code": "A&B C", "round": None})
    assert link == "http://192.168.1.20:8866/voila/render/02_soft_skills.ipynb?code=A%26B%20C"
    assert page_link("https://pm.example.org/", "index", {}) == "https://pm.example.org/voila/render/index.ipynb"
    assert page_link("", "retro_board", {"board": "t"}) == "/voila/render/04_retro_board.ipynb?board=t"


def test_the_base_url_is_the_public_url_or_the_requests_own_address() -> None:
    assert request_base_url("https://pm.example.org/", "http", "127.0.0.1:8866") == "https://pm.example.org"
    assert request_base_url(None, "http", "192.168.1.20:8866") == "http://192.168.1.20:8866"
    assert request_base_url("", "https", "[fe80::1]:8443") == "https://[fe80::1]:8443"


@pytest.mark.parametrize(
    ("scheme", "host"),
    [("http", 'evil.org"><script>'), ("http", "a b"), ("javascript", "x"), ("http", ""), ("http", "x/y")],
)
def test_a_host_header_that_is_not_a_plain_host_gives_root_relative_links(scheme: str, host: str) -> None:
    assert request_base_url(None, scheme, host) == ""


def test_a_public_url_is_an_http_address_without_query() -> None:
    assert valid_public_url("https://pm.example.org") and valid_public_url("http://10.0.0.5:8866/")
    assert not any(map(valid_public_url, ["pm.example.org", "ftp://x", "https://x/?a=1", "https://"]))

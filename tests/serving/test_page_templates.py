"""Unit tests of cpmkit.serving.page_templates: Voila's page templates compiled once per server."""

from __future__ import annotations

import jinja2
import pytest
from voila.exporter import VoilaExporter
from voila.paths import collect_template_paths

from cpmkit.cli import SHARE_JUPYTER
from cpmkit.serving.page_templates import CompiledTemplates, install_compiled_templates


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles from here on."""
    compiled: list[str] = []
    compile_source = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, name: str | None = None, *args: object, **kw: object) -> object:
        compiled.append(str(name))
        return compile_source(self, source, name, *args, **kw)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return compiled


def test_a_second_page_compiles_none_of_the_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_PATH", str(SHARE_JUPYTER))  # where serve finds the "cpmkit" template
    install_compiled_templates()
    paths = collect_template_paths(["voila", "nbconvert"], "cpmkit")
    compiled = _compiles(monkeypatch)
    VoilaExporter(template_paths=paths, template_name="cpmkit").environment.get_template("index.html.j2")
    first = len(compiled)
    VoilaExporter(template_paths=paths, template_name="cpmkit").environment.get_template("index.html.j2")
    assert first > 0 and len(compiled) == first  # Voila makes a new exporter (and environment) per page


def test_installing_twice_keeps_one_cache() -> None:
    assert install_compiled_templates() is install_compiled_templates(CompiledTemplates())


def test_an_edited_template_is_compiled_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = CompiledTemplates()
    compiled = _compiles(monkeypatch)

    def render(source: str) -> str:
        environment = jinja2.Environment(loader=jinja2.DictLoader({"page": source}), bytecode_cache=cache)
        return environment.get_template("page").render(name="Ada")

    assert render("Hello {{ name }}") == "Hello Ada"
    assert render("Hello {{ name }}") == "Hello Ada"
    assert render("Goodbye {{ name }}") == "Goodbye Ada"
    assert compiled == ["page", "page"]

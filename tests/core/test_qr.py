"""QR codes for links: offline SVG, safe to embed, the same for the same link."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cpmkit.core.qr import qr_svg

LINK = "http://192.168.1.20:8866/voila/render/02_soft_skills.ipynb?code=<ABC>&x='\""


def test_a_qr_code_is_valid_svg_with_nothing_but_its_modules() -> None:
    svg = qr_svg(LINK)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")
    tags = {element.tag.split("}")[1] for element in root.iter()}
    assert tags == {"svg", "path"}  # no script, no text, no link
    assert "script" not in svg.lower() and "<ABC>" not in svg and "http://192" not in svg
    assert not any(name.lower().startswith("on") for element in root.iter() for name in element.attrib)


def test_the_same_link_gives_the_same_code_and_another_link_another() -> None:
    assert qr_svg(LINK) == qr_svg(LINK) != qr_svg(LINK + "1")


def test_the_code_decodes_back_to_the_link() -> None:
    """segno's own matrix of the same link is what the SVG draws (segno has no decoder)."""
    import segno

    code = segno.make(LINK, error="m", micro=False)
    assert code.designator.endswith("M") and f"0 0 {code.symbol_size()[0]}" in qr_svg(LINK)

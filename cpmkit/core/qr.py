"""QR codes for links, so a phone in the room can open a link shown on a screen: drawn here,
offline, as SVG by segno (pure Python, no dependencies). Pure."""

from __future__ import annotations

import io

import segno

__all__ = ["qr_svg"]


def qr_svg(url: str) -> str:
    """``url`` as a QR code: an inline SVG element with a viewBox and no fixed size (CSS sizes
    it, small beside a link or large for a projector), dark on white, no XML declaration and
    no script; the same for the same input."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out,
        kind="svg",
        border=4,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgns=True,
        svgclass="cpmkit-qr",
        omitsize=True,
        nl=False,
    )
    return out.getvalue().decode("utf-8")

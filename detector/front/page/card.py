"""The model card for the Model tab: its Markdown cut at each image, images checked.

The card is written by ``jobscam evaluate`` in English (the page says so in Indonesian); an
image is shown only when it is a PNG file in the model folder itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def card_parts(folder: Path, body: str) -> Iterator[tuple[str, str, str]]:
    """``("markdown", text, "")`` and ``("image", path, caption)`` in reading order; PNGs of
    the folder the card does not name come last."""
    shown: set[Path] = set()
    pos = 0
    for m in _IMAGE.finditer(body):
        yield "markdown", body[pos : m.start()], ""
        img = (folder / m.group(2)).resolve()
        if img.parent == folder.resolve() and img.suffix.lower() == ".png" and img.is_file():
            shown.add(img)
            yield "image", str(img), m.group(1) or img.name
        pos = m.end()
    yield "markdown", body[pos:], ""
    for img in sorted(folder.glob("*.png")):
        if img.resolve() not in shown:
            yield "image", str(img), img.name

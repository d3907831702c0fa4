"""Which Chinese characters the fonts the app serves must hold.

The pages carry their own Chinese font (``static/fonts/``, declared as Streamlit
theme font faces in ``.streamlit/config.toml``), so a kiosk browser on a machine
without CJK fonts still shows Chinese instead of boxes.  The fonts are cut to what
the product shows (``scripts/subset_cjk_font.py``); this module says what that is,
for the script and for ``tests/test_fonts.py``, which fails when a new label uses a
character the served fonts lack.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONT_DIR = ROOT / "static" / "fonts"
SC_FACE = 2
"""Index of "Noto Sans CJK SC" in Noto's ``.ttc`` collections (Simplified Chinese forms)."""

SOURCE_DIRS = ("alerts", "dashboard", "datasources", "gmd", "pages", "worker")


def is_cjk(ch: str) -> bool:
    """CJK punctuation, ideographs and full-width forms (what Latin fonts lack)."""
    code = ord(ch)
    return 0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFE30 <= code <= 0xFFEF


def cjk_in(texts: Iterable[str]) -> set[str]:
    return {ch for text in texts for ch in text if is_cjk(ch)}


def served_characters(root: Path = ROOT) -> set[str]:
    """What both served fonts hold: the product's characters and the common ones (so a
    new label rarely needs the fonts cut again; ``tests/test_wall_units.py`` says when)."""
    return {ch for ch in product_characters(root) | common_characters() if is_cjk(ch)}


def product_characters(root: Path = ROOT) -> set[str]:
    """Every CJK character in the product's sources: labels and simulated customer text."""
    files = [root / "app.py"]
    for folder in SOURCE_DIRS:
        files += [p for p in (root / folder).rglob("*") if p.suffix in (".py", ".yaml")]
    return cjk_in(p.read_text(encoding="utf-8") for p in files)


def common_characters() -> set[str]:
    """GB 2312's symbols and punctuation (rows 1-9) and level 1, the 3,755 most common
    characters of modern Chinese."""
    found = set()
    for high in (*range(0xA1, 0xAA), *range(0xB0, 0xD8)):
        for low in range(0xA1, 0xFF):
            try:
                found.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return found

"""Cut the Chinese web fonts the app serves (static/fonts/) out of Noto Sans CJK SC.

A kiosk browser may have no Chinese font at all; the app therefore serves its own,
cut down to what it shows so the repository stays small:

every CJK character in the product's sources (labels, catalog, rules, the
simulator's customer texts) plus GB 2312's punctuation and its level 1, the 3,755
common characters of modern Chinese (customer text from real feeds), in regular
(400) and bold (700).

Source: Debian's ``fonts-noto-cjk`` (``NotoSansCJK-{Regular,Bold}.ttc``, face "Noto
Sans CJK SC"), SIL Open Font License 1.1 (``static/fonts/OFL.txt``).  Run it again
after adding labels with new characters (``tests/test_fonts.py`` says when)::

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb /tmp/noto
    .venv/bin/python scripts/subset_cjk_font.py /tmp/noto/usr/share/fonts/opentype/noto
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.fonts import FONT_DIR, SC_FACE, served_characters  # noqa: E402


def subset(source: Path, characters: Iterable[str], out: Path) -> int:
    from fontTools import subset as ft_subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(source), fontNumber=SC_FACE)
    options = ft_subset.Options()
    options.flavor = "woff2"
    options.hinting = False
    options.name_languages = ["*"]
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(characters))))
    subsetter.subset(font)
    font.flavor = "woff2"
    font.save(str(out))
    return out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("noto_dir", type=Path, help="folder holding NotoSansCJK-*.ttc")
    args = parser.parse_args()
    chars = served_characters()
    for weight in ("Regular", "Bold"):
        out = FONT_DIR / f"gmd-sans-sc-{weight.lower()}.woff2"
        size = subset(args.noto_dir / f"NotoSansCJK-{weight}.ttc", chars, out)
        print(f"{out.relative_to(ROOT)}: {len(chars)} characters, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()

"""Fail when a translatable text is missing from locale/movilidad.pot or untranslated.

Extracts the messages from the sources again (Babel) and compares with the committed
template and each language's catalogue. Exit 1 with the list of problems.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("es", "en", "fr", "ht", "pt")


def _ids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {str(m.id) for m in read_po(handle) if m.id}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.pot"
        subprocess.run(
            [str(Path(sys.executable).with_name("pybabel")), "extract", "-F",
             "babel.cfg", "-k", "_", "-k", "gettext", "--no-location", "-o", str(fresh), "."],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        extracted = _ids(fresh)
    problems: list[str] = []
    committed = _ids(ROOT / "locale" / "movilidad.pot")
    for missing in sorted(extracted - committed):
        problems.append(f"locale/movilidad.pot lacks {missing!r} (run: make messages)")
    for language in LANGUAGES:
        po = ROOT / "locale" / language / "LC_MESSAGES" / "movilidad.po"
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        done = {str(m.id) for m in catalog if m.id and m.string and not m.fuzzy}
        for missing in sorted(extracted - done):
            problems.append(f"{po.relative_to(ROOT)}: no translation for {missing!r}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

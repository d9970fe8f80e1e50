"""Names of the region made comparable: accents, particles, hyphens, two surnames, and
a phonetic key for Spanish, French and Haitian Creole spellings.

``"María José de la Cruz"`` and ``"Maria Jose Cruz"`` normalise to the same tokens
(``maria``, ``jose``, ``cruz``); ``"Saint-Fleur"`` and ``"Saint Fleur"`` stay one word
(``saintfleur``); ``"Yohana"`` and ``"Johana"``, ``"Wilner"`` and ``"Wuilner"`` share a
phonetic key. These are the project's own rules (identity resolution is what it exists
for). The phonetic key follows the correspondences of Spanish orthography (b/v, c/s/z,
ll/y/i, silent h, qu/k, and j/y, as Latin American registrations write "Johana" for
"Yohana") and of French-based Haitian spellings (ou/w, eau/o, ph/f), in the spirit of
the Spanish adaptations of Soundex used by civil registries.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

#: Words that join surnames or names and carry no identity of their own.
PARTICLES: Final = frozenset(
    ("de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "di", "du", "van",
     "von", "le")
)  # fmt: skip

_NON_LETTER: Final = re.compile(r"[^a-z ]+")
_SPACES: Final = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, accents and ñ/ç folded to plain letters, hyphens and apostrophes
    dropped so a compound stays one word (Haitian and French surnames such as
    "Jean-Baptiste" or "D'Haïti" are one surname), anything else but letters and
    spaces dropped: ``"D'Haïti Peña"`` → ``"dhaiti pena"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("-", "").replace("'", "").replace("’", "")
    return _SPACES.sub(" ", _NON_LETTER.sub(" ", plain)).strip()


#: "Saint Fleur", "St Fleur" and "Saint-Fleur" are one surname: the prefix is joined.
SAINT: Final = {"saint": "saint", "st": "saint", "sainte": "sainte", "ste": "sainte"}


def tokens(text: str) -> list[str]:
    """The meaningful words of a name, folded, particles dropped (unless the name is
    only particles) and "Saint" joined to what follows: ``"de la Cruz"`` →
    ``["cruz"]``, ``"St Fleur"`` → ``["saintfleur"]``."""
    words = fold(text).split()
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] in SAINT:
            joined[-1] = SAINT[joined[-1]] + word
        else:
            joined.append(word)
    kept = [w for w in joined if w not in PARTICLES]
    return kept or joined


def normalise(text: str) -> str:
    """:func:`tokens` joined by one space."""
    return " ".join(tokens(text))


_RULES: Final = (
    ("eau", "o"), ("ph", "f"), ("ou", "u"), ("ch", "x"), ("sh", "x"), ("ll", "y"),
    ("qu", "k"), ("ck", "k"), ("th", "t"), ("w", "u"), ("v", "b"), ("z", "s"),
    ("ce", "se"), ("ci", "si"), ("c", "k"), ("h", ""), ("y", "i"), ("j", "i"),
)  # fmt: skip


def phonetic(word: str) -> str:
    """A key under which spellings that sound alike in Spanish, French or Haitian
    Creole meet: ``"Yohana"``, ``"Johana"`` → ``"yoana"``-like keys agree. Input: one
    word (folded or not); output: lower-case letters, ``""`` for an empty word. Double
    letters collapse and a final silent ``s``, ``t``, ``d`` or ``e`` after another
    letter is dropped."""
    text = fold(word).replace(" ", "")
    if not text:
        return ""
    for old, new in _RULES:
        text = text.replace(old, new)
    collapsed = [text[0]] if text else []
    for ch in text[1:]:
        if ch != collapsed[-1]:
            collapsed.append(ch)
    key = "".join(collapsed)
    if len(key) > 3 and key[-1] in "stde":
        key = key[:-1]
    return key

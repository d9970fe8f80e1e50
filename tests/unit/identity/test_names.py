"""Names of the region made comparable."""

from __future__ import annotations

import pytest

from movilidad.identity.names import fold, normalise, phonetic, tokens


def test_accents_case_and_punctuation_fold_away() -> None:
    assert fold("  María José PEÑA  ") == "maria jose pena"
    assert fold("D'Haïti") == "dhaiti"
    assert fold("Jean-Baptiste") == "jeanbaptiste"
    assert fold("O.Brien") == "o brien"


def test_particles_are_dropped_and_saint_is_joined() -> None:
    assert tokens("María José de la Cruz") == ["maria", "jose", "cruz"]
    assert tokens("del Valle") == ["valle"]
    assert tokens("De la") == ["de", "la"]  # only particles: kept
    assert tokens("Saint Fleur") == tokens("Saint-Fleur") == ["saintfleur"]
    assert tokens("St Juste") == ["saintjuste"]
    assert normalise("Pérez  de  Gómez") == "perez gomez"


@pytest.mark.parametrize(
    "spellings",
    [("Yohana", "Johana"), ("Wilner", "Wuilner"), ("Villalobos", "Biyalobos"),
     ("Quiñónez", "Quinones", "Kinones"), ("Gutiérrez", "Gutierres"), ("Philippe", "Filip"),
     ("Herrera", "Errera"), ("González", "Gonzales", "Gonsalez")],
)  # fmt: skip
def test_spellings_that_sound_alike_share_a_phonetic_key(spellings: tuple[str, ...]) -> None:
    assert len({phonetic(s) for s in spellings}) == 1


def test_different_names_keep_different_keys() -> None:
    assert phonetic("Pérez") != phonetic("Paz")
    assert phonetic("María") != phonetic("Mario")
    assert phonetic("") == ""

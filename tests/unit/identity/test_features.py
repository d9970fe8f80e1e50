"""The feature row: names lined up whatever field they were typed in."""

from __future__ import annotations

from movilidad.identity.features import clean_dob, clean_document, features


def _row(**fields: object) -> dict[str, object]:
    return features({"unique_id": "1", **fields})


def test_two_surnames_line_up_even_when_typed_in_one_field() -> None:
    apart = _row(given_names="María José", first_surname="Pérez", second_surname="Gómez")
    merged = _row(given_names="Maria Jose", first_surname="Perez Gomez", second_surname="")
    assert (apart["gn"], apart["gn2"], apart["sn"], apart["sn2"]) == (
        "maria",
        "jose",
        "perez",
        "gomez",
    )
    assert (merged["sn"], merged["sn2"]) == (apart["sn"], apart["sn2"])
    dropped = _row(given_names="María", first_surname="Pérez")
    assert dropped["sn2"] is None
    assert dropped["gn2"] is None


def test_dates_documents_and_blocking_columns() -> None:
    assert clean_dob("1990-03-07") == clean_dob("19900307") == "19900307"
    assert clean_dob("1990-3-7") is None
    assert clean_document(" a-123 45 ") == "A12345"
    assert clean_document("") is None
    row = _row(given_names="Wilner", first_surname="Saint-Fleur", date_of_birth="1988-12-01")
    assert row["sn"] == "saintfleur"
    assert row["b_dob_md"] == "1201"
    assert row["b_sn3"] == "sai"
    assert row["sn_sx"] == row["b_sn_sx"]
    assert row["document"] is None

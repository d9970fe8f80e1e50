from __future__ import annotations

from sqlalchemy import text

from movilidad.db import migrate
from movilidad.db.engine import make_engine


def test_upgrading_a_database_with_data_keeps_it(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url, "0001")
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO applicants (id, given_names, first_surname, other_names, "
                "date_of_birth, sex, current_country, preferred_language, created_at, updated_at)"
                " VALUES (1, 'Wiwi', '', '[]', '1990-01-01', 'female', 'PER', 'es',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO households (id, principal_applicant_id, created_at)"
                " VALUES (1, 1, CURRENT_TIMESTAMP)"
            )
        )
    migrate.upgrade(empty_database_url)
    with engine.connect() as connection:
        answers = connection.execute(text("SELECT answers FROM households")).scalar_one()
        given = connection.execute(text("SELECT given_names FROM applicants")).scalar_one()
    engine.dispose()
    assert answers in ("{}", {})
    assert given == "Wiwi"
    migrate.check(empty_database_url)

from __future__ import annotations

import html
import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from movilidad.config import Settings
from movilidad.db.uow import UnitOfWork
from movilidad.web.app import create_app
from movilidad.web.middleware import SECURITY_HEADERS
from tests.factories import make_office

TITLES = {
    "es": "Oficina de Movilidad Segura",
    "en": "Safe Mobility Office",
    "fr": "Bureau de mobilité sûre",
    "ht": "Biwo Migrasyon San Danje",
    "pt": "Escritório de Mobilidade Segura",
}


@pytest.mark.parametrize(("lang", "title"), TITLES.items())
def test_home_page_in_each_language(client: TestClient, lang: str, title: str) -> None:
    response = client.get(f"/?lang={lang}")
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text
    assert f"<h1>{title}</h1>" in response.text
    assert response.headers["content-language"] == lang


def test_home_lists_offices_by_country_in_the_language(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    with UnitOfWork(session_factory) as uow:
        uow.session.add(make_office(country="COL", city="Pasto", time_zone="America/Bogota"))
        uow.commit()
    page = client.get("/?lang=ht").text
    assert "Kolonbi" in page
    assert "Pasto" in page


def test_the_chosen_language_is_remembered(client: TestClient) -> None:
    client.get("/?lang=pt")
    response = client.get("/", headers={"Accept-Language": "fr"})
    assert response.headers["content-language"] == "pt"


def test_accept_language_is_used_without_a_choice(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9,es;q=0.4"})
    assert response.headers["content-language"] == "fr"


def test_unknown_language_falls_back_to_the_default(client: TestClient) -> None:
    response = client.get("/?lang=xx", headers={"Accept-Language": "de"})
    assert response.status_code == 200
    assert response.headers["content-language"] == "es"
    assert "set-cookie" not in response.headers


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/", "/healthz", "/nowhere", "/static/site.css"):
        response = client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (path, name)
    assert "frame-ancestors 'none'" in SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe-inline" not in SECURITY_HEADERS["Content-Security-Policy"]


def test_pages_carry_no_inline_script_or_style(client: TestClient) -> None:
    page = client.get("/").text
    assert "<script" not in page
    assert "style=" not in page
    assert "<style" not in page


def test_not_found_page_is_in_the_users_language(client: TestClient) -> None:
    response = client.get("/no/such/page?lang=ht")
    assert response.status_code == 404
    assert "Nou pa jwenn paj la" in response.text


def test_wrong_method_gets_a_page_not_a_traceback(client: TestClient) -> None:
    response = client.post("/?lang=fr")
    assert response.status_code == 405
    assert "Vous ne pouvez pas faire cela ici" in html.unescape(response.text)


def test_an_unexpected_error_shows_a_translated_page(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    app: FastAPI = create_app(settings)

    @app.get("/tests/explode/now")
    def explode() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/tests/explode/now?lang=es")
    assert response.status_code == 500
    assert "Tuvimos un problema de nuestra parte" in response.text
    assert "secret internals" not in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz_reports_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_fails_when_the_database_is_down(settings: Settings) -> None:
    down = settings.model_copy(
        update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    )
    with TestClient(create_app(down)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_request_logs_hold_no_personal_data(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="movilidad.web"):
        client.get(
            "/no/such/page?name=Rosa&phone=%2B50937001234",
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "movilidad.web")
    assert '"event": "request"' in logged
    assert "Rosa" not in logged
    assert "50937001234" not in logged
    assert "203.0.113.9" not in logged
    assert "/no/such/page" not in logged

"""Jinja2 rendering with per-request translations.

Templates use ``{% trans %}`` blocks and ``_()``; the translation functions are put in
each render's context, so one shared environment serves every language safely.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from movilidad.i18n import Catalogues, country_name, format_local_time, format_long_date
from movilidad.kernel.languages import LANGUAGE_NATIVE_NAMES, SUPPORTED_LANGUAGES
from movilidad.web.labels import (
    APPOINTMENT_STATUS_LABELS,
    CLOSE_REASON_LABELS,
    DOCUMENT_TYPE_LABELS,
    MODE_LABELS,
    NEED_LABELS,
    OUTCOME_LABELS,
    RELATIONSHIP_LABELS,
    RULE_LABELS,
    STATUS_LABELS,
)
from movilidad.web.security import CSRF_FIELD, csrf_token

TEMPLATE_DIR = Path(__file__).parent / "templates"


def _rule_label(gettext: Callable[..., str], rule: str) -> str:
    """``priority:<need>`` reads "Priority: <need label>"; other rules their label."""
    if rule.startswith("priority:"):
        need = rule.removeprefix("priority:")
        return gettext("Priority: %(group)s", group=gettext(NEED_LABELS.get(need, need)))
    return gettext(RULE_LABELS.get(rule, rule))


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    # Placeholders so templates compile; real callables come with each render.
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def _with_lang(request: Request, code: str) -> str:
    """This page's path and query, with ``lang`` set to ``code`` (always on this site)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    query.append(("lang", code))
    return f"/{request.url.path.lstrip('/')}?{urlencode(query)}"


class Renderer:
    """Renders a template for a request in the request's language."""

    def __init__(self, catalogues: Catalogues) -> None:
        self.env = make_environment()
        self.catalogues = catalogues

    def gettext(self, request: Request) -> Callable[[str], str]:
        """The gettext function of the request's language."""
        language: str = getattr(request.state, "language", SUPPORTED_LANGUAGES[0])
        return self.catalogues.get(language).gettext

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        language: str = getattr(request.state, "language", SUPPORTED_LANGUAGES[0])
        translations = self.catalogues.get(language)

        def gettext(message: str, **variables: Any) -> str:
            text = translations.gettext(message)
            return text % variables if variables else text

        def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
            text = translations.ngettext(singular, plural, n)
            return text % {"num": n, **variables}

        values: dict[str, Any] = {
            "request": request,
            "lang": language,
            "languages": [(code, LANGUAGE_NATIVE_NAMES[code]) for code in SUPPORTED_LANGUAGES],
            "gettext": gettext,
            "ngettext": ngettext,
            "_": gettext,
            "country_name": lambda code: country_name(code, language),
            "long_date": lambda value: format_long_date(
                date.fromisoformat(value) if isinstance(value, str) else value, language
            ),
            "url_for": request.app.url_path_for,
            "path_with_lang": lambda code: _with_lang(request, code),
            "csrf_field": CSRF_FIELD,
            "csrf_token": lambda: csrf_token(request),
            "actor": getattr(request.state, "actor", None),
            "training_date": request.app.state.settings.screening_date,
            "status_label": lambda status: gettext(STATUS_LABELS.get(str(status), str(status))),
            "outcome_label": lambda outcome: gettext(
                OUTCOME_LABELS.get(str(outcome), str(outcome))
            ),
            "relationship_label": lambda value: gettext(
                RELATIONSHIP_LABELS.get(str(value), str(value))
            ),
            "need_label": lambda value: gettext(NEED_LABELS.get(str(value), str(value))),
            "document_type_label": lambda value: gettext(
                DOCUMENT_TYPE_LABELS.get(str(value), str(value))
            ),
            "close_reason_label": lambda reason: gettext(
                CLOSE_REASON_LABELS.get(str(reason), str(reason))
            ),
            "local_time": lambda instant, zone: format_local_time(instant, zone, language),
            "tz_of": ZoneInfo,
            "local_hm": lambda instant, zone: f"{instant.astimezone(ZoneInfo(zone)):%H:%M}",
            "appointment_status_label": lambda value: gettext(
                APPOINTMENT_STATUS_LABELS.get(str(value), str(value))
            ),
            "rule_label": lambda value: _rule_label(gettext, str(value)),
            "mode_label": lambda value: gettext(MODE_LABELS.get(str(value), str(value))),
        }
        values.update(context or {})
        html = self.env.get_template(template).render(values)
        return HTMLResponse(html, status_code=status_code)

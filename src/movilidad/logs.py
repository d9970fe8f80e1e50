"""Structured logs (structlog, one JSON object per line on stderr).

Request logs carry the route *template* (``/cases/{reference}``), never the concrete
path, query string, form fields, client address or user agent: none of them may leak
personal data into logs.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str = "INFO") -> None:
    """Route stdlib and structlog output through one JSON renderer at ``level``."""
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level, force=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    # uvicorn's own access log prints full paths with query strings: keep it off.
    logging.getLogger("uvicorn.access").disabled = True

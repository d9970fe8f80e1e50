"""The public home page."""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from movilidad.offices.repository import OfficeRepository
from movilidad.web.deps import Render, UoW
from movilidad.web.security import PUBLIC, requires

router = APIRouter()


@router.get("/", name="public.home", response_class=HTMLResponse)
@requires(PUBLIC)
def home(request: Request, uow: UoW, render: Render) -> HTMLResponse:
    """What the office does, that it is free, and where the offices are."""
    offices = OfficeRepository(uow.session).list_offices()
    by_country = [
        (country, list(group)) for country, group in groupby(offices, lambda o: o.country)
    ]
    return render.render(request, "public/home.html", {"offices_by_country": by_country})

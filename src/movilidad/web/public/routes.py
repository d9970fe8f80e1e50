"""The public home page, and the public record of interview allocation draws."""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from movilidad.appointments.allocation import public_report
from movilidad.appointments.windows import list_windows, run_of_window
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


@router.get("/draws", name="public.draws", response_class=HTMLResponse)
@requires(PUBLIC)
def draws(request: Request, uow: UoW, render: Render) -> HTMLResponse:
    """Every office's request windows: the hash of each lottery seed from the moment
    the window is planned; after the run, the seed itself, the digests of its inputs
    and result, and its counts with small cells hidden. No personal data."""
    rows = []
    for window in list_windows(uow):
        run = run_of_window(uow, window.id)
        rows.append((window, run, public_report(run.report) if run else None))
    return render.render(request, "public/draws.html", {"rows": rows})

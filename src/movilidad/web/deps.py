"""FastAPI dependencies: the unit of work of a request, the renderer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from movilidad.db.uow import UnitOfWork
from movilidad.web.templating import Renderer


def _unit_of_work(request: Request) -> Iterator[UnitOfWork]:
    """One transaction per request: committed when the handler returns normally, before
    the response is sent (``scope="function"``), rolled back when it raises."""
    with UnitOfWork(request.app.state.session_factory) as uow:
        yield uow
        uow.commit()


def _renderer(request: Request) -> Renderer:
    renderer: Renderer = request.app.state.renderer
    return renderer


UoW = Annotated[UnitOfWork, Depends(_unit_of_work, scope="function")]
Render = Annotated[Renderer, Depends(_renderer)]

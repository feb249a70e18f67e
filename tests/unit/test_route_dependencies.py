"""Every dependency of every route is a coroutine: FastAPI runs a plain ``def`` dependency in its
thread pool, and that hand-off cost a 문의 내역 request about a quarter of its time."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from gogaek.app import create_app
from gogaek.config import Settings


def _routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        for attribute in ("router", "original_router", "app"):
            inner = getattr(route, attribute, None)
            if inner is not None and inner is not route and hasattr(inner, "routes"):
                yield from _routes(inner.routes)


def _is_async(call: Callable[..., Any]) -> bool:
    """A coroutine function, or an object whose ``__call__`` is one (HTTPBearer, rate limiters)."""
    if not inspect.isfunction(call) and not inspect.ismethod(call):
        call = type(call).__call__
    return inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)


def _sync_calls(dependant: Dependant) -> Iterator[str]:
    for sub in dependant.dependencies:
        if sub.call is not None and not _is_async(sub.call):
            yield getattr(sub.call, "__qualname__", type(sub.call).__qualname__)
        yield from _sync_calls(sub)


def test_no_route_waits_for_the_thread_pool(tmp_path: Path) -> None:
    app = create_app(Settings(env="test", data_dir=tmp_path, search_semantic=False, jobs_enabled=False))
    routes = list(_routes(app.router.routes))
    assert len(routes) > 100  # the walk reached the included routers
    sync = {f"{route.path}: {name}" for route in routes for name in _sync_calls(route.dependant)}
    sync |= {f"{route.path}: endpoint" for route in routes if not _is_async(route.endpoint)}
    assert not sync, sorted(sync)[:10]

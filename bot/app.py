"""The FastAPI application: Twilio webhooks, health, metrics and the admin API."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.api import install as install_admin_api
from bot.console import install as install_console
from bot.conversation.handoffs import open_requests
from bot.db import is_sqlite, make_async_engine, make_engine, read_only
from bot.metrics import OPEN_REQUESTS
from bot.runtime import Runtime
from bot.settings import Settings, get_settings
from bot.twilio.webhook import router as twilio_router
from bot.voter.geo import zip_info

log = logging.getLogger(__name__)


def request_engine(app: FastAPI) -> Engine:
    """The app's engine."""
    engine: Engine = app.state.engine
    return engine


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; migrations are applied by `turnout serve`, not here."""
    settings = settings or get_settings()
    runtime = Runtime.load(settings)
    engine = engine or make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Everything loaded at start-up (catalogs, language models, flows) lives as long as
        # the process: keep it out of the garbage collector's full passes, which would
        # otherwise pause every request in flight for tens of milliseconds.
        zip_info("90057")  # load the offline ZIP table now, not inside a voter's request
        gc.collect()
        gc.freeze()
        yield
        engine.dispose()
        if app.state.async_engine is not None:
            await app.state.async_engine.dispose()

    app = FastAPI(
        title="Turnout",
        summary="Multilingual SMS/WhatsApp get-out-the-vote bot",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.engine = engine
    app.state.async_engine = None if is_sqlite(engine) else make_async_engine(engine)
    app.include_router(twilio_router)
    install_admin_api(app)
    install_console(app)

    @app.get("/healthz", tags=["operations"])
    def healthz(request: Request) -> Response:
        """200 when the database answers, 503 when it does not."""
        try:
            with read_only(request.app.state.engine.connect()) as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("health check failed: %s", type(exc).__name__)
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "up"})

    @app.get("/metrics", tags=["operations"])
    def metrics() -> Response:
        """Prometheus text format (the open requests for a person counted as it is asked)."""
        try:
            with read_only(request_engine(app).connect()) as conn:
                OPEN_REQUESTS.set(open_requests(conn))
        except SQLAlchemyError:
            log.warning("metrics: the database did not answer")
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app

"""`turnout serve`, `turnout scheduler` and `turnout dispatch`: the commands that compose the web
app with the scheduler. `register` adds them to the `turnout` app; pyproject.toml names it
under the `turnout.commands` entry point, so that `bot` never imports `scheduler`."""

from __future__ import annotations

import contextlib
import signal
import time

import typer
import uvicorn
from apscheduler.schedulers.base import BaseScheduler
from fastapi import FastAPI
from rich.console import Console
from sqlalchemy import Engine

from bot.app import create_app
from bot.db import is_sqlite, make_engine
from bot.demo import Demo
from bot.demo import prepare as prepare_demo
from bot.logs import configure_logging, uvicorn_log_config
from bot.migrate import upgrade
from bot.runtime import Runtime
from bot.settings import Settings, get_settings
from scheduler.process import Sending, build_scheduler

console = Console(stderr=True, soft_wrap=True)  # a link must stay whole to be copied


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    no_scheduler: bool = typer.Option(False, "--no-scheduler", help="Web app only."),
    demo: bool = typer.Option(
        False, "--demo", help="A first look: an admin's sign-in link and a voter to answer."
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="Web worker processes behind the one port (PostgreSQL only: SQLite has one "
        "writer). The scheduler, unless --no-scheduler, runs in the supervising process.",
    ),
) -> None:
    """Apply migrations, then run the web app (and, unless told not to, the scheduler)."""
    configure_logging()
    settings = get_settings()
    engine = make_engine(settings.database_url)
    if workers > 1 and is_sqlite(engine):
        console.print(
            "[red]--workers needs PostgreSQL:[/red] SQLite has one writer, so a second web "
            "process would only queue behind the first (and each process keeps its own "
            "writer lock). Run one worker on SQLite, or set DATABASE_URL to PostgreSQL "
            "(see docs/production.md)."
        )
        raise typer.Exit(2)
    upgrade(engine)
    sending = None if no_scheduler else Sending.from_settings(engine, settings)
    scheduler = (
        None
        if sending is None
        else build_scheduler(engine, settings, blocking=False, sending=sending)
    )
    if scheduler is not None:
        scheduler.start()
    if demo:
        made = prepare_demo(engine, Runtime.load(settings))
        _banner(host, port, twilio=bool(settings.twilio_auth_token), demo=made, settings=settings)
    try:
        if workers > 1:
            # Each worker is a process of its own (spawned, so it builds its own app, engines
            # and pools from the settings); uvicorn's supervisor restarts one that dies.
            uvicorn.run(
                "scheduler.cli:web_app",
                factory=True,
                workers=workers,
                # A worker answers the supervisor's pings from a thread; on a busy machine
                # its start (imports, language models) can take longer than uvicorn's 5 s,
                # and a worker killed for it only starts over.
                timeout_worker_healthcheck=60,
                host=host,
                port=port,
                log_level="info",
                log_config=uvicorn_log_config(),
                loop=event_loop(engine),
            )
        else:
            uvicorn.run(
                create_app(settings, engine),
                host=host,
                port=port,
                log_level="info",
                log_config=uvicorn_log_config(),
                loop=event_loop(engine),
            )
    finally:
        if scheduler is not None and sending is not None:
            sending.stop.set()  # a pass in progress stops claiming; what it holds is recorded
            scheduler.shutdown(wait=True)
            sending.role.release()


def web_app() -> FastAPI:
    """The web app of one worker of `turnout serve --workers N` (a uvicorn factory)."""
    configure_logging()
    return create_app(get_settings())


def run_scheduler() -> None:
    """Run the scheduler alone (no web app)."""
    configure_logging()
    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    console.print("Scheduler running; Ctrl-C to stop.")
    sending = Sending.from_settings(engine, settings)
    scheduler = build_scheduler(engine, settings, blocking=True, sending=sending)
    signal.signal(signal.SIGTERM, lambda *_: _stop(scheduler, sending))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    sending.role.release()


def _stop(scheduler: BaseScheduler, sending: Sending) -> None:
    sending.stop.set()
    scheduler.shutdown(wait=False)


def dispatch(
    until_idle: bool = typer.Option(
        False, "--until-idle", help="Stop when nothing is due now and nothing is in flight."
    ),
) -> None:
    """Start due sends and drain the outbox now, without the scheduler's timing (for
    operators: send a blast at once; or run a dispatcher under your own supervisor)."""
    configure_logging()
    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sending = Sending.from_settings(engine, settings)
    try:
        while True:
            sending.plan_reminders()
            sending.start_sends()
            sending.dispatch()
            if until_idle and not sending.busy():
                sending.start_sends()  # marks the sends it finished done
                break
            time.sleep(0.2)
    except KeyboardInterrupt:
        sending.stop.set()
    finally:
        sending.role.release()


def event_loop(engine: Engine) -> str:
    """asyncio's own loop for SQLite (uvloop served connections unfairly there: p99 370 ms
    against 80 ms at 32 connections, measured when its units of work ran on the loop); uvloop
    for PostgreSQL, whose work awaits the driver."""
    return "asyncio" if is_sqlite(engine) else "auto"


def _banner(host: str, port: int, *, twilio: bool, demo: Demo, settings: Settings) -> None:
    base = f"http://{host}:{port}"
    console.print(f"\n[bold green]Turnout is starting on {base}[/bold green]")
    console.print(f"  Organizer console: [bold]{base}/console[/bold]")
    console.print(
        f"  Sign in as the first admin ({demo.admin_email}): open this one-time link and "
        "choose a password:"
    )
    console.print(
        f"    [bold]{settings.public_base_url or base}/console/invite/{demo.invite_token}[/bold]"
    )
    console.print(
        "  A demo voter has asked for a person: answer them from the inbox (no Twilio needed:"
        " what you send is printed here)."
    )
    console.print(
        "  Chat with the bot in another terminal:  [bold]make chat[/bold]"
        "  (or .venv/bin/turnout chat --phone +15555550123)"
    )
    console.print(f"  Health: {base}/healthz   Metrics: {base}/metrics   API docs: {base}/docs")
    if not twilio:
        console.print(
            "  Twilio is not configured (TWILIO_AUTH_TOKEN unset): /twilio/* answer 503"
            " until you set it in .env; see README.md.\n"
        )


def register(app: typer.Typer) -> None:
    """Add `serve`, `scheduler` and `dispatch` to the `turnout` app."""
    app.command("serve")(serve)
    app.command("scheduler")(run_scheduler)
    app.command("dispatch")(dispatch)

"""The `turnout` command line, composed: each command group is a module of `bot.cli`; commands
that need more than the bot (`serve`, `scheduler`, `dispatch`) come from the packages that
register them under the `turnout.commands` entry point (the scheduler's), so that `bot`
never imports `scheduler`.

    turnout blasts create ...   ->  bot/cli/blasts.py
    turnout serve               ->  scheduler/cli.py (registered through pyproject.toml)
"""

from __future__ import annotations

from importlib.metadata import entry_points

import typer

from bot.cli import (
    blasts,
    chat,
    contacts,
    database,
    elections,
    languages,
    lift,
    organizations,
    outbox,
    places,
    reminders,
    users,
    voters,
)

PLUGINS = "turnout.commands"


def build(*, plugins: bool = True) -> typer.Typer:
    """The `turnout` app: the bot's command groups, and the registered ones."""
    app = typer.Typer(
        help="Turnout: a multilingual SMS/WhatsApp get-out-the-vote bot.",
        no_args_is_help=True,
        add_completion=False,
    )
    app.add_typer(database.app, name="db")
    app.command("chat")(chat.chat)
    app.command("languages")(languages.languages)
    app.add_typer(organizations.app, name="org")
    app.add_typer(contacts.app, name="contacts")
    app.add_typer(places.app, name="places")
    app.add_typer(voters.app, name="voters")
    app.add_typer(elections.app, name="elections")
    app.add_typer(blasts.app, name="blasts")
    app.add_typer(reminders.app, name="reminders")
    app.add_typer(outbox.app, name="outbox")
    app.add_typer(users.app, name="users")
    app.add_typer(lift.history_app, name="history")
    app.add_typer(lift.app, name="lift")
    if plugins:
        for found in entry_points(group=PLUGINS):
            found.load()(app)
    return app


def main() -> None:
    """The `turnout` console script."""
    build()()


if __name__ == "__main__":
    main()

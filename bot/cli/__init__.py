"""The `turnout` command line: one module per command group, composed in `bot.cli.main`."""

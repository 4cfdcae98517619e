"""The `herald` subcommands, one module per area; `bot.runtime.cli` parses and dispatches to them."""

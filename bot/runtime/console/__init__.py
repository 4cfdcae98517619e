"""The local console: Herald without Slack. Commands, button presses and filled-in forms go through the same Bolt
app, listeners and store; what Slack would show is printed for the terminal."""

from bot.runtime.console.session import Console
from bot.runtime.console.slack import ConsoleWebClient
from bot.runtime.console.start import run_console

__all__ = ["Console", "ConsoleWebClient", "run_console"]

"""The console session: what the person types goes to the real Bolt app as Slack would send it, and what comes back
(replies, posts, modals to fill in, buttons to press) is shown on the screen."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.core.herald import Herald
from bot.runtime.app import create_app
from bot.runtime.console import payloads
from bot.runtime.console.forms import FormQuestions, inputs
from bot.runtime.console.readers import ConsoleReader
from bot.runtime.console.screen import Screen, Surface
from bot.runtime.console.slack import ConsoleRespond, ConsoleWebClient, reply_caption
from bot.runtime.console.workspace import CONSOLE_CHANNEL, CONSOLE_TEAM
from bot.runtime.demo import CONSOLE_USER
from bot.runtime.workers import outbox_worker

log = logging.getLogger(__name__)

PROMPT = "herald> "
QUIT = ("exit", "quit")
APP_HOME = "home"
HINT = "Type a slash command like `/launch status`, a button's number to press it, or `home` for your App Home."


class Console:
    """One person at the console. `herald.slack` must be a ConsoleWebClient: it prints, and keeps the modals.

    With `delivers`, release announcements due are delivered (printed) as a server would; without it (a real
    store) they stay pending for a running Herald, which can reach Slack: printing them here would mark them sent.
    """

    def __init__(self, herald: Herald, reader: ConsoleReader, *, user_id: str = CONSOLE_USER,
                 delivers: bool = True) -> None:
        if not isinstance(herald.slack, ConsoleWebClient):
            raise TypeError("the console needs Herald built with slack=ConsoleWebClient(...)")
        self.herald = herald
        self.slack: ConsoleWebClient = herald.slack
        self.screen = self.slack.screen
        self.reader = reader
        self.user_id = user_id
        self.questions = FormQuestions(self.screen, reader, herald.settings.zone)
        self.outbox = outbox_worker(herald, herald.messenger) if delivers else None
        self.app = create_app(herald, authorize=_console_authorize)
        self.app.middleware(_respond_on_screen(self.screen))
        logging.getLogger("slack_bolt.AsyncApp").addFilter(_no_unhandled_request_hints)

    async def repl(self) -> None:
        """Until Ctrl-D (in a form too, discarding it) or `exit`; Ctrl-C clears the line (or cancels a form) and
        carries on."""
        while True:
            line = ""
            try:
                line = await self.reader.command(PROMPT)
                if line.strip().lower() in QUIT:
                    return
                await self.run_line(line)
            except KeyboardInterrupt:
                continue
            except EOFError:
                return
            except Exception:  # a bug: the log file gets the trace, the screen a sentence
                log.exception("the console could not handle %r", line)
                self.screen.say("Something went wrong; the log file has the details.", "red")

    async def run_line(self, line: str) -> None:
        line = line.strip()
        if line.isdigit():
            await self.press(int(line))
        elif line.lower() == APP_HOME:
            self.screen.new_command()
            await self._dispatch(payloads.app_home_opened(user_id=self.user_id))
        elif line.startswith("/"):
            self.screen.new_command()
            await self.command(line)
        elif line:
            self.screen.say(HINT)
        await self._settle()

    async def command(self, line: str) -> None:
        command, _, text = line.partition(" ")
        response = await self._dispatch(payloads.slash_command(command, text, user_id=self.user_id))
        if response.status == 404:
            self.screen.say(f"Herald has no {command} command.")
        elif response.body:
            message = json.loads(response.body)
            self.screen.caption(reply_caption(message.get("response_type")))
            self.screen.show(message, Surface(channel_id=CONSOLE_CHANNEL, message=message))

    async def press(self, number: int, *, state: dict[str, Any] | None = None) -> None:
        button = self.screen.button(number)
        if button is None:
            self.screen.say(f"There is no button {number} on the screen.")
            return
        if url := button.element.get("url"):
            self.screen.say(f"{button.label}: {url}")
            return
        response = await self._dispatch(payloads.button_press(button, user_id=self.user_id, state=state))
        if response.status == 404:
            self.screen.say(f"Herald does nothing with “{button.label}”.")

    async def fill(self, view_id: str) -> None:
        """Ask a modal's inputs one by one and submit them as Slack would; Ctrl-C closes it unsent."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        asking: set[str] | None = None  # None: every input
        shown = ""
        try:
            while view_id in self.slack.views:
                view = self.slack.views[view_id]
                if view["hash"] != shown:
                    self._show_form(view)
                    shown = view["hash"]
                if "submit" not in view:  # it only says something
                    return
                for block in inputs(view):
                    if asking is None or block["block_id"] in asking:
                        values[block["block_id"]] = await self.questions.ask(
                            block, values.get(block["block_id"]), errors.get(block["block_id"]))
                submit = view["submit"]["text"]
                answer = await self.reader.read(f"{submit}? Enter to {submit.lower()}, a button's number presses it, "
                                                "Ctrl-C cancels: ")
                asking, errors = set(), {}
                if answer.strip().isdigit():
                    await self.press(int(answer), state=_filled(values))
                    await self.herald.background.drain()
                elif not answer.strip():
                    asking, errors = await self._submit(view_id, view, values)
                else:
                    self.screen.say(f"Press Enter to {submit.lower()}, or type a button's number.")
        except KeyboardInterrupt:
            self.screen.say("Form cancelled; nothing was sent.")
        except EOFError:  # Ctrl-D, or the end of piped input: the console quits
            self.screen.say("Form discarded; nothing was sent.")
            raise
        finally:
            self.slack.views.pop(view_id, None)

    async def _submit(self, view_id: str, view: dict[str, Any], values: dict[str, Any]) -> tuple[set[str] | None,
                                                                                                   dict[str, str]]:
        """Send the form; what is asked next: the inputs Herald found wrong, all of a new view, or nothing."""
        response = await self._dispatch(payloads.view_submission(view, _filled(values), user_id=self.user_id))
        answer = json.loads(response.body) if response.body else {}
        action = answer.get("response_action")
        if action == "errors":
            problems = answer.get("errors", {})
            wrong = set(problems) & {block["block_id"] for block in inputs(view)}
            self.screen.say("Herald could not take that; change what is marked ✗.", "red")
            for block_id in set(problems) - wrong:  # not about one input: said here, then every input is asked
                self.screen.say(f"  ✗ {problems[block_id]}", "red")
            return wrong or None, problems
        if action == "update":
            self.slack.views[view_id] = {**answer["view"], "id": view_id, "hash": f"{view['hash']}+",
                                         "state": view["state"]}
            return None, {}
        if action == "push":
            self.slack.open_modal(answer["view"])
        self.slack.views.pop(view_id, None)
        return set(), {}

    def _show_form(self, view: dict[str, Any]) -> None:
        self.screen.caption(f"form: {view.get('title', {}).get('text', 'Slack form')}")
        shown = {**view, "blocks": [block for block in view.get("blocks", []) if block.get("type") != "input"]}
        self.screen.show(shown, Surface(view=view))

    async def _dispatch(self, request: AsyncBoltRequest) -> BoltResponse:
        return await self.app.async_dispatch(request)

    async def _settle(self) -> None:
        """Let the work after the ack finish, deliver what is due, then fill in the modals it opened."""
        await self._after_work()
        while self.slack.to_fill:
            await self.fill(self.slack.to_fill.pop(0))
            await self._after_work()

    async def _after_work(self) -> None:
        await self.herald.background.drain()
        if self.outbox is not None:
            await self.outbox.run_once()


def _filled(values: dict[str, Any]) -> dict[str, Any]:
    return {block_id: state for block_id, state in values.items() if state}


def _respond_on_screen(screen: Screen) -> Callable[..., Awaitable[None]]:
    async def respond_on_screen(body: dict, context: dict, next):
        channel_id = (body.get("channel") or {}).get("id") or body.get("channel_id") or CONSOLE_CHANNEL
        context["respond"] = ConsoleRespond(screen, channel_id=channel_id)
        await next()

    return respond_on_screen


def _no_unhandled_request_hints(record: logging.LogRecord) -> bool:
    """Bolt's "[Suggestion] You can handle this type of event…" is for developers; the console says it plainly."""
    return not record.getMessage().startswith("Unhandled request")


async def _console_authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(enterprise_id=None, team_id=CONSOLE_TEAM, bot_user_id="U0HERALD",
                           bot_id="B0HERALD", bot_token="xoxb-console")

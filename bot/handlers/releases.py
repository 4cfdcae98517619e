"""Releases from Slack: `/launch release` (a modal with a preview) and channel subscriptions."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from slack_bolt.async_app import AsyncApp

from bot.core.block_ids import ActionId, BlockId, ViewId
from bot.core.errors import HeraldError, InvalidInput
from bot.core.herald import Herald
from bot.core.matching import closest
from bot.core.render import Message, actor, plural
from bot.handlers import digests as digests_ui
from bot.handlers import directory as directory_ui
from bot.handlers.support.command_text import SHARE_FLAG, Invocation, Reply, text_of
from bot.handlers.support.name_choices import choice_of, choices
from bot.handlers.support.replies import error_message, notice
from bot.releases import service as releases
from bot.releases.listing import releases_here
from bot.releases.models import Release
from bot.releases.names import TAG, TAG_PREFIX, UnclearName
from bot.releases.recording import ReleaseInput, validate

PRERELEASES_FLAG = "--prereleases"
OPTIONS = (PRERELEASES_FLAG, SHARE_FLAG)  # what `subscribe` and `unsubscribe` take; `--share` as every command
HISTORY = "history"
HISTORY_USAGE = "Use `/launch release history <component> <version>`, like `/launch release history billing 1.4.0`."
RELEASES = "releases"  # the keyword after `subscribe`; `release` is read as it too
FORM_NOTES = 3000  # characters a Slack text input holds, its initial value included
KEYWORD_CUTOFF = 90  # "relases" scores 93 against it; "release-notes" (84) is a component's name


class ReleaseForm(BaseModel):
    """What the release modal carries between opening, previewing and submitting (private_metadata)."""

    component: str
    version: str
    channel_id: str
    editing: bool = False  # the version is recorded: the form changes what it says
    prerelease: bool = False  # as recorded: the form does not ask, so an edit keeps it
    notes_kept: bool = False  # the recorded notes are longer than the form holds: an edit keeps them



def register(app: AsyncApp) -> None:
    app.view(ViewId.RELEASE_FORM)(submit_release_form)
    app.action(ActionId.PREVIEW_RELEASE)(preview_release_form)
    app.action(re.compile(f"^{re.escape(ActionId.CHOOSE_NAME)}"))(choose_name)


def release(herald: Herald, call: Invocation, *, keep: str | None = None) -> Reply:
    """`/launch release <name> <version>` opens the form; `/launch release history <name> <version>` shows the trail."""
    if call.words and call.words[0].lower() == HISTORY:
        return release_history(herald, call)
    return open_release_form(herald, call, keep=keep)


def release_history(herald: Herald, call: Invocation) -> Reply:
    if len(call.words) < 3:
        raise InvalidInput(HISTORY_USAGE)
    found = releases.history(herald, component=text_of(call.words[1:-1]), version=text_of(call.words[-1:]))
    when = herald.renderer.format_when
    rows = [(Markup("{} · {}").format(when(found.release.created_at), actor(found.release.created_by
                                                                           or found.release.source)), "recorded")]
    rows += [(Markup("{} · {}").format(when(change.at), actor(change.actor)),
              f"{change.field}: {_short(change.old_value)} → {_short(change.new_value)}") for change in found.changes]
    return Reply(herald.renderer.message(
        "common/list.json.j2", title=f"History of {found.release.component_name} {found.release.version}",
        rows=rows, person=None, empty=""))


def _short(value: str | None) -> str:
    if value is None or value == "":
        return "(none)"
    flat = " ".join(value.split())
    return flat if len(flat) <= 80 else flat[:79] + "…"


def open_release_form(herald: Herald, call: Invocation, *, keep: str | None = None) -> Reply:
    """The form opens for a known component or launch, or a new name nothing known looks like; a name like known
    ones is asked about first (`keep`: the person chose the name as typed)."""
    if len(call.words) < 2:
        raise InvalidInput("Use `/launch release <launch or component> <version>`, like `/launch release billing 1.4.0`.")
    typed, version = text_of(call.words[:-1]), text_of(call.words[-1:])
    validate(ReleaseInput(component=typed, version=version, source="slack"))
    try:
        component = releases.release_component(herald, typed, as_typed=keep is not None)
    except UnclearName as unclear:
        return Reply(choices(herald.renderer, unclear, command="release",
                             words_for=lambda name: [name, *call.words[-1:]]))
    data = ReleaseInput(component=component.spelling, version=version, source="slack", created_by=call.user_id)
    recorded = releases.release_to_edit(herald, data)
    form = ReleaseForm(component=data.component, version=version, channel_id=call.channel_id,
                       editing=recorded is not None, prerelease=recorded is not None and recorded.prerelease,
                       notes_kept=recorded is not None and len(recorded.notes) > FORM_NOTES)
    view = _form_view(herald, form, preview=None, recorded=recorded)
    first = None if component.known else notice(
        herald.renderer, f"Nothing called “{component.name}” is known yet: this will be its first release.")
    return Reply(first, after=lambda: herald.slack.views_open(trigger_id=call.trigger_id, view=view))


async def preview_release_form(ack, body: dict, herald: Herald) -> None:
    """Render the announcement as subscribers would see it, inside the modal."""
    await ack()
    view = body["view"]
    try:
        form = _form_of(view)
    except HeraldError:
        return  # a mangled form: nothing to preview, and its submission says so
    recorded = None
    try:
        data = _release_input(form, view["state"]["values"], user_id=body["user"]["id"], now=herald.clock())
        recorded = releases.release_to_edit(herald, data) if form.editing else None
        if recorded is not None and form.notes_kept:
            data.notes = recorded.notes
        preview = releases.preview(herald, data, channel_id=form.channel_id)
    except HeraldError as error:  # what is wrong shows where the preview would be
        preview = notice(herald.renderer, str(error))
    await herald.slack.views_update(view_id=view["id"], hash=view["hash"],
                                    view=_form_view(herald, form, preview, recorded=recorded))


async def submit_release_form(ack, body: dict, view: dict, herald: Herald) -> None:
    try:
        form = _form_of(view)
        data = _release_input(form, view["state"]["values"], user_id=body["user"]["id"], now=herald.clock())
        # Off the loop: the fan-out writes a row per subscribed channel (500 channels: 0.1-0.25 s).
        saved = await asyncio.to_thread(releases.save, herald, data, keep_notes=form.notes_kept)
    except HeraldError as error:
        await ack(response_action="errors", errors={_field_of(error): str(error)})
        return
    await ack()
    herald.background.spawn(_confirm(herald, form, body["user"]["id"], saved))


async def _confirm(herald: Herald, form: ReleaseForm, user_id: str, saved: releases.Saved) -> None:
    release = releases.recorded(herald, saved.release_id)
    name = f"{release.name} {release.version}"
    if not saved.changed:
        text = f"Nothing changed: {name} already says that."
    elif saved.edited:
        text = f"Saved your changes to {name}; its announcements show them, marked as edited by you."
    else:
        when = "now" if release.sent_now else f"at {herald.renderer.format_when(release.announce_at)}"
        text = f"Recorded {name}; announcing it {when} in {plural(release.channels, 'subscribed channel')}."
    await herald.slack.chat_postEphemeral(channel=form.channel_id, user=user_id, text=text)


def subscribe(herald: Herald, call: Invocation, *, keep: str | None = None) -> Reply:
    words, prereleases = _subscription_words(call)
    spec = text_of(words)
    try:
        target = releases.subscribe(herald, channel_id=call.channel_id, spec=spec, prereleases=prereleases,
                                    actor_id=call.user_id, as_typed=keep is not None)
    except UnclearName as unclear:
        prefix, flags = TAG_PREFIX if unclear.kind == TAG else "", [PRERELEASES_FLAG] if prereleases else []
        return Reply(choices(herald.renderer, unclear, command="subscribe",
                             words_for=lambda name: [RELEASES, prefix + name, *flags]))
    extra = ", pre-releases included" if prereleases else ""
    new = "" if target.known else (f" Nothing called “{spec}” is known yet; this channel will get its releases "
                                   "once one is recorded.")
    return Reply(notice(herald.renderer, f"This channel now gets {target.label}{extra}.{new}"))


def unsubscribe(herald: Herald, call: Invocation) -> Reply:
    words, _ = _subscription_words(call)
    target = releases.unsubscribe(herald, channel_id=call.channel_id, spec=text_of(words), actor_id=call.user_id)
    return Reply(notice(herald.renderer, f"This channel no longer gets {target.label}."))


def subscriptions(herald: Herald, call: Invocation) -> Reply:
    rows = [(target.label, "pre-releases too" if prereleases else "")
            for target, prereleases in releases.subscriptions(herald, channel_id=call.channel_id)]
    return Reply(herald.renderer.message(
        "common/list.json.j2", title="Release announcements this channel gets", rows=rows, person=None,
        empty="None yet. `/launch subscribe releases <component|tag:…|all> [--prereleases]` adds one."))


def _subscription_words(call: Invocation) -> tuple[list[str], bool]:
    """The target's words and whether pre-releases too; `releases` (or `release`) before them is the keyword."""
    words = list(call.words)
    if words and words[0].lower() in (RELEASES, "release"):
        words = words[1:]
    elif words and closest(words[0], {RELEASES: RELEASES}, cutoff=KEYWORD_CUTOFF):
        raise InvalidInput(f"Did you mean `releases`? Use `/launch {call.subcommand} releases "
                           "<component|tag:…|all>`.")
    for word in words:  # an option mistyped would otherwise become part of the name, and be stored
        if word.startswith("--") and word.lower() not in OPTIONS:
            meant = closest(word, {option: option for option in OPTIONS}, limit=1)
            raise InvalidInput(f"I don't know the option `{text_of([word])}`."
                               + (f" Did you mean `{meant[0]}`?" if meant else ""))
    prereleases = PRERELEASES_FLAG in (w.lower() for w in words)
    return [w for w in words if w.lower() not in OPTIONS], prereleases


async def choose_name(ack, body: dict, action: dict, respond, herald: Herald) -> None:
    """A "did you mean" button: run its command again, as the person who pressed it, with the name chosen."""
    await ack()
    try:
        choice = choice_of(action.get("value") or "")
        channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if not channel_id:
            raise InvalidInput("This button is out of date: run the command again.")
        call = Invocation(choice.command, choice.words, body["user"]["id"], channel_id, False,
                          body.get("trigger_id", ""))
        reply = RUN_AGAIN[choice.command](herald, call, keep=choice.keep)
    except HeraldError as error:
        await respond(replace_original=True, **error_message(herald.renderer, error))
        return
    if reply.message is not None:
        await respond(replace_original=True, **reply.message)
    else:
        await respond(delete_original=True)
    if reply.after is not None:
        herald.background.spawn(reply.after())


RUN_AGAIN = {"subscribe": subscribe, "release": release, "digest": digests_ui.digest,
             directory_ui.WHOOWNS: directory_ui.run_again}


def _form_view(herald: Herald, form: ReleaseForm, preview: Message | None, *, recorded: Release | None) -> dict:
    """The form; for a version already recorded, filled in with what it says, so that saving it unchanged changes
    nothing (the tags and announcement time, which an edit keeps, are shown beside it)."""
    return herald.renderer.view("releases/form.json.j2", form=form, recorded=recorded, notes_limit=FORM_NOTES,
                                name=recorded.component_name if recorded else form.component,
                                metadata=form.model_dump_json(), preview=preview)


def _form_of(view: dict) -> ReleaseForm:
    """What the form carries; a mangled one (it is ours, so only forged) is answered, never a 5xx."""
    try:
        return ReleaseForm.model_validate_json(view.get("private_metadata") or "")
    except ValidationError:
        raise InvalidInput("This form is out of date: close it and run `/launch release` again.",
                           field="title") from None


def _release_input(form: ReleaseForm, values: dict[str, Any], *, user_id: str, now: datetime) -> ReleaseInput:
    def value(block: BlockId) -> Any:
        return values.get(block, {}).get(ActionId.INPUT, {})

    announce_at = None
    if (value(BlockId.WHEN).get("selected_option") or {}).get("value") == "later":
        stamp = value(BlockId.AT).get("selected_date_time")
        if not stamp:
            raise InvalidInput("Pick when to announce it.", field="when")
        try:
            announce_at = datetime.fromtimestamp(stamp, tz=UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            raise InvalidInput("Pick a date and time for the announcement.", field="when") from None
        if announce_at <= now:
            raise InvalidInput("Pick a time in the future, or choose “Announce now”.", field="when")
    tags = [t.strip() for t in (value(BlockId.TAGS).get("value") or "").split(",") if t.strip()]
    data = ReleaseInput(
        component=form.component, version=form.version, source="slack", created_by=user_id, prerelease=form.prerelease,
        title=value(BlockId.TITLE).get("value") or None, notes=value(BlockId.NOTES).get("value") or "",
        link=value(BlockId.LINK).get("value") or None, tags=tags, announce_at=announce_at,
    )
    validate(data)
    return data


FORM_FIELDS = {"title": BlockId.TITLE, "notes": BlockId.NOTES, "link": BlockId.LINK, "when": BlockId.AT}


def _field_of(error: HeraldError) -> str:
    """The modal input an error is about, so Slack shows it under that input."""
    return FORM_FIELDS.get(getattr(error, "field", None) or "", BlockId.NOTES)


def list_releases(herald: Herald, call: Invocation) -> Reply:
    """`/launch releases [component]`: the newest releases, each with where it was delivered or why not."""
    component = text_of(call.words) if call.words else None
    found = releases_here(herald, component=component)
    title = f"Recent releases of {found[0].name}" if component else "Recent releases"
    return Reply(herald.renderer.message("releases/list.json.j2", title=title, releases=found))

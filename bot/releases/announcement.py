"""What a release announcement says: the message for one delivery, from the release and the directory."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session, select

from bot.core.render import Message, Renderer, slack_escape
from bot.directory.models import Component, Contact, Team
from bot.launches.models import Launch
from bot.releases.models import Release, Subscription
from bot.releases.recording import Target

MARKDOWN_BLOCK = 12_000
MARKDOWN_LINK = re.compile(r"(?<!!)\[([^\]\n]*)\]\(\s*<?([a-zA-Z][a-zA-Z0-9+.-]*:[^\s)>]*)>?(?:\s+\"[^\"]*\")?\s*\)")


@dataclass(frozen=True)
class WhoToAsk:
    user_id: str | None
    channel: str | None


def announcement(session: Session, renderer: Renderer, release: Release, *, channel_id: str,
                 subscription_id: int | None = None, ask: WhoToAsk | None = None) -> Message:
    """The announcement as `channel_id` sees it; without a subscription (a preview) it gives no reason.

    `ask` is who_to_ask's answer when the caller already has it (one for a whole fan-out)."""
    subscription = session.get(Subscription, subscription_id) if subscription_id else None
    return renderer.message(
        "releases/announcement.json.j2",
        release=release,
        notes=notes_chunks(links_disclosed(release.notes)),
        ask=ask or who_to_ask(session, release.component),
        channel_id=channel_id,
        because=Target(subscription.target).label if subscription else None,
    )


def who_to_ask(session: Session, key: str) -> WhoToAsk:
    """The component's primary contact and team channel, or the launch's owner and channel."""
    row = session.exec(
        select(Contact.slack_user_id, Component.channel, Team.channel)
        .select_from(Component)
        .join(Contact, Component.primary_contact_id == Contact.id, isouter=True)
        .join(Team, Component.team_id == Team.id, isouter=True)
        .where(Component.key == key)
    ).first()
    if row:
        return WhoToAsk(row[0], row[1] or row[2])
    launch = session.exec(select(Launch.owner_id, Launch.channel_id).where(Launch.key == key)).first()
    return WhoToAsk(*launch) if launch else WhoToAsk(None, None)


def links_disclosed(notes: str) -> str:
    """Release notes are Markdown by design, so a link's text can hide where it goes; each link whose text is
    not its own address gets its host beside it: `[totally-legit](https://evil.example/login) (evil.example)`."""
    def disclosed(found: re.Match[str]) -> str:
        text, url = found.group(1), found.group(2)
        host = urlsplit(url).hostname or url
        if text.strip() in (url, host) or text.strip().rstrip("/") == url.rstrip("/"):
            return found.group(0)
        return f"{found.group(0)} ({host})"

    return MARKDOWN_LINK.sub(disclosed, notes)


def notes_chunks(notes: str) -> list[str]:
    """Notes split at paragraph, then line, then word boundaries so each escaped chunk fits a markdown block."""
    chunks: list[str] = []
    current = ""
    for piece in _pieces(notes.strip()):
        if current and len(slack_escape(current + piece)) > MARKDOWN_BLOCK:
            chunks.append(current.strip())
            current = ""
        current += piece
    if current.strip():
        chunks.append(current.strip())
    return chunks


def _pieces(text: str) -> list[str]:
    """Paragraphs, and words of any paragraph too long for one block, each keeping its separator."""
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        if len(slack_escape(paragraph)) <= MARKDOWN_BLOCK // 2:
            pieces.append(paragraph + "\n\n")
        else:
            pieces.extend(word + " " for word in paragraph.split(" "))
            pieces.append("\n\n")
    return pieces

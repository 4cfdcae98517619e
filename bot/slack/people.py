"""Finding the people owners files name (e-mail, @handle, user ID) in Slack, and checking they are still there."""

from __future__ import annotations

import asyncio

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.herald import Herald
from bot.core.slack_ids import is_user_id
from bot.directory import service as directory
from bot.directory.people import Person


async def resolve_people(client: AsyncWebClient, refs: set[str]) -> dict[str, Person]:
    """Find each contact in Slack: one pass over users.list, then users.lookupByEmail for the rest."""
    by_id, by_email, by_handle = await _workspace_users(client)
    found: dict[str, Person] = {}
    for ref in refs:
        if is_user_id(ref):
            person = by_id.get(ref)
        elif "@" in ref[1:]:
            person = by_email.get(ref) or await _lookup_email(client, ref)
        else:
            person = by_handle.get(ref.removeprefix("@"))
        if person:
            found[ref] = person
    return found


async def look_up_people(client: AsyncWebClient, user_ids: set[str]) -> dict[str, Person]:
    """These users as Slack has them now (users.info each); an unknown or inaccessible one is left out."""
    people = {}
    for user_id in user_ids:
        try:
            user = (await client.users_info(user=user_id))["user"]
        except SlackApiError:
            continue
        people[user_id] = person_from(user)
    return people


async def refresh_people(client: AsyncWebClient) -> dict[str, Person]:
    """Every person in the workspace by user ID, with whether their account is deactivated."""
    by_id, _, _ = await _workspace_users(client)
    return by_id


async def _workspace_users(client: AsyncWebClient) -> tuple[dict[str, Person], dict[str, Person], dict[str, Person]]:
    by_id: dict[str, Person] = {}
    by_email: dict[str, Person] = {}
    by_handle: dict[str, Person] = {}
    async for page in await client.users_list(limit=200):
        for user in page["members"]:
            if user.get("is_bot") or user.get("id") == "USLACKBOT":
                continue
            person = person_from(user)
            by_id[user["id"]] = person
            profile = user.get("profile", {})
            if profile.get("email"):
                by_email[profile["email"].lower()] = person
            for handle in (user.get("name"), profile.get("display_name")):
                if handle:
                    by_handle.setdefault(handle.lower(), person)
    return by_id, by_email, by_handle


async def _lookup_email(client: AsyncWebClient, email: str) -> Person | None:
    try:
        response = await client.users_lookupByEmail(email=email)
    except SlackApiError as error:
        if error.response.get("error") == "users_not_found":
            return None
        raise
    return person_from(response["user"])


def person_from(user: dict) -> Person:
    """A Slack user object (users.info, users.list) as a Person."""
    profile = user.get("profile", {})
    name = profile.get("display_name") or user.get("real_name") or user.get("name") or user["id"]
    return Person(user["id"], name, bool(user.get("deleted")))


async def recheck_contacts(herald: Herald, user_ids: set[str]) -> None:
    """Ask Slack whether the people just shown still have accounts, at most once a day each."""
    due = directory.contacts_to_recheck(herald, user_ids)
    if due:
        directory.record_slack_status(herald, await look_up_people(herald.slack, due))


async def recheck_everyone(herald: Herald) -> int:
    """Refresh every contact from users.list; returns how many changed."""
    people = await refresh_people(herald.slack)
    # Off the loop: a row per person in the workspace (570 people: 40-65 ms, and it grows with the company).
    return await asyncio.to_thread(directory.record_slack_status, herald, people)

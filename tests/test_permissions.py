"""Who may announce, edit and withdraw releases, and change a channel's subscriptions and digests.

Tried as the issue found it: with HERALD_ADMINS set, as a person who owns nothing (U0EVE).
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.core.errors import NotAllowed
from bot.digests.models import Digest
from bot.releases import service as releases
from bot.releases.models import Release, Subscription
from bot.releases.recording import ReleaseInput
from bot.slack.usergroups import refresh_announcers
from tests.support.factories import add_component, add_launch
from tests.test_release_delivery import announcements, drain, new_worker
from tests.test_release_surfaces import CI_TOKEN, ci

NOBODY = "U0EVE"
ADMIN = "U0ADMIN"
ANNOUNCER = "U0BOB"


@pytest.fixture
def settings_env(settings_env):
    return settings_env | {"HERALD_ADMINS": ADMIN, "HERALD_ANNOUNCERS": ANNOUNCER, "HERALD_WEBHOOK_TOKEN": CI_TOKEN}


@pytest.fixture
def launch(engine):
    with Session(engine) as session:
        add_launch(session, "Perm Probe", owner="U0ANN")
        session.commit()


def forms_opened(slack) -> int:
    return len(slack.calls_to("views.open"))


async def test_a_release_ci_published_cannot_be_rewritten_by_someone_who_owns_nothing(sender, slack):
    status, _ = await ci(sender, {"component": "billing", "version": "2.0.0", "id": "build-1"})
    assert status == 201
    answer = await sender.command("release billing 2.0.0", user=NOBODY)
    await sender.settle()
    assert "Only whoever recorded billing 2.0.0, its owners, Herald's announcers or an admin" in answer.text
    assert forms_opened(slack) == 0  # the form is not offered


async def test_only_owners_announcers_and_admins_announce_a_launch(sender, slack, launch):
    refused = await sender.command("release Perm Probe 1.0", user=NOBODY)
    assert "Only the owners of Perm Probe, Herald's announcers or an admin can announce its releases." in refused.text
    for who in ("U0ANN", ANNOUNCER, ADMIN):  # its owner, an announcer, an admin
        answer = await sender.command("release Perm Probe 1.0", user=who)
        assert answer.body == {}, (who, answer.text)
    await sender.settle()
    assert forms_opened(slack) == 3


async def test_a_channel_s_subscription_is_changed_only_by_who_set_it_up_or_an_admin(sender, engine):
    await sender.command("subscribe releases billing", channel="C0LAUNCHES", user="U0ANN")
    refused = await sender.command("unsubscribe releases billing", channel="C0LAUNCHES", user=NOBODY)
    assert "Only the person who set up this channel's billing releases, or a Herald admin" in refused.text
    switched = await sender.command("subscribe releases billing --prereleases", channel="C0LAUNCHES", user=NOBODY)
    assert "Only the person who set up" in switched.text
    with Session(engine) as session:
        [subscription] = session.exec(select(Subscription)).all()
    assert (subscription.active, subscription.prereleases) == (True, False)
    done = await sender.command("unsubscribe releases billing", channel="C0LAUNCHES", user=ADMIN)
    assert "no longer gets billing releases" in done.text


async def test_a_channel_s_digest_is_changed_only_by_who_set_it_up_or_an_admin(sender, engine):
    await sender.command("digest daily 09:00 UTC", channel="C0LAUNCHES", user="U0ANN")
    for text in ("digest off", "digest daily 10:00 UTC"):
        refused = await sender.command(text, channel="C0LAUNCHES", user=NOBODY)
        assert "Only the person who set up this digest, or a Herald admin" in refused.text
    with Session(engine) as session:
        [digest] = session.exec(select(Digest)).all()
    assert digest.cron == "0 9 * * *"
    off = await sender.command("digest off", channel="C0LAUNCHES", user=ADMIN)
    assert "digest is off" in off.text


class TestOpenByDefault:
    """With HERALD_ADMINS and HERALD_ANNOUNCERS both empty, everyone may do everything, as before."""

    @pytest.fixture
    def settings_env(self, settings_env):
        return {k: v for k, v in settings_env.items() if k not in ("HERALD_ADMINS", "HERALD_ANNOUNCERS")}

    async def test_anyone_may(self, sender, slack, launch):
        await sender.command("subscribe releases billing", channel="C0LAUNCHES", user="U0ANN")
        answer = await sender.command("unsubscribe releases billing", channel="C0LAUNCHES", user=NOBODY)
        assert "no longer gets billing releases" in answer.text
        assert (await sender.command("release Perm Probe 1.0", user=NOBODY)).body == {}


async def test_an_admin_opening_a_ci_release_in_slack_edits_it_rather_than_announcing_it_twice(sender, herald, engine):
    await ci(sender, {"component": "billing", "version": "2.0.0", "id": "build-1"})
    releases.record(herald, ReleaseInput(component="billing", version="2.0.0", source="slack", title="Faster",
                                         created_by=ADMIN))
    with Session(engine) as session:
        [release] = session.exec(select(Release)).all()
    assert (release.title, release.revision) == ("Faster", 2)
    with pytest.raises(NotAllowed):
        releases.record(herald, ReleaseInput(component="billing", version="2.0.0", source="slack", title="URGENT",
                                             created_by=NOBODY))


async def test_every_edit_and_withdrawal_is_in_the_release_s_history(sender, herald, slack, engine):
    await sender.command("subscribe releases billing", channel="C0LAUNCHES", user=ADMIN)
    await ci(sender, {"component": "billing", "version": "2.0.0", "id": "build-1", "title": "Faster"})
    releases.record(herald, ReleaseInput(component="billing", version="2.0.0", source="slack", title="Faster invoices",
                                         created_by=ADMIN))
    await drain(new_worker(herald))
    [announcement] = announcements(slack, "C0LAUNCHES")
    assert f"Edited by <@{ADMIN}>." in str(announcement["blocks"])
    await ci(sender, {"component": "billing", "version": "2.0.0", "id": "build-1", "action": "withdraw"})

    answer = await sender.command("release history billing 2.0.0", user=NOBODY)
    assert "History of billing 2.0.0" in answer.text
    lines = answer.text
    assert "webhook — recorded" in lines
    assert f"<@{ADMIN}> — title: Faster → Faster invoices" in lines
    assert "webhook — withdrawn: no → yes" in lines


class TestAnnouncerGroups:
    @pytest.fixture
    def settings_env(self, settings_env):
        return settings_env | {"HERALD_ANNOUNCERS": "S0SUPPORT"}

    async def test_members_of_an_announcer_group_may_announce_once_slack_has_named_them(self, sender, herald, slack,
                                                                                         launch):
        slack.usergroups["S0SUPPORT"] = [NOBODY]
        before = await sender.command("release Perm Probe 1.0", user=NOBODY)
        assert "Only the owners of Perm Probe" in before.text
        await refresh_announcers(herald)
        after = await sender.command("release Perm Probe 1.0", user=NOBODY)
        assert after.body == {}
        slack.usergroups["S0SUPPORT"] = []  # removed from the group: gone at the next refresh
        await refresh_announcers(herald)
        assert "Only the owners of Perm Probe" in (await sender.command("release Perm Probe 1.0", user=NOBODY)).text


async def test_naming_a_launch_after_someone_s_component_claims_none_of_its_releases(sender, engine):
    with Session(engine) as session:
        add_component(session, "billing", primary="U0ANN")
        session.commit()
    refused = await sender.command("new Billing", user=NOBODY)
    assert "“Billing” is a component in the ownership directory" in refused.text
    await ci(sender, {"component": "payouts", "version": "2.0.0", "id": "build-9"})  # a CI component, not listed
    await sender.command("new Payouts", user=NOBODY)  # the name is free as a launch, but not its releases
    answer = await sender.command("release payouts 2.0.0", user=NOBODY)
    assert "Only whoever recorded payouts 2.0.0" in answer.text
    new_version = await sender.command("release payouts 2.1.0", user=NOBODY)
    assert "Only the owners of payouts" in new_version.text


async def test_capital_prereleases_flag_is_the_flag(sender, engine):
    await sender.command("subscribe releases billing --PRERELEASES", channel="C0LAUNCHES", user="U0ANN")
    with Session(engine) as session:
        [subscription] = session.exec(select(Subscription)).all()
    assert (subscription.target, subscription.prereleases) == ("billing", True)

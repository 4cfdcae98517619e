"""The sign-off gate and where sign-offs show: a launch is not `ready` or `launched` until everyone asked has
approved (an admin may override, with a reason kept in the history); the card, the board, the App Home and
digests show who is missing.

Requests are stored directly with the models, as bot/signoffs stores them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.core.block_ids import ActionId, BlockId
from bot.digests.models import Digest
from bot.digests.runner import render
from bot.launches.models import Launch, LaunchChange
from bot.launches.read import board
from bot.launches.signoff_models import Answer, SignoffAsk, SignoffRequest
from tests.support.factories import add_launch, add_team
from tests.test_app_home import open_home
from tests.test_digest_statements import counting

ADMIN = "U0ADMIN"
OWNER = "U0ANN"


@pytest.fixture
def settings_env(settings_env):
    return settings_env | {"HERALD_ADMINS": ADMIN}


def ask(engine, launch_name: str, who: str, label: str, answer: Answer = Answer.PENDING, *,
        reason: str | None = None, recipients: tuple[str, ...] = ()) -> None:
    """A sign-off request as bot/signoffs stores one, with the DMs or channel it was sent to."""
    with Session(engine) as session:
        launch = session.exec(select(Launch).where(Launch.name == launch_name)).one()
        request = SignoffRequest(launch_id=launch.id, who=who, label=label, answer=answer, requested_by=OWNER,
                                 requested_at=datetime(2026, 11, 20, 9, tzinfo=UTC), reason=reason,
                                 answered_by=None if answer == Answer.PENDING else "U0LEGAL")
        session.add(request)
        session.flush()
        session.add_all(SignoffAsk(request_id=request.id, recipient=recipient) for recipient in recipients)
        session.commit()


def stage_and_history(engine) -> tuple[str, list[tuple[str, str | None, str | None]]]:
    with Session(engine) as session:
        launch = session.exec(select(Launch)).one()
        rows = session.exec(select(LaunchChange).where(LaunchChange.field != "created").order_by(LaunchChange.id)).all()
        return launch.stage, [(row.field, row.old_value, row.new_value) for row in rows]


@pytest.fixture
def q4(engine):
    """Q4 pricing: Legal has not answered, @ben approved, Security asked for changes."""
    with Session(engine) as session:
        add_launch(session, "Q4 pricing", owner=OWNER, stage="beta")
    ask(engine, "Q4 pricing", "team:legal", "Legal")
    ask(engine, "Q4 pricing", "U0BEN", "@ben", Answer.APPROVED)
    ask(engine, "Q4 pricing", "team:security", "Security", Answer.CHANGES, reason="the DPA is unsigned")


@pytest.mark.parametrize("stage", ["ready", "launched"])
async def test_a_launch_with_missing_signoffs_cannot_be_ready_or_launched_and_is_told_who(sender, engine, q4, stage):
    answer = await sender.command(f"set Q4 pricing stage {stage}", user=OWNER)
    assert ("Waiting for sign-off from Legal; Security asked for changes: the DPA is unsigned" in answer.text)
    assert '--override \\"reason\\"' in answer.text
    assert stage_and_history(engine) == ("beta", [])


async def test_other_stages_and_fields_are_not_held_back(sender, engine, q4):
    await sender.command("set Q4 pricing stage building", user=OWNER)
    await sender.command("set Q4 pricing risk at_risk", user=OWNER)
    assert stage_and_history(engine)[0] == "building"


async def test_a_launch_everyone_approved_goes_ready(sender, engine):
    with Session(engine) as session:
        add_launch(session, "Q4 pricing", owner=OWNER, stage="beta")
    ask(engine, "Q4 pricing", "team:legal", "Legal", Answer.APPROVED)
    await sender.command("set Q4 pricing stage ready", user=OWNER)
    assert stage_and_history(engine) == ("ready", [("stage", "beta", "ready")])


async def test_an_admin_overrides_with_a_reason_kept_in_the_history(sender, engine, q4):
    await sender.command('set Q4 pricing stage launched --override "legal signed on paper"', user=ADMIN)
    await sender.settle()
    missing = "Waiting for sign-off from Legal; Security asked for changes: the DPA is unsigned"
    assert stage_and_history(engine) == ("launched", [("stage", "beta", "launched"),
                                                      ("sign-off override", missing, "legal signed on paper")])
    history = await sender.command("history Q4 pricing", user=OWNER)
    assert f"overrode missing sign-offs ({missing}): legal signed on paper" in history.text


async def test_only_an_admin_may_override_and_a_refusal_changes_nothing(sender, engine, q4):
    answer = await sender.command('set Q4 pricing stage launched --override "trust me"', user=OWNER)
    assert "Only a Herald admin can override missing sign-offs" in answer.text
    for empty in ("", ' "\u200b"'):  # nothing, or only a zero-width space, says no reason
        answer = await sender.command(f"set Q4 pricing stage launched --override{empty}", user=ADMIN)
        assert "Say why you override" in answer.text
    assert stage_and_history(engine) == ("beta", [])


async def test_the_app_home_form_is_held_back_too(sender, engine, slack, q4):
    with Session(engine) as session:
        launch = session.exec(select(Launch)).one()
    await sender.action({"type": "button", "action_id": ActionId.UPDATE_LAUNCH, "value": str(launch.id)}, user=OWNER)
    await sender.settle()
    [opened] = slack.calls_to("views.open")
    form = opened.args["view"]
    values = {BlockId.STAGE: {ActionId.INPUT: {"selected_option": {"value": "ready"}}},
              BlockId.RISK: {ActionId.INPUT: {"selected_option": {"value": "on_track"}}},
              BlockId.REASON: {ActionId.INPUT: {"value": None}}}
    refused = await sender.view_submission({"callback_id": form["callback_id"],
                                            "private_metadata": form["private_metadata"],
                                            "state": {"values": values}}, user=OWNER)
    assert "Waiting for sign-off from Legal" in refused.json["errors"][BlockId.STAGE]
    assert stage_and_history(engine) == ("beta", [])


async def test_the_card_and_the_board_show_the_signoffs(sender, q4):
    card = await sender.command("status Q4 pricing")
    assert "*Sign-offs 1/3 · Security: needs changes*" in card.text
    assert "Security: the DPA is unsigned" in card.text and ":hourglass: Legal: asked" in card.text
    listed = await sender.command("status")
    assert "Sign-offs 1/3 · Security: needs changes" in listed.text


def test_the_board_reads_signoffs_in_the_same_statements_for_2_launches_as_for_20(engine):
    counts = []
    for size in (2, 20):
        with Session(engine) as session:
            for n in range(len(session.exec(select(Launch)).all()), size):
                add_launch(session, f"Launch {n:03}", owner=OWNER)
        for n in range(size - (2 if size == 2 else 18), size):
            ask(engine, f"Launch {n:03}", "team:legal", "Legal")
        with Session(engine) as session, counting(engine) as statements:
            shown = board(session)
        assert len(shown.signoffs) == size
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def test_the_app_home_starts_with_the_signoffs_waiting_for_me(sender, engine):
    with Session(engine) as session:
        for name in ("Direct", "Via group", "Via team", "Answered", "Someone else's"):
            add_launch(session, name, owner="U0BOB")
        add_team(session, "Legal", members=["U0ME"], channel="C0LEGAL")
    ask(engine, "Direct", "U0ME", "@me", recipients=("U0ME",))
    ask(engine, "Via group", "S0SUPPORT", "@support-team", recipients=("U0ME", "U0OTHER"))
    ask(engine, "Via team", "team:legal", "Legal", recipients=("C0LEGAL",))
    ask(engine, "Answered", "U0ME", "@me", Answer.APPROVED, recipients=("U0ME",))
    ask(engine, "Someone else's", "U0OTHER", "@other", recipients=("U0OTHER",))

    view = await open_home(sender, "U0ME", "Ev0SIGN1")
    assert view["blocks"][0]["text"]["text"] == "Waiting for your sign-off"
    waiting = view["blocks"][1]["text"]["text"]
    assert "*Direct*" in waiting and "*Via group* (as @support-team)" in waiting and "*Via team* (as Legal)" in waiting
    assert "Answered" not in waiting and "Someone else" not in waiting
    assert "asked by <@U0ANN>" in waiting

    nobody = await open_home(sender, "U0NOBODY", "Ev0SIGN2")
    assert nobody["blocks"][0]["text"]["text"] == "Your launches"


def digest_text(herald, engine) -> str:
    digest = Digest(cron="0 9 * * *", timezone="UTC", created_by=OWNER, channel_id="C0ALL")
    with Session(engine) as session:
        message = render(herald, session, digest, period=datetime(2026, 11, 25, 9, tzinfo=UTC), force=True)
    return str(message["blocks"])


def test_digests_have_an_awaiting_signoff_section(herald, engine, q4):
    with Session(engine) as session:
        add_launch(session, "All approved", owner=OWNER)
    ask(engine, "All approved", "team:legal", "Legal", Answer.APPROVED)
    text = digest_text(herald, engine)
    assert "*Awaiting sign-off*\\n• *Q4 pricing* · not set · Sign-offs 1/3 · Security: needs changes · waiting for Legal" in text
    assert "All approved" not in text.split("Awaiting sign-off")[1]


def test_the_awaiting_signoff_section_takes_the_same_statements_for_2_launches_as_for_20(herald, engine):
    counts = []
    for size in (2, 20):
        with Session(engine) as session:
            for n in range(len(session.exec(select(Launch)).all()), size):
                add_launch(session, f"Launch {n:03}", owner=OWNER, target=str((datetime(2026, 12, 1) + timedelta(n)).date()))
        for n in range(size - (2 if size == 2 else 18), size):
            ask(engine, f"Launch {n:03}", "team:legal", "Legal")
            ask(engine, f"Launch {n:03}", "U0BEN", "@ben", Answer.CHANGES, reason="copy")
        with counting(engine) as statements:
            text = digest_text(herald, engine)
        assert text.count("waiting for Legal") == size
        counts.append(len(statements))
    assert counts[0] == counts[1]

"""A resident's concern from /start to the manager's chat, through the real Application."""

from __future__ import annotations

from bot.services.access.roles import Role
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role, consent, count_cases, file_concern

MANAGER_LINDEN = 700_010


async def test_concern_reaches_the_manager_of_the_district(env: BotEnv) -> None:
    await bind_role(env, MANAGER_LINDEN, Role.MANAGER, district="10")
    sim = env.sim
    erika = sim.user(1001, first_name="Erika", language_code="en")
    await consent(erika)
    reference = await file_concern(erika)

    assert reference.startswith("10-2026-")
    manager_chat = sim.user(MANAGER_LINDEN, language_code="en")
    notification = manager_chat.last.plain_text
    assert f"New concern {reference}" in notification
    assert "Linden-Süd" in notification and "Linden-Limmer" in notification
    assert "full of rubbish" in notification
    assert await count_cases(env) == 1
    # nothing went to the coordinators: the district has a manager
    assert env.api.sent.get(ADMIN_ID, []) == []


async def test_district_without_manager_goes_to_coordinators(env: BotEnv) -> None:
    admin = env.sim.user(ADMIN_ID, language_code="en")
    await admin.send("/sprache")
    await admin.press("English")  # stored: messages the bot sends on its own use it
    erika = env.sim.user(1002, language_code="en")
    await consent(erika)
    reference = await file_concern(erika, place="Kirchrode")
    assert reference.startswith("06-")
    assert reference in admin.last.plain_text
    assert "no manager of this district" in admin.last.plain_text


async def test_restart_in_the_middle_keeps_every_answer(env: BotEnv) -> None:
    await bind_role(env, MANAGER_LINDEN, Role.MANAGER, district="10")
    erika = env.sim.user(1003, language_code="en")
    await consent(erika)
    await erika.send("/neu")
    await erika.send("Limmer")
    await erika.press("Yes")
    await erika.press("Public space")
    await erika.send("Broken bench in the park at the Leine.")

    sim = await env.restart()  # a new Application over the same database
    erika = sim.user(1003)
    await erika.press("Continue without more photos")
    await erika.send("erika@example.org")
    await erika.press("No, privately")
    summary = erika.last.plain_text
    assert "Limmer" in summary and "Broken bench" in summary and "erika@example.org" in summary
    await erika.press("Send")
    manager = sim.user(MANAGER_LINDEN)
    assert "Broken bench in the park" in manager.last.plain_text
    assert "erika@example.org" in manager.last.plain_text


async def test_every_district_is_reachable_from_the_list(env: BotEnv) -> None:
    erika = env.sim.user(1004, language_code="en")
    await consent(erika)
    for district in env.services.reference.districts:
        await erika.send("/neu")
        await erika.press("Choose district from list")
        await erika.press(district.name)
        await erika.press(district.quarters[-1])
        await erika.press("Other")
        await erika.send(f"A concern for {district.name}.")
        await erika.press("Continue without more photos")
        await erika.press("Skip")
        await erika.press("No, privately")
        await erika.press("Send")
        assert f"{district.number}-2026-0001" in erika.last.plain_text
    assert await count_cases(env) == 13


async def test_cancel_stores_nothing_and_change_returns_to_review(env: BotEnv) -> None:
    erika = env.sim.user(1005, language_code="en")
    await consent(erika)
    await erika.send("/neu")
    await erika.send("30449")
    await erika.press("Linden-Mitte")
    await erika.press("Family")
    await erika.send("We need a meeting place for young families.")
    await erika.press("Continue without more photos")
    await erika.press("Skip")
    await erika.press("Club or association")
    await erika.send("Familienzentrum Linden e.V.")
    await erika.press("Change")
    await erika.press("Topic")
    await erika.press("Education")
    assert "Topic: Education" in erika.last.plain_text  # straight back to the review
    assert "Familienzentrum Linden" in erika.last.plain_text
    await erika.press("Cancel")
    assert "Nothing was sent" in erika.last.plain_text
    assert await count_cases(env) == 0


async def test_ambiguous_postcode_leads_to_a_choice(env: BotEnv) -> None:
    erika = env.sim.user(1006, language_code="en")
    await consent(erika)
    await erika.send("/neu")
    await erika.send("30453")
    assert "several districts" in erika.messages[-2].plain_text
    assert set(erika.buttons()) == {"Linden-Limmer", "Ahlem-Badenstedt-Davenstedt", "Ricklingen"}


async def test_photos_and_location_reach_the_manager(env: BotEnv) -> None:
    await bind_role(env, MANAGER_LINDEN, Role.MANAGER, district="10")
    erika = env.sim.user(1007, language_code="en")
    await consent(erika)
    await erika.send("/neu")
    await erika.send_location(52.37, 9.73)
    assert "location is saved" in erika.messages[-2].plain_text  # no boundary file configured
    await erika.press("Linden-Limmer")
    await erika.press("Linden-Nord")
    await erika.press("Public space")
    await erika.send("Graffiti on the underpass.")
    for _ in range(3):
        await erika.send_photo()
    await erika.send_photo()
    assert "already added 3 photos" in erika.last.plain_text
    await erika.press("Continue without more photos")
    await erika.press("Skip")
    await erika.press("No, privately")
    await erika.press("Send")
    manager_messages = env.api.sent[MANAGER_LINDEN]
    assert [m.method for m in manager_messages] == ["sendMediaGroup"] * 3 + [
        "sendLocation",
        "sendMessage",
    ]
    assert manager_messages[3].location["latitude"] == 52.37

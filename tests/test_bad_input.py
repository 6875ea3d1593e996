"""Bad input gets a polite answer in the user's language and loses nothing."""

from __future__ import annotations

from tests.conftest import BotEnv
from tests.helpers import consent, count_cases


async def _at_description(env: BotEnv, user_id: int) -> object:
    user = env.sim.user(user_id, language_code="en")
    await consent(user)
    await user.send("/neu")
    await user.send("Bult")
    await user.press("Yes")
    await user.press("Senior citizens")
    return user


async def test_sticker_and_voice_where_text_is_expected(env: BotEnv) -> None:
    user = await _at_description(env, 2001)
    await user.send_sticker()
    assert "describe your concern as text" in user.last.plain_text
    await user.send_voice()
    assert "describe your concern as text" in user.last.plain_text
    await user.send("Benches for the bus stop, please.")
    assert "photos" in user.last.plain_text  # the conversation went on from where it was


async def test_oversized_text_is_refused_politely(env: BotEnv) -> None:
    user = await _at_description(env, 2002)
    limit = env.settings.max_text_length
    await user.send("x" * (limit + 1))
    assert f"please shorten it to at most {limit}" in user.last.plain_text
    await user.send("A short text.")
    assert "photos" in user.last.plain_text


async def test_blank_place_and_unknown_place(env: BotEnv) -> None:
    user = env.sim.user(2003, language_code="en")
    await consent(user)
    await user.send("/neu")
    await user.send("Atlantis am Meer")
    assert "could not find that place" in user.messages[-2].plain_text
    assert "Mitte" in user.buttons()  # the district list follows


async def test_unknown_command_outside_and_inside_intake(env: BotEnv) -> None:
    user = env.sim.user(2004, language_code="en")
    await consent(user)
    await user.send("/frobnicate")
    assert "do not know that command" in user.last.plain_text
    await user.send("/neu")
    await user.send("/frobnicate")
    assert "middle of a concern" in user.last.plain_text
    await user.send("Südstadt")  # still in the place step
    assert "Südstadt" in user.last.plain_text and "Yes" in user.buttons()


async def test_old_button_is_refused_and_changes_nothing(env: BotEnv) -> None:
    user = env.sim.user(2005, language_code="en")
    await consent(user)
    await user.send("/neu")
    await user.send("Bult")
    guess = user.last
    await user.press("Yes")
    await user.press("Senior citizens")
    # the keyboard was removed, but an old client may still send the button's data
    answer = await user.press_data("in:ok", message=guess)
    assert answer is not None and "no longer valid" in (answer.text or "")
    await user.send("Still describing.")
    assert "photos" in user.last.plain_text


async def test_forged_intake_callback_data(env: BotEnv) -> None:
    user = env.sim.user(2006, language_code="en")
    await consent(user)
    await user.send("/neu")
    await user.press_data("in:q:99:0")  # no district 99
    await user.press_data("in:t:nonsense")
    await user.press_data("in:confirm")  # not at the review step
    assert await count_cases(env) == 0


async def test_group_chat_gets_one_answer_and_nothing_else(env: BotEnv) -> None:
    group = env.sim.group(-5001, "Nachbarschaft Linden")
    member = env.sim.user(2007, language_code="en")
    await group.send(member, "/start")
    await group.send(member, "/neu")
    await group.send(member, "hello bot")
    sent = env.api.sent.get(-5001, [])
    assert len(sent) == 1 and "only work in a private chat" in sent[0].plain_text


async def test_intake_needs_consent_first(env: BotEnv) -> None:
    user = env.sim.user(2008, language_code="en")
    await user.send("/neu")
    assert "accept the privacy notice" in user.last.plain_text
    await user.send("/start")
    await user.press("No")
    assert "Without your consent" in user.last.plain_text


async def test_german_user_is_answered_in_german(env: BotEnv) -> None:
    user = env.sim.user(2009, language_code="de")
    await user.send("/start")
    assert "Hallo" in user.last.plain_text
    assert "Ich stimme zu" in " ".join(user.buttons())


async def test_a_forged_language_button_sets_no_unshipped_language(env: BotEnv) -> None:
    from bot.services.access import people
    from bot.storage.db import session_scope

    erika = env.sim.user(1301, language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    await erika.press_data("lang:xx")
    async with session_scope(env.services.session_maker) as session:
        person = await people.get_person(session, telegram_id=1301)
    assert person is not None and person.language == "de"
    await erika.send("/hilfe")
    assert erika.last.plain_text.startswith("So funktioniert es")  # still German

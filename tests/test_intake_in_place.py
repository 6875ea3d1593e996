"""The intake's next question replaces the pressed question in place (one Bot API call besides
the button's answer), but only when nothing came after it in the chat: a question edited
further up would be out of the resident's sight, so then it is sent anew."""

from __future__ import annotations

from bot.offline.simulator import SimUser
from tests.conftest import BotEnv


async def _to_the_place_question(env: BotEnv, user: SimUser) -> None:
    await user.send("/start")
    await user.press(user.buttons()[0])  # consent, first button in every language
    await user.send("/neu")
    await user.send("linden sued")


async def test_german_yes_turns_the_place_question_into_the_topic_question(env: BotEnv) -> None:
    erika = env.sim.user(1301, first_name="Erika", language_code="de")
    await _to_the_place_question(env, erika)
    question = erika.last
    assert question.plain_text == "Linden-Süd, Stadtbezirk Linden-Limmer?"
    count, first = len(erika.messages), len(env.api.calls)
    await erika.press("Ja")
    calls = [c.method for c in env.api.calls[first:]]
    assert sorted(calls) == ["answerCallbackQuery", "editMessageText"]
    assert len(erika.messages) == count  # no new message: the question changed in place
    assert erika.last.message_id == question.message_id
    assert erika.last.plain_text.startswith("Schritt 2 von 6\nWorum geht es?")
    await erika.press("Öffentlicher Raum")
    assert erika.last.message_id == question.message_id
    assert "höchstens 2000 Zeichen" in erika.last.plain_text
    assert erika.buttons(erika.last) == []  # the topics are gone: nothing to press twice


async def test_german_a_question_above_a_typed_message_is_asked_anew(env: BotEnv) -> None:
    erika = env.sim.user(1302, first_name="Erika", language_code="de")
    await _to_the_place_question(env, erika)
    await erika.press("Ja")
    topics = erika.last
    await erika.send("Müll")  # typed where a button is expected: the question is asked again
    assert erika.last.message_id != topics.message_id
    assert erika.last.plain_text.startswith("Schritt 2 von 6")
    count = len(erika.messages)
    await erika.press("Öffentlicher Raum", message=topics)
    assert len(erika.messages) == count + 1  # asked below, where the resident reads
    assert "höchstens 2000 Zeichen" in erika.last.plain_text
    assert erika.buttons(topics) == []  # the pressed keyboard is removed all the same


async def test_english_the_photo_step_is_sent_anew_after_a_photo(env: BotEnv) -> None:
    john = env.sim.user(1303, first_name="John", language_code="en")
    await _to_the_place_question(env, john)
    await john.press("Yes")
    await john.press("Public space")
    await john.send("The square at the corner is full of litter every weekend.")
    prompt = john.last
    await john.send_photo()
    count = len(john.messages)
    await john.press("Continue without more photos", message=prompt)
    assert len(john.messages) == count + 1
    assert john.last.plain_text.startswith("Step 5 of 6")
    assert john.buttons(prompt) == []


async def test_english_after_a_restart_a_new_message_is_sent(env: BotEnv) -> None:
    john = env.sim.user(1304, first_name="John", language_code="en")
    await _to_the_place_question(env, john)
    question = john.last
    await env.restart()  # the newest message of each chat is not known any more
    count = len(john.messages)
    await john.press("Yes", message=question)
    assert len(john.messages) == count + 1
    assert john.last.plain_text.startswith("Step 2 of 6")
    assert john.buttons(question) == []

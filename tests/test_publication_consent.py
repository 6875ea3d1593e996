"""Consent to publish a concern's text: chosen at the review, stored on the case, honoured by the
Open311 read API, off unless the resident switches it on."""

from __future__ import annotations

import json

import httpx
from pydantic import SecretStr
from sqlalchemy import select

from bot.offline.simulator import SimUser
from bot.services.cases.records import Draft
from bot.storage.db import session_scope
from bot.storage.models import Case
from bot.web.server import build_web_app
from tests.conftest import BotEnv
from tests.helpers import consent, file_concern, reference_in, to_review

TEXT = "The fountain on the square has been dry since April and the basin is full of leaves."
PUBLISH_NO, PUBLISH_YES = "🌐 Publish text: no", "🌐 Publish text: yes"
SAYS_NO = "Publication: your description will not be published."
SAYS_YES = "Publication: your description may appear anonymously in the city's open data."


async def _to_review(user: SimUser, text: str = TEXT) -> None:
    await to_review(user, text=text)


async def _consent_of(env: BotEnv, reference: str) -> bool:
    async with session_scope(env.services.session_maker) as session:
        value = await session.scalar(
            select(Case.publication_consent).where(Case.reference == reference)
        )
    assert value is not None, reference
    return value


async def _open311(env: BotEnv, path: str) -> httpx.Response:
    settings = env.settings.model_copy(
        update={
            "webhook_url": "https://bot.example.org",
            "webhook_secret": SecretStr("s" * 32),
        }
    )
    assert env.app is not None
    transport = httpx.ASGITransport(app=build_web_app(settings, env.services, env.app))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
        response = await http.get("/open311/v2/" + path)
    assert response.status_code == 200, response.text
    return response


async def test_switching_publication_on_stores_it_and_publishes_the_text(env: BotEnv) -> None:
    erika = env.sim.user(4101, language_code="en")
    await consent(erika)
    await _to_review(erika)
    review = erika.last
    assert SAYS_NO in review.plain_text and "Open311" in review.plain_text
    assert erika.buttons(review)[1] == PUBLISH_NO
    sent_before = len(env.api.sent[4101])

    await erika.press(PUBLISH_NO)
    # the same review, redrawn: no second summary in the chat
    assert len(env.api.sent[4101]) == sent_before and erika.last.message_id == review.message_id
    assert SAYS_YES in erika.last.plain_text and SAYS_NO not in erika.last.plain_text
    assert erika.buttons(erika.last) == ["✅ Send", PUBLISH_YES, "✏️ Change", "✖️ Cancel"]

    await erika.press("Send")
    reference = reference_in(erika.last.plain_text)
    assert await _consent_of(env, reference) is True

    [record] = (await _open311(env, f"requests/{reference}.json")).json()
    assert record["description"] == TEXT
    xml = (await _open311(env, f"requests/{reference}.xml")).text
    assert f"<description>{TEXT}</description>" in xml

    await erika.send("/meine_daten")
    document = erika.messages[-2].document  # the file, then its readable summary
    assert document is not None and document.content is not None
    [case] = json.loads(document.content)["cases"]
    assert case["description_may_be_published"] is True


async def test_switching_twice_publishes_nothing(env: BotEnv) -> None:
    erika = env.sim.user(4102, language_code="en")
    await consent(erika)
    await _to_review(erika)
    await erika.press(PUBLISH_NO)
    await erika.press(PUBLISH_YES)
    assert SAYS_NO in erika.last.plain_text and erika.buttons(erika.last)[1] == PUBLISH_NO
    await erika.press("Send")
    reference = reference_in(erika.last.plain_text)
    assert await _consent_of(env, reference) is False
    [record] = (await _open311(env, f"requests/{reference}.json")).json()
    assert record["description"] is None
    assert TEXT not in (await _open311(env, "requests.xml")).text


async def test_plain_send_publishes_nothing(env: BotEnv) -> None:
    erika = env.sim.user(4103, language_code="en")
    await consent(erika)
    reference = await file_concern(erika, text=TEXT)
    assert await _consent_of(env, reference) is False
    body = (await _open311(env, "requests.json")).text
    assert reference in body and "fountain" not in body


async def test_switching_after_a_change_keeps_the_choice(env: BotEnv) -> None:
    erika = env.sim.user(4104, language_code="en")
    await consent(erika)
    await _to_review(erika)
    await erika.press(PUBLISH_NO)
    await erika.press("Change")
    await erika.press("Topic")
    await erika.press("Education")
    assert "Topic: Education" in erika.last.plain_text and SAYS_YES in erika.last.plain_text
    await erika.press("Send")
    assert await _consent_of(env, reference_in(erika.last.plain_text)) is True


async def test_a_draft_saved_before_the_choice_existed_still_works(env: BotEnv) -> None:
    assert Draft.from_dict({"topic": "other"}).publication_consent is False
    erika = env.sim.user(4105, language_code="en")
    await consent(erika)
    await _to_review(erika)
    assert env.app is not None
    del env.app.user_data[4105]["draft"]["publication_consent"]  # as stored by the old version

    sim = await env.restart()  # the draft comes back from the database
    erika = sim.user(4105)
    await erika.send("what now?")  # typed at the review: the review is shown again
    assert SAYS_NO in erika.last.plain_text and TEXT in erika.last.plain_text
    await erika.press(PUBLISH_NO)
    assert SAYS_YES in erika.last.plain_text
    await erika.press("Send")
    assert await _consent_of(env, reference_in(erika.last.plain_text)) is True


async def test_german_wording(env: BotEnv) -> None:
    erika = env.sim.user(4106, language_code="de")
    await erika.send("/start")
    await erika.press_data("consent:yes")
    await erika.send("/neu")
    await erika.send("linden sued")
    await erika.press_data("in:ok")
    await erika.press_data("in:t:public_space")
    await erika.send("Der Brunnen auf dem Platz ist seit April trocken.")
    await erika.press_data("in:photos_done")
    await erika.press_data("in:skip_contact")
    await erika.press_data("in:a:none")
    summary = erika.last.plain_text
    assert "Veröffentlichung: Ihre Beschreibung wird nicht veröffentlicht." in summary
    assert "offenen Datenschnittstelle der Stadt (Open311)" in summary
    assert erika.buttons(erika.last)[1] == "🌐 Text veröffentlichen: nein"
    await erika.press("🌐 Text veröffentlichen: nein")
    assert "Ihre Beschreibung darf anonym in den offenen Daten der Stadt" in erika.last.plain_text
    assert erika.buttons(erika.last)[1] == "🌐 Text veröffentlichen: ja"

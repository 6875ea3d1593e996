"""The offline harness: a real Application talks to FakeBotAPI, users act through Simulator."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InvalidCallbackData,
    MessageHandler,
    filters,
)

from bot.offline.fake_api import FakeBotAPI
from bot.offline.simulator import Simulator, running
from bot.updates.processor import ChatOrderedUpdateProcessor

Context = ContextTypes.DEFAULT_TYPE
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Ja", callback_data="vote:yes")],
        [InlineKeyboardButton("Nein, danke", callback_data="vote:no")],
    ]
)


def build_app(api: FakeBotAPI, **builder: Any) -> Application:
    app = (
        ApplicationBuilder()
        .token("123456:TEST")
        .request(api)
        .get_updates_request(api)
        .concurrent_updates(ChatOrderedUpdateProcessor(16))
    )
    if builder.get("arbitrary_callback_data"):
        app = app.arbitrary_callback_data(True)
    return app.build()


@pytest.fixture
def api() -> FakeBotAPI:
    return FakeBotAPI()


@pytest.fixture
def log() -> list[Any]:
    return []


@pytest.fixture
def app(api: FakeBotAPI, log: list[Any]) -> Application:
    app = build_app(api)

    async def start(update: Update, context: Context) -> None:
        log.append(("start", context.args))
        await update.message.reply_html("<b>Hallo</b> &amp; willkommen", reply_markup=KEYBOARD)

    async def vote(update: Update, context: Context) -> None:
        query = update.callback_query
        log.append(("vote", query.data))
        await query.answer("Gespeichert")
        await query.edit_message_text(f"Danke: {query.data}")

    async def forged(update: Update, context: Context) -> None:
        log.append(("forged", update.callback_query.data))
        await update.callback_query.answer("Unbekannte Aktion", show_alert=True)

    async def ask_street(update: Update, context: Context) -> None:
        await update.message.reply_text("Welche Straße?", reply_markup=ForceReply())

    async def menu(update: Update, context: Context) -> None:
        keyboard = ReplyKeyboardMarkup([["Anliegen melden", "Hilfe"]], resize_keyboard=True)
        await update.message.reply_text("Menü", reply_markup=keyboard)

    async def text(update: Update, context: Context) -> None:
        message = update.message
        quoted = message.reply_to_message
        log.append(
            (
                "text",
                message.text,
                quoted.text if quoted else None,
                quoted.from_user.is_bot if quoted else None,
            )
        )
        try:
            await message.reply_text(f"Du schreibst: {message.text}")
        except (Forbidden, RetryAfter, TimedOut) as exc:
            log.append(("error", type(exc).__name__, str(exc)))

    async def photo(update: Update, context: Context) -> None:
        file = await update.message.photo[-1].get_file()
        log.append(("photo", bytes(await file.download_as_bytearray())))
        export = json.dumps({"fälle": [1, 2]}).encode()
        await update.message.reply_document(export, filename="export.json", caption="Export")
        await update.message.reply_media_group(
            [InputMediaPhoto(b"\xff\xd8one"), InputMediaPhoto(b"\xff\xd8two", caption="Zwei")]
        )
        await update.message.reply_location(52.3759, 9.7320)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("strasse", ask_street))
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(vote, pattern=r"^vote:(yes|no)$"))
    app.add_handler(CallbackQueryHandler(forged))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text))
    return app


async def test_reply_is_stored_and_deserializes(app: Application, api: FakeBotAPI, log: list[Any]):
    async with running(app):
        erika = Simulator(app, api).user(1001, first_name="Erika", username="erika")
        replies = await erika.send("/start fall-42")

    assert log == [("start", ["fall-42"])]
    assert [m.message_id for m in replies] == [2]  # the user's /start was message 1
    reply = erika.last
    assert reply.chat_id == 1001 and reply.parse_mode == "HTML"
    assert reply.text == "<b>Hallo</b> &amp; willkommen"
    assert reply.plain_text == "Hallo & willkommen"
    assert reply.reply_markup == KEYBOARD.to_dict()
    message = reply.to_message(app.bot)
    assert isinstance(message, Message)
    assert message.from_user.username == "BezirksbotTestBot" and message.from_user.is_bot
    assert message.reply_markup == KEYBOARD
    assert erika.buttons() == ["Ja", "Nein, danke"]
    assert [call.method for call in api.calls] == ["getMe", "sendMessage"]
    assert api.calls[1].params["chat_id"] == 1001


async def test_press_answers_and_edits(app: Application, api: FakeBotAPI, log: list[Any]):
    async with running(app):
        erika = Simulator(app, api).user(1001)
        await erika.send("/start")
        answer = await erika.press("Ja")
        assert answer is not None and answer.text == "Gespeichert" and not answer.show_alert
        assert erika.last.text == "Danke: vote:yes"
        assert erika.last.edited[0]["text"] == "<b>Hallo</b> &amp; willkommen"
        assert erika.buttons() == []  # editing without reply_markup drops the keyboard, as live
        assert erika.last.to_message(app.bot).edit_date is not None
        with pytest.raises(AssertionError, match="no button 'Ja'"):
            await erika.press("Ja")

        await erika.send("/start")
        await erika.press("nein")  # no exact label: case-free substring
        await erika.send("/start")
        with pytest.raises(AssertionError, match=r"'Vielleicht'.*\['Ja', 'Nein, danke'\]"):
            await erika.press("Vielleicht")
    assert log[1] == ("vote", "vote:yes") and log[3] == ("vote", "vote:no")


async def test_forged_callback_data(app: Application, api: FakeBotAPI, log: list[Any]):
    async with running(app):
        erika = Simulator(app, api).user(1001)
        await erika.send("/start")
        answer = await erika.press_data("vote:delete-all")
    assert log[-1] == ("forged", "vote:delete-all")
    assert answer is not None and answer.show_alert and answer.text == "Unbekannte Aktion"


async def test_arbitrary_callback_data_round_trip(api: FakeBotAPI):
    pytest.importorskip("cachetools", reason="needs python-telegram-bot[callback-data]")
    seen: list[object] = []
    app = build_app(api, arbitrary_callback_data=True)

    async def offer(update: Update, context: Context) -> None:
        keyboard = [[InlineKeyboardButton("Bezirk Mitte", callback_data=("district", 1))]]
        await update.message.reply_text("Bezirk?", reply_markup=InlineKeyboardMarkup(keyboard))

    async def chosen(update: Update, context: Context) -> None:
        seen.append(update.callback_query.data)
        await update.callback_query.answer()

    app.add_handler(CommandHandler("start", offer))
    app.add_handler(CallbackQueryHandler(chosen))
    async with running(app):
        erika = Simulator(app, api).user(7)
        await erika.send("/start")
        await erika.press("Bezirk Mitte")
        await erika.press_data("not-from-our-cache")
    assert seen[0] == ("district", 1)
    assert isinstance(seen[1], InvalidCallbackData)


async def test_reply_to_bot_message_quotes_it(app: Application, api: FakeBotAPI, log: list[Any]):
    async with running(app):
        erika = Simulator(app, api).user(1001)
        await erika.send("/strasse")
        question = erika.last
        await erika.reply_to(question, "Lange Laube")
    assert log == [("text", "Lange Laube", "Welche Straße?", True)]
    assert api.user_messages[(1001, 3)]["reply_to_message"]["message_id"] == question.message_id


async def test_reply_keyboard_buttons_are_sent_as_text(
    app: Application, api: FakeBotAPI, log: list[Any]
):
    async with running(app):
        erika = Simulator(app, api).user(1001)
        await erika.send("/menu")
        assert erika.reply_keyboard == [["Anliegen melden", "Hilfe"]]
        await erika.press_reply("Hilfe")
        with pytest.raises(AssertionError, match="no reply-keyboard button"):
            await erika.press_reply("Abbrechen")
    assert log == [("text", "Hilfe", None, None)]


async def test_uploads_downloads_albums_and_locations(
    app: Application, api: FakeBotAPI, log: list[Any]
):
    async with running(app):
        erika = Simulator(app, api).user(1001)
        replies = await erika.send_photo(caption="Müll am Maschsee", content=b"\xff\xd8photo")
    assert log == [("photo", b"\xff\xd8photo")]
    document, first, second, location = replies
    assert document.document is not None and document.document.file_name == "export.json"
    assert json.loads(document.document.content) == {"fälle": [1, 2]}
    assert document.caption == "Export"
    assert first.media_group_id == second.media_group_id is not None
    assert first.photo.content == b"\xff\xd8one" and second.caption == "Zwei"
    assert location.location == {"latitude": 52.3759, "longitude": 9.732}
    for sent in replies:
        sent.to_message(app.bot)  # every stored message deserializes


async def test_blocked_chat_raises_forbidden(app: Application, api: FakeBotAPI, log: list[Any]):
    api.blocked.add(1001)
    async with running(app):
        await Simulator(app, api).user(1001).send("Hallo")
    assert log[-1] == ("error", "Forbidden", "Forbidden: bot was blocked by the user")
    assert api.sent[1001] == []
    assert api.calls[-1].error == "Forbidden: bot was blocked by the user"


@pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")  # raised inside PTB itself
async def test_fault_injection(app: Application, api: FakeBotAPI, log: list[Any]):
    async with running(app):
        erika = Simulator(app, api).user(1001)
        api.fail_next("sendMessage", retry_after=7)
        await erika.send("eins")
        api.raise_next("sendMessage")
        await erika.send("zwei")
        await erika.send("drei")
    errors = [entry for entry in log if entry[0] == "error"]
    assert errors[0][:2] == ("error", "RetryAfter")
    assert "7" in errors[0][2]
    assert errors[1][:2] == ("error", "TimedOut")
    assert erika.texts() == ["Du schreibst: drei"]


@pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")  # raised inside PTB itself
async def test_retry_after_carries_seconds(api: FakeBotAPI):
    app = build_app(api)
    async with running(app):
        api.fail_next("sendMessage", retry_after=3)
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(1001, "x")
        await app.bot.send_message(1001, "y")  # the fault fires only once
    assert "retry in 3" in str(caught.value).lower()
    assert [m.text for m in api.sent[1001]] == ["y"]


async def test_other_methods(api: FakeBotAPI):
    app = build_app(api)
    bot = app.bot
    async with running(app):
        await bot.set_my_commands([("start", "Beginnen"), ("hilfe", "Hilfe")], language_code="de")
        assert [c.command for c in await bot.get_my_commands(language_code="de")] == [
            "start",
            "hilfe",
        ]
        assert api.commands_for("de") == ["start", "hilfe"]
        await bot.delete_my_commands(language_code="de")
        assert await bot.get_my_commands(language_code="de") == ()
        assert await bot.set_chat_menu_button()
        assert await bot.send_chat_action(1001, "typing")
        chat = await bot.get_chat(1001)
        assert chat.id == 1001 and chat.type == "private"
        assert await bot.set_webhook("https://example.invalid/hook")
        assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
        assert await bot.delete_webhook()

        sent = await bot.send_message(1001, "alt")
        with pytest.raises(BadRequest, match=r"(?i)not modified"):
            await bot.edit_message_text("alt", chat_id=1001, message_id=sent.message_id)
        await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=KEYBOARD)
        assert api.find(1001, sent.message_id).reply_markup == KEYBOARD.to_dict()
        copy = await bot.copy_message(-100500, 1001, sent.message_id)
        assert api.find(-100500, copy.message_id).text == "alt"
        forwarded = await bot.forward_message(-100500, 1001, sent.message_id)
        assert forwarded.forward_origin.sender_user.is_bot
        assert await bot.delete_message(1001, sent.message_id)
        assert api.find(1001, sent.message_id).deleted
        assert api.messages(1001) == []
        with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
            await bot.delete_message(1001, sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)method sendTelepathy not found"):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            too_long = InlineKeyboardButton("x", callback_data="x" * 65)
            await bot.send_message(1001, "k", reply_markup=InlineKeyboardMarkup([[too_long]]))
        started = time.monotonic()
        assert await bot.get_updates(timeout=30) == ()
        assert time.monotonic() - started < 1  # long polling is cut short, but does not spin


async def test_delay_applies_per_call(api: FakeBotAPI):
    api.delay = 0.05
    app = build_app(api)
    async with running(app):
        started = time.monotonic()
        await asyncio.gather(*(app.bot.send_message(1001, str(n)) for n in range(5)))
        elapsed = time.monotonic() - started
    assert 0.05 <= elapsed < 0.25  # concurrent calls overlap like real round trips
    assert [m.message_id for m in api.sent[1001]] == [1, 2, 3, 4, 5]


async def test_group_and_direct_delivery(app: Application, api: FakeBotAPI, log: list[Any]):
    async with running(app):
        sim = Simulator(app, api, via_queue=False)  # app.process_update(): no processor
        erika, ole = sim.user(1001), sim.user(1002, first_name="Ole")
        group = sim.group(-100123, "Bezirksrat Mitte")
        await group.send(erika, "/start")
        await group.send(ole, "Moin")
        await group.press(ole, "Ja")
    assert [entry[0] for entry in log] == ["start", "text", "vote"]
    assert group.texts() == ["Danke: vote:yes", "Du schreibst: Moin"]
    assert group.messages[0].reply_to_message_id == 1  # replies quote in groups (PTB default)
    assert api.chats[-100123]["type"] == "group" and erika.messages == []


async def test_polling_delivers_pushed_updates(app: Application, api: FakeBotAPI, log: list[Any]):
    sim = Simulator(app, api)
    erika = sim.user(1001)
    api.push_update({"update_id": 1, "message": erika.build_message(erika.user, text="Moin")})
    async with running(app):
        await app.updater.start_polling(poll_interval=0)
        for _ in range(100):
            if log:
                break
            await asyncio.sleep(0.02)
        await app.updater.stop()
    assert log == [("text", "Moin", None, None)]

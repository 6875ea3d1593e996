"""The webhook server: secret check, updates reaching the real bot, health, metrics, serve."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from starlette.applications import Starlette

from bot import cli
from bot.app import build_application
from bot.config import Settings
from bot.services.messaging import outbox, reminders
from bot.storage.db import create_engine, create_session_maker, session_scope
from bot.web.server import SECRET_HEADER, WebhookConfigError, build_web_app
from tests.conftest import BotEnv, make_settings

SECRET = "test-secret_0123456789abcdefXYZ"
ROOT = Path(__file__).resolve().parent.parent


def web_settings(env: BotEnv, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_url": "https://bot.example.org",
        "webhook_secret": SECRET,
        "webhook_path": "/telegram/hook",
    }
    values.update(overrides)
    if isinstance(values["webhook_secret"], str):  # model_copy does not validate
        values["webhook_secret"] = SecretStr(values["webhook_secret"])
    return env.settings.model_copy(update=values)


def web_app(env: BotEnv, **overrides: Any) -> Starlette:
    assert env.app is not None
    return build_web_app(web_settings(env, **overrides), env.services, env.app)


@pytest.fixture
async def client(env: BotEnv) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=web_app(env))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
        yield http


_update_ids = iter(range(1, 10**6))


def start_update(user_id: int, text: str = "/start") -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Erika", "language_code": "en"}
    message: dict[str, Any] = {
        "message_id": 1,
        "date": int(time.time()),
        "from": user,
        "chat": {"id": user_id, "type": "private", "first_name": "Erika"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": next(_update_ids), "message": message}


async def post(
    http: httpx.AsyncClient, update: Any, secret: str | None = SECRET, path: str = "/telegram/hook"
) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return await http.post(path, json=update, headers=headers)


async def settle(env: BotEnv) -> None:
    assert env.sim is not None
    await env.sim.settle()
    await asyncio.sleep(0)  # done-callbacks of the finished update tasks


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


# --- the webhook ----------------------------------------------------------------------------
async def test_right_secret_reaches_the_bot(env: BotEnv, client: httpx.AsyncClient) -> None:
    response = await post(client, start_update(5001))
    assert response.status_code == 200
    await settle(env)
    assert env.api.messages(5001), "the bot answered through the Bot API stand-in"


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET[:-1], SECRET + "x", SECRET.upper()])
async def test_wrong_or_missing_secret_is_refused(
    env: BotEnv, client: httpx.AsyncClient, secret: str | None
) -> None:
    response = await post(client, start_update(5002), secret=secret)
    assert response.status_code == 403
    await settle(env)
    assert not env.api.messages(5002)
    assert env.app is not None and env.app.update_queue.empty()
    metrics = samples((await client.get("/metrics")).text)
    assert metrics[("bezirksbot_updates_processed_total", ())] == 0
    assert metrics[("bezirksbot_webhook_requests_total", (("outcome", "forbidden"),))] == 1


async def test_only_post_on_the_configured_path(env: BotEnv, client: httpx.AsyncClient) -> None:
    assert (await post(client, start_update(5003), path="/telegram")).status_code == 404
    assert (await client.get("/telegram/hook", headers={SECRET_HEADER: SECRET})).status_code == 405
    await settle(env)
    assert not env.api.messages(5003)


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"message": {}}', b'{"update_id": "7"}'])
async def test_a_body_that_is_no_update_is_a_bad_request(
    env: BotEnv, client: httpx.AsyncClient, body: bytes
) -> None:
    headers = {SECRET_HEADER: SECRET, "content-type": "application/json"}
    response = await client.post("/telegram/hook", content=body, headers=headers)
    assert response.status_code == 400
    metrics = samples((await client.get("/metrics")).text)
    assert metrics[("bezirksbot_errors_total", (("source", "webhook"),))] == 1


async def test_oversized_body_is_refused(env: BotEnv, client: httpx.AsyncClient) -> None:
    update = start_update(5004, text="x" * (1024 * 1024 + 1))
    assert (await post(client, update)).status_code == 400
    await settle(env)
    assert not env.api.messages(5004)


async def test_stopped_bot_answers_503_so_telegram_retries(env: BotEnv) -> None:
    idle = build_application(env.settings, env.services, request=env.api, rate_limit=False)
    app = build_web_app(web_settings(env), env.services, idle)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
        assert (await post(http, start_update(5005))).status_code == 503
        health = await http.get("/healthz")
    assert health.status_code == 503
    assert "bot not running" in health.json()["reasons"]


async def test_web_app_needs_a_real_secret(env: BotEnv) -> None:
    for secret in (None, "changeme", "  "):
        with pytest.raises(WebhookConfigError):
            web_app(env, webhook_secret=secret)


# --- health ---------------------------------------------------------------------------------
async def test_health_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["reasons"] == []
    assert body["database"] == "ok" and body["outbox_backlog"] == 0
    assert body["reminder_backlog"] == 0


async def test_health_fails_when_the_outbox_backlog_is_too_large(env: BotEnv) -> None:
    async with session_scope(env.services.session_maker) as session:
        for i in range(3):
            outbox.enqueue(
                session, chat_id=7000 + i, data=outbox.payload("hello"), now=env.clock.now()
            )
    transport = httpx.ASGITransport(app=web_app(env, health_max_outbox_backlog=2))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
        response = await http.get("/healthz")
        metrics = samples((await http.get("/metrics")).text)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy" and body["outbox_backlog"] == 3
    assert body["reasons"] == ["outbox backlog 3 > 2"]
    assert metrics[("bezirksbot_outbox_backlog", ())] == 3


async def test_health_fails_when_reminders_are_overdue(env: BotEnv) -> None:
    now = env.clock.now()
    async with session_scope(env.services.session_maker) as session:
        await reminders.schedule(
            session,
            key="test:overdue",
            kind="unknown_kind",
            due_at=now - timedelta(minutes=10),
            now=now,
        )
        await reminders.schedule(
            session,
            key="test:just-due",
            kind="unknown_kind",
            due_at=now - timedelta(seconds=30),
            now=now,
        )
        await reminders.schedule(
            session, key="test:later", kind="unknown_kind", due_at=now + timedelta(days=1), now=now
        )
    transport = httpx.ASGITransport(app=web_app(env, health_max_reminder_backlog=0))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
        response = await http.get("/healthz")
        metrics = samples((await http.get("/metrics")).text)
    assert response.status_code == 503
    assert response.json()["reasons"] == ["reminder backlog 1 > 0"]
    assert metrics[("bezirksbot_reminders_overdue", ())] == 1


async def test_health_fails_without_database(env: BotEnv, tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'no.sqlite3'}")
    broken = dataclasses.replace(env.services, session_maker=create_session_maker(engine))
    assert env.app is not None
    app = build_web_app(web_settings(env), broken, env.app)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
            response = await http.get("/healthz")
            metrics = samples((await http.get("/metrics")).text)
    finally:
        await engine.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    assert "database unreachable" in response.json()["reasons"]
    assert str(tmp_path) not in response.text
    assert metrics[("bezirksbot_database_up", ())] == 0


# --- metrics --------------------------------------------------------------------------------
async def test_metrics_count_updates_latency_and_errors(
    env: BotEnv, client: httpx.AsyncClient
) -> None:
    for user_id in (5101, 5102, 5103):
        assert (await post(client, start_update(user_id))).status_code == 200
    await settle(env)
    env.api.fail_next("sendMessage", error_code=400, description="Bad Request: test failure")
    assert (await post(client, start_update(5104))).status_code == 200
    await settle(env)
    async with session_scope(env.services.session_maker) as session:
        await reminders.schedule(
            session,
            key="test:sent",
            kind="unknown_kind",
            due_at=env.clock.now(),
            now=env.clock.now(),
        )
    from bot.jobs import run_sweep

    await run_sweep(env.app)

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    metrics = samples(response.text)
    assert metrics[("bezirksbot_updates_processed_total", ())] == 4
    assert metrics[("bezirksbot_handler_latency_seconds_count", ())] == 4
    assert metrics[("bezirksbot_update_latency_seconds_count", ())] == 4
    assert metrics[("bezirksbot_webhook_requests_total", (("outcome", "accepted"),))] == 4
    assert metrics[("bezirksbot_errors_total", (("source", "update"),))] == 1
    assert metrics[("bezirksbot_outbox_backlog", ())] == 0
    assert metrics[("bezirksbot_reminders_overdue", ())] == 0
    assert metrics[("bezirksbot_reminders_sent_total", ())] == 1
    assert metrics[("bezirksbot_database_up", ())] == 1
    assert metrics[("bezirksbot_updates_in_flight", ())] == 0
    for name in ("bezirksbot_handler_latency_seconds", "bezirksbot_update_latency_seconds"):
        assert 0 < metrics[(f"{name}_sum", ())] < 10


async def test_updates_the_guards_stop_are_counted_too(
    env: BotEnv, client: httpx.AsyncClient
) -> None:
    update = start_update(5201)
    assert (await post(client, update)).status_code == 200
    await settle(env)
    assert (await post(client, update)).status_code == 200  # the same update again
    await settle(env)
    group = {
        "update_id": next(_update_ids),
        "message": {
            "message_id": 3,
            "date": int(time.time()),
            "text": "hello",
            "from": {"id": 5202, "is_bot": False, "first_name": "Max"},
            "chat": {"id": -100200, "type": "group", "title": "Nachbarn"},
        },
    }
    assert (await post(client, group)).status_code == 200
    await settle(env)
    metrics = samples((await client.get("/metrics")).text)
    assert metrics[("bezirksbot_updates_processed_total", ())] == 3
    assert len(env.api.messages(5201)) >= 1


async def test_two_apps_have_separate_registries(env: BotEnv) -> None:
    first, second = web_app(env), web_app(env)
    assert first.state.metrics.registry is not second.state.metrics.registry


# --- settings and the command ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"webhook_secret": None}, "WEBHOOK_SECRET is missing"),
        ({"webhook_secret": "changeme"}, "WEBHOOK_SECRET is missing or a placeholder"),
        ({"webhook_secret": "short_secret"}, "too short"),
        ({"webhook_secret": "has spaces in it, sadly!"}, "may only contain"),
        ({"webhook_url": None}, "WEBHOOK_URL"),
        ({"webhook_url": "bot.example.org"}, "WEBHOOK_URL"),
        ({"webhook_path": "telegram"}, "WEBHOOK_PATH"),
        ({"webhook_path": "/metrics"}, "WEBHOOK_PATH must not be"),
        ({"webhook_path": "/open311/v2/x"}, "WEBHOOK_PATH must not be"),
    ],
)
def test_webhook_settings_are_checked(
    tmp_path: Path, overrides: dict[str, Any], problem: str
) -> None:
    values = {"webhook_url": "https://bot.example.org", "webhook_secret": SECRET}
    values.update(overrides)
    settings = make_settings(tmp_path, **values)
    assert any(problem in p for p in settings.webhook_problems()), settings.webhook_problems()


def test_good_webhook_settings(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        webhook_url="https://bot.example.org/",
        webhook_secret=SECRET,
        webhook_path="/telegram/a1b2",
    )
    assert settings.webhook_problems() == []
    assert settings.webhook_full_url() == "https://bot.example.org/telegram/a1b2"
    assert settings.listen_host == "127.0.0.1" and settings.listen_port == 8080


def test_serve_refuses_to_start_without_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(
        tmp_path,
        telegram_bot_token="123456:TEST",
        webhook_url="https://bot.example.org",
        webhook_secret="changeme",
    )
    monkeypatch.setattr(cli, "_settings", lambda: settings)
    assert cli.main(["serve"]) == 2
    assert "WEBHOOK_SECRET is missing or a placeholder" in capsys.readouterr().err


# --- serve in a process of its own ----------------------------------------------------------
SERVE_SCRIPT = """
import asyncio, json, os
from bot.config import Settings
from bot.logging_setup import configure_logging
from bot.offline.fake_api import FakeBotAPI
from bot.web.server import serve

settings = Settings(_env_file=None)
configure_logging(settings)
api = FakeBotAPI()
asyncio.run(serve(settings, request=api, rate_limit=False))
print(json.dumps({
    "webhook": [call.params for call in api.calls_to("setWebhook")],
    "answers": len(api.messages(int(os.environ["CHAT"]))),
}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(tmp_path: Path, chat: int, **env: str) -> tuple[subprocess.Popen[str], str]:
    """`serve()` in a process of its own over the test's database; returns once healthy."""
    port = _free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields},
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": make_settings(tmp_path).database_url,
        "TELEGRAM_BOT_TOKEN": "123456:TEST",
        "WEBHOOK_URL": "https://bot.example.org",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_PATH": "/tg",
        "LISTEN_PORT": str(port),
        "FLOOD_MESSAGES_PER_MINUTE": "0",
        "CHAT": str(chat),
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_SCRIPT],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    return process, base
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "serve did not become healthy"
            time.sleep(0.1)
    except BaseException:
        process.kill()
        process.communicate()
        raise


def test_serve_registers_the_webhook_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    process, base = start_serve(tmp_path, 5301)
    try:
        good = {SECRET_HEADER: SECRET}
        assert httpx.post(base + "/tg", json=start_update(5301), headers=good).status_code == 200
        assert httpx.post(base + "/tg", json=start_update(5302)).status_code == 403
        deadline = time.monotonic() + 10
        while "bezirksbot_updates_processed_total 1.0" not in httpx.get(base + "/metrics").text:
            assert time.monotonic() < deadline, "the update was not processed"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "webhook server stopped" in err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["answers"] >= 1
    assert result["webhook"] == [
        {
            "url": "https://bot.example.org/tg",
            "secret_token": SECRET,
            "allowed_updates": result["webhook"][0]["allowed_updates"],
        }
    ]
    assert "message" in result["webhook"][0]["allowed_updates"]
    assert SECRET not in err


# --- bad input never answers 5xx ----------------------------------------------------------------
async def asgi_post(app: Starlette, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    """One POST straight through ASGI, with headers no HTTP client would send."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/telegram/hook",
        "raw_path": b"/telegram/hook",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("bot.test", 80),
    }
    messages = iter([{"type": "http.request", "body": body, "more_body": False}])

    async def receive() -> dict[str, Any]:
        return next(messages, {"type": "http.disconnect"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


@pytest.mark.parametrize("declared", ["²", "¹³", "-1", "1e3", "abc", " 12"])
async def test_a_strange_content_length_is_no_server_error(env: BotEnv, declared: str) -> None:
    headers = [
        (SECRET_HEADER.lower().encode(), SECRET.encode()),
        (b"content-length", declared.encode("latin-1")),  # as a server decodes it
    ]
    assert await asgi_post(web_app(env), headers, b"not json") == 400
    update = json.dumps(start_update(5101)).encode()
    assert await asgi_post(web_app(env), headers, update) == 200
    await settle(env)
    assert env.api.messages(5101)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8,
)  # fmt: skip
_NO_UPDATE = st.one_of(
    st.binary(max_size=64),
    _JSON.map(lambda v: json.dumps(v).encode()),
    st.builds(
        lambda update_id, junk: json.dumps({"update_id": update_id, "message": junk}).encode(),
        st.one_of(st.text(max_size=4), st.floats(allow_nan=False), st.none()),
        _JSON,
    ),
)


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=_NO_UPDATE, query=st.text(max_size=20), secret=st.sampled_from([SECRET, "", "x"]))
async def test_no_bad_input_answers_5xx(
    env: BotEnv, client: httpx.AsyncClient, body: bytes, query: str, secret: str
) -> None:
    headers = {SECRET_HEADER: secret, "content-type": "application/json"}
    response = await client.post("/telegram/hook", content=body, headers=headers)
    assert response.status_code == (400 if secret == SECRET else 403)
    for path in ("/healthz", "/metrics"):
        response = await client.get(path, params={"q": query, query: "1"})
        assert response.status_code == 200, response.text
    assert (await client.get("/healthz")).json()["status"] == "ok"
    assert env.app is not None and env.app.update_queue.empty()

"""The webhook server: Telegram updates, /healthz, /metrics and Open311 on one ASGI app.

python-telegram-bot's custom-webhook pattern: the Application runs in the same event loop as
uvicorn; the webhook route checks Telegram's secret header, turns the JSON into an Update,
puts it on `application.update_queue`, stores it in the durable inbox (bot.updates.inbox: an
instance killed before handling it replays it at its next start) and then answers 200; the
bot's own update processor (each chat in order, chats in parallel) takes it from the queue,
exactly as with polling. `serve()` is what `bezirksbot serve` runs.

    POST {WEBHOOK_PATH}      Telegram's updates (403 without the right secret header)
    GET  /healthz            200 or 503 with the reasons, as JSON
    GET  /metrics            Prometheus text format
    GET  /open311/v2/...     Open311 GeoReport v2, read only (bot.web.open311)

Expose only the webhook path and /open311 through the reverse proxy; /healthz and /metrics
are for the orchestrator and Prometheus.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import json
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import ExtBot
from telegram.request import BaseRequest

from bot.app import build_application, make_services, open_storage
from bot.config import Settings
from bot.context import BotApplication, Services
from bot.updates.inbox import WEBHOOK_GRACE, Inbox, inbox_of, replay_later
from bot.updates.inbox import install as install_inbox
from bot.updates.persistence import persist_after_each_update
from bot.web import open311
from bot.web.metrics import DB_TIMEOUT, WebMetrics, database_reachable, read_backlog

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024  # an update is a few kilobytes; anything this large is not one
GRACEFUL_SECONDS = 10  # uvicorn waits this long for open requests at shutdown


class WebhookConfigError(ValueError):
    """The settings do not allow serving the webhook (see Settings.webhook_problems)."""


def build_web_app(
    settings: Settings,
    services: Services,
    ptb_app: BotApplication,
    *,
    metrics: WebMetrics | None = None,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The ASGI app of one instance; instruments `ptb_app` for the metrics."""
    secret = settings.webhook_secret_value
    if secret is None:
        raise WebhookConfigError("WEBHOOK_SECRET is missing or a placeholder")
    expected = secret.encode()
    metrics = metrics or WebMetrics()
    metrics.instrument(ptb_app)
    maker = services.session_maker

    async def webhook(request: Request) -> Response:
        started, wall = time.perf_counter(), time.time()
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            metrics.webhook_requests.labels("forbidden").inc()
            return Response(status_code=403)
        if not ptb_app.running:  # starting or stopping: Telegram delivers again later
            metrics.webhook_requests.labels("unavailable").inc()
            return Response(status_code=503)
        read = await _read_update(request, ptb_app)
        if read is None:
            metrics.webhook_requests.labels("bad_request").inc()
            metrics.errors.labels("webhook").inc()
            return Response(status_code=400)
        data, update = read
        metrics.received(update.update_id, started, wall)
        # Handled at once; stored meanwhile, and the 200 waits for the store: Telegram
        # forgets the update only once an instance killed before finishing it can replay it.
        # Without the 200 it delivers the update again, and the ledger makes that a no-op.
        await ptb_app.update_queue.put(update)
        inbox = inbox_of(ptb_app)
        if inbox is not None:
            try:
                await inbox.keep(data)
            except Exception as error:
                log.warning("webhook: update not stored (%s)", type(error).__name__)
                metrics.webhook_requests.labels("unavailable").inc()
                return Response(status_code=503)
        metrics.webhook_requests.labels("accepted").inc()
        return Response(status_code=200)

    async def healthz(_request: Request) -> Response:
        body, reasons = await health(settings, services, ptb_app)
        return JSONResponse(body, status_code=503 if reasons else 200)

    async def metrics_endpoint(_request: Request) -> Response:
        await metrics.refresh(maker, services.clock.now())
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    routes: list[BaseRoute] = [
        Route(settings.webhook_path, webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *open311.routes(services),
        *extra_routes,
    ]
    app = Starlette(routes=routes)
    app.state.metrics = metrics
    return app


async def health(
    settings: Settings, services: Services, ptb_app: BotApplication
) -> tuple[dict[str, Any], list[str]]:
    """The health report (database, backlogs, bot) and the reasons it is unhealthy."""
    limits = {
        "outbox_backlog": settings.health_max_outbox_backlog,
        "reminder_backlog": settings.health_max_reminder_backlog,
    }
    body: dict[str, Any] = {"database": "ok", "bot": "running", "limits": limits}
    reasons: list[str] = []
    try:
        async with asyncio.timeout(DB_TIMEOUT):
            await database_reachable(services.session_maker)
            backlog = await read_backlog(services.session_maker, services.clock.now())
    except Exception as error:  # the reason is logged, not shown: it may name the server
        log.warning("health check: database unreachable (%s)", type(error).__name__)
        body["database"] = "unreachable"
        reasons.append("database unreachable")
    else:
        body["outbox_backlog"] = backlog.outbox
        body["reminder_backlog"] = backlog.reminders_due
        if backlog.outbox > settings.health_max_outbox_backlog:
            reasons.append(
                f"outbox backlog {backlog.outbox} > {settings.health_max_outbox_backlog}"
            )
        if backlog.reminders_due > settings.health_max_reminder_backlog:
            reasons.append(
                f"reminder backlog {backlog.reminders_due} > "
                f"{settings.health_max_reminder_backlog}"
            )
    if not ptb_app.running:
        body["bot"] = "stopped"
        reasons.append("bot not running")
    body["status"] = "unhealthy" if reasons else "ok"
    body["reasons"] = reasons
    return body, reasons


async def _read_update(
    request: Request, ptb_app: BotApplication
) -> tuple[dict[str, Any], Update] | None:
    """The body and its Update, or None when the body is not one (logged without content)."""
    declared = request.headers.get("content-length", "")
    # isdecimal, not isdigit: int() refuses the digit "²" (a 500 behind a lenient server)
    if declared.isascii() and declared.isdecimal() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            raise ValueError("no update_id")
        update = Update.de_json(data, ptb_app.bot)
    except Exception as error:
        log.warning("webhook: body is not an update (%s)", type(error).__name__)
        return None
    if isinstance(ptb_app.bot, ExtBot):  # as python-telegram-bot's own webhook does
        ptb_app.bot.insert_callback_data(update)
    return data, update


# --- serving -----------------------------------------------------------------------------------
def _listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket before anything starts, so a taken port fails clearly."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


@contextlib.contextmanager
def _stop_on_signals(server: uvicorn.Server) -> Iterator[None]:
    """SIGTERM/SIGINT stop the server; the bot then stops and persists before we return.

    uvicorn handles the signals itself while it serves, and afterwards re-raises the signal
    it caught to the handler that was there before it started. Without this handler in
    between, that re-raised SIGTERM would end the process before the bot had stopped.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, _frame: object) -> None:
        if server.should_exit and signum == signal.SIGINT:
            server.force_exit = True  # a second Ctrl-C: do not wait for open requests
        server.should_exit = True

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


async def serve(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    metrics: WebMetrics | None = None,
) -> None:
    """Migrate, start the bot, listen, register the webhook; until SIGTERM or Ctrl-C.

    `request` replaces the network to Telegram (the offline stand-in in tests and the load
    benchmark); `rate_limit=False` leaves out the Bot API rate limiter.
    """
    problems = settings.webhook_problems()
    if problems:
        raise WebhookConfigError("; ".join(problems))
    sock = _listen(settings.listen_host, settings.listen_port)
    try:
        engine, maker = await open_storage(settings)  # migrates, as `bezirksbot migrate` does
        try:
            services = make_services(settings, maker)
            ptb_app = build_application(settings, services, request=request,
                                        rate_limit=rate_limit)  # fmt: skip
            # An instance that dies leaves the latest conversation states and the updates it
            # had accepted (the inbox), as in polling mode.
            persist_after_each_update(ptb_app)
            install_inbox(ptb_app, Inbox(maker, services.clock))
            web_app = build_web_app(settings, services, ptb_app, metrics=metrics)
            config = uvicorn.Config(
                web_app,
                log_config=None,
                access_log=False,
                lifespan="off",
                server_header=False,
                timeout_graceful_shutdown=GRACEFUL_SECONDS,
            )
            server = uvicorn.Server(config)
            with _stop_on_signals(server):
                await _run(settings, ptb_app, server, sock)
        finally:
            await engine.dispose()
    finally:
        sock.close()
    log.info("Bezirksbot webhook server stopped")


async def _run(
    settings: Settings, ptb_app: BotApplication, server: uvicorn.Server, sock: socket.socket
) -> None:
    """The Application's life around uvicorn's, hooks included (as run_webhook would)."""
    await ptb_app.initialize()
    try:
        if ptb_app.post_init:
            await ptb_app.post_init(ptb_app)
        await ptb_app.start()
        inbox = inbox_of(ptb_app)
        replaying = (
            None
            if inbox is None
            else asyncio.create_task(
                replay_later(ptb_app, inbox, received_before=inbox.now(), grace=WEBHOOK_GRACE),
                name="inbox-replay",
            )
        )
        # Everything loaded so far (libraries, reference data, handlers) lives as long as the
        # process: keep it out of the garbage collector's full passes, which otherwise stop
        # the event loop for hundreds of milliseconds now and then (seen in the load test).
        gc.freeze()
        serving = asyncio.create_task(server.serve(sockets=[sock]), name="uvicorn")
        try:
            while not server.started and not serving.done():  # uvicorn offers no event
                await asyncio.wait([serving], timeout=0.01)
            if serving.done():
                await serving  # its exception, if it failed to start
                return  # stopped (a signal) before it was up
            await ptb_app.bot.set_webhook(
                url=settings.webhook_full_url(),
                secret_token=settings.webhook_secret_value,
                allowed_updates=Update.ALL_TYPES,
            )
            host, port = sock.getsockname()[:2]
            log.info(
                "Bezirksbot listens on %s:%s; webhook registered at %s%s",
                host,
                port,
                (settings.webhook_url or "").rstrip("/"),
                settings.webhook_path,
            )
            await serving
        finally:
            if not serving.done():  # setWebhook failed: stop listening first
                server.should_exit = True
                await asyncio.wait([serving])
            if replaying is not None and not replaying.done():
                replaying.cancel()
                await asyncio.gather(replaying, return_exceptions=True)
            await ptb_app.stop()
            if ptb_app.post_stop:
                await ptb_app.post_stop(ptb_app)
    finally:
        await ptb_app.shutdown()  # writes and flushes the persistence
        if ptb_app.post_shutdown:
            await ptb_app.post_shutdown(ptb_app)

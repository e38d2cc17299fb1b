"""A local Telegram Bot API test server: real HTTP, the methods Closer uses, every request recorded."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Closer", "username": "closer_test_bot"}


@dataclass
class Call:
    method: str
    token: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None


class BadRequest(Exception):
    """A call Telegram refuses with 400 and this description."""


class NotModified(Exception):
    """editMessageText with the text and buttons the message already shows."""


class FakeTelegram:
    """State of the fake cloud: queued updates, recorded calls, uploaded files, injected failures."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.updates: list[tuple[str | None, dict[str, Any]]] = []  # (bot token or None for any bot, update)
        self.files: dict[str, tuple[str, bytes]] = {}
        self.forgotten: set[str] = set()  # file ids Telegram no longer accepts (a test says so)
        self.webhook: dict[str, Any] | None = None
        self.shown: dict[tuple[int, int], tuple[str, Any]] = {}  # (chat, message) -> its edited text, buttons
        self.business_connections: dict[str, dict[str, Any]] = {}  # what getBusinessConnection answers
        self._failures: dict[str, list[dict[str, Any]]] = {}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.app = self._build_app()

    # ---- what tests use -------------------------------------------------------------------
    def user(self, user_id: int, language: str = "en", first_name: str = "Olena") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language}

    def message_update(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        language: str = "en",
        extra: dict[str, Any] | None = None,
        message_id: int | None = None,
        update_id: int | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Olena"},
            "from": self.user(chat_id, language),
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        message.update(extra or {})
        return {"update_id": update_id or next(self._update_ids), "message": message}

    def callback_update(self, chat_id: int, data: str, *, language: str = "en") -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": f"cq{next(self._message_ids)}",
                "chat_instance": "ci",
                "data": data,
                "from": self.user(chat_id, language),
                "message": {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "from": BOT_USER,
                    "text": "...",
                },
            },
        }

    # ---- Telegram Business ------------------------------------------------------------------
    def business_connection_update(
        self, connection_id: str, owner_id: int, *, enabled: bool = True, can_reply: bool = True
    ) -> dict[str, Any]:
        """A seller connected (or changed, or cut) the bot; getBusinessConnection answers the same from now on."""
        rights = {"can_reply": True, "can_read_messages": True} if can_reply else {"can_read_messages": True}
        connection = {
            "id": connection_id,
            "user": self.user(owner_id, first_name="Seller"),
            "user_chat_id": owner_id,
            "date": int(time.time()),
            "is_enabled": enabled,
            "rights": rights,
        }
        self.business_connections[connection_id] = connection
        return {"update_id": next(self._update_ids), "business_connection": connection}

    def _business_message(
        self, connection_id: str, chat_id: int, text: str | None, sender_id: int, language: str, message_id: int | None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Olena"},
            "from": self.user(sender_id, language),
            "business_connection_id": connection_id,
        }
        if text is not None:
            message["text"] = text
        return message

    def business_message_update(
        self,
        connection_id: str,
        chat_id: int,
        text: str | None = None,
        *,
        sender_id: int | None = None,
        by_bot: bool = False,
        language: str = "en",
        message_id: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A message in a seller's chat with customer `chat_id`: from the customer unless `sender_id` says
        otherwise (the owner); `by_bot`: what a bot sent on the owner's behalf, coming back as an update."""
        message = self._business_message(connection_id, chat_id, text, sender_id or chat_id, language, message_id)
        if by_bot:
            message["sender_business_bot"] = BOT_USER
        message.update(extra or {})
        return {"update_id": next(self._update_ids), "business_message": message}

    def edited_business_message_update(
        self, connection_id: str, chat_id: int, text: str, message_id: int
    ) -> dict[str, Any]:
        message = self._business_message(connection_id, chat_id, text, chat_id, "en", message_id)
        message["edit_date"] = int(time.time())
        return {"update_id": next(self._update_ids), "edited_business_message": message}

    def deleted_business_messages_update(
        self, connection_id: str, chat_id: int, message_ids: list[int]
    ) -> dict[str, Any]:
        deleted = {
            "business_connection_id": connection_id,
            "chat": {"id": chat_id, "type": "private", "first_name": "Olena"},
            "message_ids": message_ids,
        }
        return {"update_id": next(self._update_ids), "deleted_business_messages": deleted}

    def business_callback_update(
        self, connection_id: str, chat_id: int, data: str, *, language: str = "en"
    ) -> dict[str, Any]:
        """A tap on a button under a message the bot sent on a seller's behalf."""
        update = self.callback_update(chat_id, data, language=language)
        update["callback_query"]["message"]["business_connection_id"] = connection_id
        return update

    async def inject(self, update: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        """Queue an update for the bot with `token` (any polling bot when None)."""
        async with self._changed:
            self.updates.append((token, update))
            self._changed.notify_all()
        return update

    def fail(self, method: str, error_code: int, description: str, retry_after: int | None = None) -> None:
        """Make the next call of `method` fail like Telegram does."""
        body: dict[str, Any] = {"ok": False, "error_code": error_code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self._failures.setdefault(method, []).append(body)

    def add_file(self, content: bytes, name: str = "file.bin") -> str:
        file_id = f"file{next(self._file_ids)}"
        self.files[file_id] = (f"documents/{file_id}_{name}", content)
        return file_id

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
        ]

    def texts(self, chat_id: int) -> list[str]:
        return [c.params.get("text", "") for c in self.sent(chat_id)]

    async def wait_for(self, method: str, count: int = 1, chat_id: int | None = None, wait_s: float = 20) -> list[Call]:
        """Wait until at least `count` matching calls were recorded (observable state, not sleeps)."""

        async def enough() -> list[Call]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.sent(chat_id, method)) >= count)
            return self.sent(chat_id, method)

        return await asyncio.wait_for(enough(), wait_s)

    async def wait_until(self, predicate, wait_s: float = 20) -> None:
        """Wait until `predicate()` holds over the recorded calls."""

        async def check() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(check(), wait_s)

    # ---- the HTTP side ----------------------------------------------------------------------
    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/bot{token}/{method}", methods=["GET", "POST"])
        async def bot_method(token: str, method: str, request: Request) -> Response:
            params, files = await _read_params(request)
            call = Call(method, token, params, files)
            failure = self._failures.get(method)
            if failure:
                body = failure.pop(0)
                async with self._changed:
                    self.calls.append(call)
                    self._changed.notify_all()
                return JSONResponse(body, status_code=body["error_code"])
            if method == "getUpdates":
                return JSONResponse({"ok": True, "result": await self._get_updates(token, params)})
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404)
            try:
                result = handler(params, files)
            except NotModified:
                body = {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified"}
                return JSONResponse(body, status_code=400)
            except BadRequest as exc:
                async with self._changed:
                    self.calls.append(call)  # refused calls are recorded too: a test may count attempts
                    self._changed.notify_all()
                return JSONResponse({"ok": False, "error_code": 400, "description": str(exc)}, status_code=400)
            call.result = result
            async with self._changed:
                self.calls.append(call)
                self._changed.notify_all()
            return JSONResponse({"ok": True, "result": result})

        @app.get("/file/bot{token}/{file_path:path}")
        async def download(token: str, file_path: str) -> Response:
            for path, content in self.files.values():
                if path == file_path:
                    return Response(content, media_type="application/octet-stream")
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404)

        return app

    async def _get_updates(self, token: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 0.5)

        def mine() -> list[dict[str, Any]]:
            return [u for t, u in self.updates if t in (None, token) and u["update_id"] >= offset]

        async with self._changed:
            # Confirmed updates (below the offset) of this bot are gone for good.
            self.updates = [(t, u) for t, u in self.updates if t not in (None, token) or u["update_id"] >= offset]
            if not mine() and timeout:
                try:
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(mine())), timeout)
                except TimeoutError:
                    return []
            return mine()

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "from": BOT_USER,
            "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"},
            **content,
        }
        if params.get("message_thread_id"):
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        return message

    def _new_file(self, name: str, content: bytes = b"") -> dict[str, Any]:
        file_id = self.add_file(content, name)
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content)}

    def _m_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return BOT_USER

    def _m_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        markup = params.get("reply_markup")
        # Like Telegram, a sent Message carries only an inline keyboard; reply keyboards are not echoed.
        extra = {"reply_markup": markup} if isinstance(markup, dict) and "inline_keyboard" in markup else {}
        return self._message(params, text=params.get("text", ""), **extra)

    def _m_editMessageText(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        key = (int(params.get("chat_id", 0)), int(params.get("message_id", 0)))
        markup = params.get("reply_markup")
        shown = (params.get("text", ""), markup)
        if self.shown.get(key) == shown:  # like Telegram: an edit that changes nothing is refused
            raise NotModified
        self.shown[key] = shown
        message = self._message(params, text=params.get("text", ""))
        message["message_id"] = key[1]
        return message

    def _m_editMessageReplyMarkup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    def card_text(self, chat_id: int, message_id: int) -> str:
        """What a message shows now: its last edit, or what was sent."""
        if (chat_id, message_id) in self.shown:
            return self.shown[(chat_id, message_id)][0]
        sent = [c for c in self.sent(chat_id) if c.result and c.result.get("message_id") == message_id]
        return sent[0].params.get("text", "") if sent else ""

    def _m_deleteForumTopic(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    def _sent_file(self, kind: str, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        """An upload becomes a new file; a `file_id` is reused when known, refused like Telegram when not."""
        if files:
            return self._new_file(kind, next(iter(files.values())))
        file_id = str(params.get(kind, ""))
        if file_id not in self.files or file_id in self.forgotten:
            raise BadRequest("Bad Request: wrong file identifier/HTTP URL specified")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(self.files[file_id][1])}

    def _m_sendVoice(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        voice = {**self._sent_file("voice", params, files), "duration": 1}
        return self._message(params, voice=voice, caption=params.get("caption"))

    def _m_sendAudio(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        audio = {**self._sent_file("audio", params, files), "duration": 1}
        return self._message(params, audio=audio, caption=params.get("caption"))

    def _m_sendDocument(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._message(params, document=self._sent_file("document", params, files), caption=params.get("caption"))

    def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        photo = [{**self._sent_file("photo", params, files), "width": 1, "height": 1}]
        return self._message(params, photo=photo, caption=params.get("caption"))

    def _m_sendMediaGroup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        """Each item's `attach://name` points at an uploaded part; the album's messages come back as a list."""
        messages = []
        for item in params["media"]:
            content = files.get(str(item["media"]).removeprefix("attach://"), b"")
            photo = [{**self._new_file(f"{item['type']}.png", content), "width": 1, "height": 1}]
            messages.append(self._message(params, photo=photo, media_group_id="album"))
        return messages

    def _m_sendVideo(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        video = {**self._sent_file("video", params, files), "width": 1, "height": 1, "duration": 1}
        return self._message(params, video=video, caption=params.get("caption"))

    def _m_createForumTopic(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {"message_thread_id": next(self._message_ids), "name": params.get("name", ""), "icon_color": 7322096}

    def _m_getFile(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        file_id = params.get("file_id", "")
        path, content = self.files.get(file_id, ("", b""))
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content), "file_path": path}

    def _m_setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = params
        return True

    def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = None
        return True

    def _m_sendChatAction(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    def _m_sendMessageDraft(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True  # an ephemeral preview: nothing to keep but the recorded call

    def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    def _m_getBusinessConnection(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self.business_connections[params.get("business_connection_id", "")]

    def _m_close(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True


async def _read_params(request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """aiogram sends multipart forms whose complex fields are JSON strings; decode both shapes."""
    content_type = request.headers.get("content-type", "")
    if "application/json" in content_type:
        return await request.json(), {}
    params: dict[str, Any] = dict(request.query_params)
    files: dict[str, bytes] = {}
    if "form" in content_type:
        form = await request.form()
        for key, value in form.multi_items():
            if hasattr(value, "read"):
                files[key] = await value.read()
                continue
            text = str(value)
            try:
                params[key] = json.loads(text) if text[:1] in "{[" else text
            except json.JSONDecodeError:
                params[key] = text
    return params, files

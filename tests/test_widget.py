"""The embeddable widget in a real headless Chromium: a customer's page on another origin loads `/widget.js`
from the app, and the widget talks to `/api/v1/chat` across origins (CORS), keeps its history over a reload
and continues the same conversation. Plus the script's and the chat API's HTTP headers."""

from __future__ import annotations

import asyncio
import base64
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from app.container import Services

# Page rules a careless site might have: the widget's shadow root must keep them out.
HOSTILE_CSS = """
* { font-family: serif !important; }
div, span, section, textarea { background: yellow !important; color: red !important; font-size: 40px !important; }
button { display: none !important; }
"""
# Records what each chat request asked for, so a test can tell the streaming path from the JSON one.
RECORD_FETCH = """<script>
window.__accepts = [];
const realFetch = window.fetch;
window.fetch = (url, options) => {
  window.__accepts.push((options.headers || {}).Accept);
  return realFetch(url, options);
};
</script>"""
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
# A server that streams: the answer arrives as drafts cut mid-event and across chunks (one block with CRLF line
# ends), waits for the test's `__release()`, withdraws, then replies with media of every kind.
SCRIPTED_STREAM = r"""<script>
const released = new Promise((resolve) => { window.__release = resolve; });
window.fetch = async (url, options) => {
  window.__sent = JSON.parse(options.body);
  const origin = location.origin;
  const reply = {conversation_id: "c-scripted", replies: [{
    text: "Our catalogue: https://brewpoint.example/catalogue. Anything else?",
    buttons: [{title: "Talk to a manager", payload: "human"}],
    media: [
      {kind: "photo", url: origin + "/pixel.png", title: "Office 200"},
      {kind: "video", url: origin + "/demo.mp4", title: "Demo"},
      {kind: "voice", url: origin + "/hello.ogg", title: null},
      {kind: "document", url: origin + "/prices.pdf", title: "Price list"},
      {kind: "document", url: "javascript:alert(1)", title: "Not a link"},
    ],
  }]};
  const encoder = new TextEncoder();
  const stream = new ReadableStream({async start(controller) {
    const push = (text) => controller.enqueue(encoder.encode(text));
    push('event: draft\ndata: {"text": "Our cat');
    push('alogue"}\n\nevent: draft\r\ndata: {"text": "Our catalogue: htt"}\r\n\r\n');
    await released;
    push("event: withdraw\ndata: {}\n\n");
    push("event: reply\ndata: " + JSON.stringify(reply) + "\n\n");
    controller.close();
  }});
  return new Response(stream, {status: 200, headers: {"Content-Type": "text/event-stream"}});
};
</script>"""
# What the page shows of the widget, read in one round trip.
SNAPSHOT = """
const host = document.getElementById("closer-widget");
if (!host || !host.shadowRoot) return null;
const root = host.shadowRoot;
const all = (selector) => Array.from(root.querySelectorAll(selector));
const bubble = root.getElementById("closer-bubble");
const rect = bubble.getBoundingClientRect();
return {
  origin: location.origin,
  open: !root.getElementById("closer-panel").hidden,
  bubble: {color: getComputedStyle(bubble).backgroundColor, left: rect.left, right: innerWidth - rect.right,
           width: rect.width, display: getComputedStyle(bubble).display},
  title: root.getElementById("closer-title").textContent,
  placeholder: root.getElementById("closer-input").placeholder,
  messages: all('[data-testid="closer-message"]').map((m) => [m.dataset.who,
    m.querySelector('[data-testid="closer-message-text"]').textContent]),
  buttons: all('[data-testid="closer-button"]').map((b) => [b.textContent, b.dataset.payload]),
  drafts: all('[data-testid="closer-draft"]').map((d) => d.textContent),
  media: all('[data-testid="closer-media"]').map((m) => [m.tagName.toLowerCase(), m.dataset.kind,
    m.getAttribute("src") || m.getAttribute("href"), m.textContent || m.getAttribute("alt") || "",
    m.tagName === "IMG" ? m.naturalWidth : !!m.controls]),
  links: all('[data-testid="closer-message-text"] a').map((a) => a.href),
  busy: all('[data-testid="closer-typing"]').length > 0,
  errors: all('[data-testid="closer-error"]').map((e) => e.textContent),
  accepts: window.__accepts,
  stored: JSON.parse(localStorage.getItem(arguments[0]) || "null"),
};
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """Debian's headless Chromium and its driver. Missing ones fail loudly: `make test` installs them."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.fail("chromium / chromedriver are not installed; run `make test`, which installs them with apt")
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    yield driver
    driver.quit()


@contextmanager
def customer_site(body: str) -> Iterator[str]:
    """A customer's page on its own origin (another port than the app's), served by the standard library;
    `/pixel.png` is a picture on that site."""
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>A customer's site</title>"
        f"<style>{HOSTILE_CSS}</style></head><body><div><h1>Coffee for offices</h1></div>{body}</body></html>"
    ).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            kind, content = ("image/png", PIXEL) if self.path == "/pixel.png" else ("text/html; charset=utf-8", page)
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class Widget:
    """Drives the widget the way a visitor does (clicks, keys) and reads what the page shows."""

    def __init__(self, driver: WebDriver, api: str) -> None:
        self.driver, self.api = driver, api

    def snapshot(self) -> dict[str, Any] | None:
        return self.driver.execute_script(SNAPSHOT, f"closer-widget:{self.api}")

    def wait(self, what: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 60) -> dict[str, Any]:
        seen: list[Any] = [None]

        def ready(_: WebDriver) -> dict[str, Any] | bool:
            seen[0] = snap = self.snapshot()
            return snap if snap is not None and predicate(snap) else False

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(ready)
        except TimeoutException:
            console = [entry["message"] for entry in self.driver.get_log("browser")]
            raise AssertionError(f"waited for {what}; the page showed {seen[0]}; console: {console}") from None

    def element(self, selector: str):
        return self.driver.find_element(By.ID, "closer-widget").shadow_root.find_element(By.CSS_SELECTOR, selector)

    def open(self) -> None:
        self.element('[data-testid="closer-bubble"]').click()

    def say(self, text: str) -> None:
        before = len(self.snapshot()["messages"])
        self.element('[data-testid="closer-input"]').send_keys(text, Keys.ENTER)
        self.wait(f"the answer to {text!r}", lambda s: len(s["messages"]) > before + 1 and not s["busy"])

    def press(self, payload: str) -> None:
        before = len(self.snapshot()["messages"])
        self.element(f'[data-testid="closer-button"][data-payload="{payload}"]').click()
        self.wait(f"the answer to button {payload!r}", lambda s: len(s["messages"]) > before + 1 and not s["busy"])


def bot_texts(snapshot: dict[str, Any]) -> list[str]:
    return [text for who, text in snapshot["messages"] if who == "bot"]


def across_origins_and_a_reload(driver: WebDriver, api: str, page_url: str) -> dict[str, Any]:
    widget = Widget(driver, api)
    driver.get(page_url)
    shown = widget.wait("the bubble", lambda s: s["bubble"]["width"] > 0)
    assert shown["origin"] != api  # the page really is on another origin: the chat calls are cross-origin
    assert shown["bubble"]["color"] == "rgb(10, 125, 90)" and shown["bubble"]["display"] == "flex"
    assert shown["bubble"]["left"] < 40 < shown["bubble"]["right"]  # data-position="left"
    assert not shown["open"] and shown["messages"] == []

    widget.open()
    opened = widget.wait("the greeting", lambda s: s["open"] and s["messages"])
    assert opened["title"] == "BrewPoint" and opened["placeholder"] == "Type a message…"
    assert opened["messages"] == [["bot", "Hi! Ask me about our coffee machines."]]

    widget.say("How much does the Office 200 cost?")
    widget.say("Who won the football match yesterday?")
    answered = widget.snapshot()
    assert "1,450 EUR" in bot_texts(answered)[1], answered
    assert ["Talk to a manager", "human"] in answered["buttons"], answered
    assert answered["errors"] == [] and set(answered["accepts"]) == {"text/event-stream"}
    first_visit = answered["stored"]
    assert first_visit["session"].startswith("w-") and first_visit["conversation_id"]

    driver.refresh()
    restored = widget.wait("the restored panel", lambda s: s["open"] and s["messages"])
    assert restored["messages"] == answered["messages"]  # the history survived the reload
    assert restored["buttons"] == answered["buttons"]

    widget.say("What is the warranty period?")
    widget.press("human")  # a chip restored from the history still works
    after = widget.snapshot()
    assert "24-month" in bot_texts(after)[-2], after
    assert after["messages"][-2] == ["me", "Talk to a manager"]
    assert after["stored"]["session"] == first_visit["session"]
    assert after["stored"]["conversation_id"] == first_visit["conversation_id"]  # the same conversation goes on
    assert after["errors"] == []
    return after


async def test_widget_chats_across_origins_and_survives_a_reload(web: httpx.AsyncClient, services: Services, browser):
    api = str(web.base_url).rstrip("/")
    tag = (
        f'<script src="{api}/widget.js" data-title="BrewPoint" data-color="#0a7d5a" data-position="left" '
        'data-lang="en" data-greeting="Hi! Ask me about our coffee machines." async></script>'
    )
    with customer_site(RECORD_FETCH + tag) as page_url:
        seen = await asyncio.to_thread(across_origins_and_a_reload, browser, api, page_url)
    stored = await services.repos.messages.recent(seen["stored"]["conversation_id"], limit=50)
    inbound = [m.text for m in stored if m.direction == "in"]
    asked = [
        "How much does the Office 200 cost?",
        "Who won the football match yesterday?",
        "What is the warranty period?",
    ]
    assert inbound[:3] == asked and len(inbound) == 4, inbound  # before and after the reload: one conversation


def without_streaming_in_ukrainian(driver: WebDriver, api: str, page_url: str) -> dict[str, Any]:
    widget = Widget(driver, api)
    driver.get(page_url)
    shown = widget.wait("the bubble", lambda s: s["bubble"]["width"] > 0)
    assert shown["bubble"]["right"] < 40 < shown["bubble"]["left"]  # the default corner
    assert shown["bubble"]["color"] == "rgb(107, 63, 29)"  # the default colour
    widget.open()
    greeted = widget.wait("the server's greeting", lambda s: s["messages"] and not s["busy"])
    assert greeted["title"] == "Напишіть нам" and greeted["placeholder"] == "Введіть повідомлення…"
    assert greeted["messages"][0][0] == "bot" and greeted["messages"][0][1].startswith("Вітаю"), greeted
    widget.say("Скільки триває доставка по Україні?")
    return widget.snapshot()


async def test_widget_falls_back_to_json_and_speaks_the_configured_language(web: httpx.AsyncClient, browser):
    api = str(web.base_url).rstrip("/")
    no_streams = "<script>window.ReadableStream = undefined;</script>"
    with customer_site(no_streams + RECORD_FETCH + f'<script src="{api}/widget.js" data-lang="uk"></script>') as url:
        seen = await asyncio.to_thread(without_streaming_in_ukrainian, browser, api, url)
    assert "2-4 робочі дні" in bot_texts(seen)[-1], seen
    assert set(seen["accepts"]) == {"application/json"} and seen["errors"] == []


def streamed_drafts_and_media(driver: WebDriver, api: str, page_url: str) -> dict[str, Any]:
    widget = Widget(driver, api)
    driver.get(page_url)
    widget.wait("the bubble", lambda s: s["bubble"]["width"] > 0)
    widget.open()
    widget.element('[data-testid="closer-input"]').send_keys("Show me the catalogue", Keys.ENTER)
    drafting = widget.wait("the draft", lambda s: s["drafts"] == ["Our catalogue: htt"])
    assert drafting["busy"] is False  # the draft replaced the typing indicator
    assert drafting["messages"][-1] == ["me", "Show me the catalogue"]  # a draft is not (yet) a message
    driver.execute_script("window.__release()")
    widget.wait("the reply", lambda s: s["messages"][-1][0] == "bot" and s["media"] and s["media"][0][4] == 1)
    return widget.snapshot() | {"sent": driver.execute_script("return window.__sent")}


async def test_widget_streams_drafts_and_renders_buttons_media_and_links(web: httpx.AsyncClient, browser):
    api = str(web.base_url).rstrip("/")
    tag = f'<script src="{api}/widget.js" data-lang="en" data-greeting="Hello!"></script>'
    with customer_site(SCRIPTED_STREAM + tag) as page_url:
        seen = await asyncio.to_thread(streamed_drafts_and_media, browser, api, page_url)
    site = page_url.rstrip("/")
    assert seen["drafts"] == [] and seen["errors"] == []
    assert seen["messages"][-1] == ["bot", "Our catalogue: https://brewpoint.example/catalogue. Anything else?"]
    assert seen["links"] == ["https://brewpoint.example/catalogue"]  # the full stop is not part of the address
    assert seen["buttons"] == [["Talk to a manager", "human"]]
    assert seen["media"] == [
        ["img", "photo", f"{site}/pixel.png", "Office 200", 1],  # shown inline (and it loaded)
        ["video", "video", f"{site}/demo.mp4", "", True],  # players with controls
        ["audio", "voice", f"{site}/hello.ogg", "", True],
        ["a", "document", f"{site}/prices.pdf", "Price list", False],  # anything else is a link
        ["span", "document", None, "Not a link", False],  # a javascript: address is never made clickable
    ]
    assert seen["stored"]["conversation_id"] == "c-scripted"
    sent = seen["sent"]
    assert sent["text"] == "Show me the catalogue" and sent["language"] == "en" and sent["payload"] is None
    assert sent["session_id"] == seen["stored"]["session"] and len(sent["message_id"]) == 32


async def test_widget_script_is_cacheable_and_loadable_from_any_site(web: httpx.AsyncClient):
    response = await web.get("/widget.js", headers={"Origin": "https://shop.example"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/javascript; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "public, max-age=3600"
    etag = response.headers["etag"]
    assert etag.startswith('"') and "closer-bubble" in response.text and "/api/v1/chat" in response.text

    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = await web.get("/widget.js", headers={"If-None-Match": header})
        assert cached.status_code == 304 and cached.content == b"", header
        assert cached.headers["etag"] == etag and cached.headers["cache-control"] == "public, max-age=3600"
    assert (await web.get("/widget.js", headers={"If-None-Match": '"stale"'})).status_code == 200


async def test_chat_api_may_be_called_from_any_site(web: httpx.AsyncClient, session_id):
    preflight = await web.options(
        "/api/v1/chat",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()

    origin = {"Origin": "https://shop.example"}
    answered = await web.post("/api/v1/chat", json={"session_id": session_id, "text": "hi"}, headers=origin)
    refused = await web.post("/api/v1/chat", json={"session_id": "../x", "text": "hi"}, headers=origin)
    assert answered.status_code == 200 and answered.headers["access-control-allow-origin"] == "*"
    assert refused.status_code == 422 and refused.headers["access-control-allow-origin"] == "*"
    # The chat page is the app's own: it is not opened up to other sites.
    assert "access-control-allow-origin" not in (await web.get("/")).headers


# The first chat request with text meets a server that is restarting (503, Retry-After: 1); the widget must send
# the same message again, which the real server answers.
RESTARTING_ONCE = """<script>
window.__bodies = [];
const passThrough = window.fetch;
window.fetch = async (url, options) => {
  const body = JSON.parse(options.body);
  if (body.text) window.__bodies.push(body);
  if (body.text && window.__bodies.length === 1) {
    return new Response(JSON.stringify({detail: "the service is restarting"}),
      {status: 503, headers: {"Content-Type": "application/json", "Retry-After": "1"}});
  }
  return passThrough(url, options);
};
</script>"""


def through_a_restart(driver: WebDriver, api: str, page_url: str) -> dict[str, Any]:
    widget = Widget(driver, api)
    driver.get(page_url)
    widget.wait("the bubble", lambda s: s["bubble"]["width"] > 0)
    widget.open()
    widget.say("What is the warranty period?")
    return widget.snapshot() | {"bodies": driver.execute_script("return window.__bodies")}


async def test_widget_sends_the_same_message_again_when_the_server_is_restarting(web: httpx.AsyncClient, browser):
    api = str(web.base_url).rstrip("/")
    tag = f'<script src="{api}/widget.js" data-lang="en" data-greeting="Hello!"></script>'
    with customer_site(RESTARTING_ONCE + tag) as page_url:
        seen = await asyncio.to_thread(through_a_restart, browser, api, page_url)
    assert "24-month" in bot_texts(seen)[-1] and seen["errors"] == [], seen  # the customer never saw the 503
    first, again = seen["bodies"]
    assert first["message_id"] == again["message_id"] and first["text"] == again["text"]  # one message, sent twice

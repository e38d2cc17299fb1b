/* Closer's embeddable chat widget. One tag on any site puts a chat bubble in a corner:

     <script src="https://closer.example.com/widget.js" data-title="BrewPoint" data-color="#6b3f1d"
             data-position="right" data-lang="en" data-greeting="Hi! How can we help?" async></script>

   Options (all optional): data-title, data-color (any CSS colour), data-position (right | left),
   data-lang (ru | uk | en; default: the browser's language), data-greeting (shown locally on first open;
   without it the server's greeting is asked for), data-placeholder, data-api (the Closer server; default:
   where this script was loaded from), data-ref (where the visitor came from; `partner` on a partners' page
   makes them a partner: partner greeting and partner-only materials).
   Plain JavaScript, no build step, nothing loaded from elsewhere. It lives in a Shadow DOM, so the page's CSS
   neither reaches it nor is touched by it. The session and the conversation so far are kept in localStorage
   (per Closer server), so a reload or another page of the site continues the same conversation.
   The page may call window.CloserWidget.open() / .close() / .send(text) / .reset(). */
(() => {
  "use strict";
  if (window.CloserWidget) return; // the tag was included twice

  const TEXTS = {
    en: {
      title: "Chat with us", placeholder: "Type a message…", send: "Send", open: "Open chat", close: "Close chat",
      typing: "typing…", failed: "Something went wrong, please try again.", file: "Open file",
      busy: "Too many messages, please wait a minute.", offline: "Connection problem, please try again.",
    },
    ru: {
      title: "Напишите нам", placeholder: "Введите сообщение…", send: "Отправить", open: "Открыть чат",
      close: "Закрыть чат", typing: "печатает…", failed: "Что-то пошло не так, попробуйте ещё раз.",
      file: "Открыть файл", busy: "Слишком много сообщений, подождите минуту.",
      offline: "Проблема со связью, попробуйте ещё раз.",
    },
    uk: {
      title: "Напишіть нам", placeholder: "Введіть повідомлення…", send: "Надіслати", open: "Відкрити чат",
      close: "Закрити чат", typing: "друкує…", failed: "Щось пішло не так, спробуйте ще раз.",
      file: "Відкрити файл", busy: "Забагато повідомлень, зачекайте хвилину.",
      offline: "Проблема зі зв'язком, спробуйте ще раз.",
    },
  };
  const DEFAULT_COLOR = "#6b3f1d";
  const MAX_HISTORY = 100; // entries kept in localStorage; older ones are dropped
  const MAX_TEXT = 8000;

  // document.currentScript is set while this (async or not) script first runs; the search is for odd loaders.
  const script = document.currentScript
    || Array.from(document.querySelectorAll("script[src]")).reverse().find((s) => /\/widget\.js([?#]|$)/.test(s.src));
  const data = (script && script.dataset) || {};

  const short = (value) => ({ ua: "uk" })[(value || "").toLowerCase().slice(0, 2)] || (value || "").toLowerCase().slice(0, 2);
  const lang = [short(data.lang), short(navigator.language)].find((l) => TEXTS[l]) || "en";
  const t = TEXTS[lang];
  const scriptBase = script ? script.src.replace(/[?#].*$/, "").replace(/\/[^/]*$/, "") : location.origin;
  const config = {
    title: data.title || t.title,
    greeting: data.greeting || "",
    placeholder: data.placeholder || t.placeholder,
    position: data.position === "left" ? "left" : "right",
    color: data.color && window.CSS && CSS.supports("color", data.color) ? data.color : DEFAULT_COLOR,
    api: (data.api || scriptBase).replace(/\/+$/, ""),
  };
  const endpoint = config.api + "/api/v1/chat";
  const KEY = "closer-widget:" + config.api;

  // ---- state: session id, history, whether the panel was open; localStorage when the page allows it
  function randomId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // unlike crypto.randomUUID, also there on plain-http pages
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function readState() {
    let saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(KEY) || "null");
    } catch (e) {
      saved = null; // storage blocked (sandboxed frame, privacy mode) or corrupt: start afresh in memory
    }
    if (!saved || typeof saved !== "object" || !/^[A-Za-z0-9_.:-]{1,128}$/.test(saved.session || "")) {
      saved = { session: "w-" + randomId(), history: [] };
    }
    if (!Array.isArray(saved.history)) saved.history = [];
    return saved;
  }

  let state = readState();

  function save() {
    state.history = state.history.slice(-MAX_HISTORY);
    try {
      localStorage.setItem(KEY, JSON.stringify(state));
    } catch (e) {
      // quota or blocked storage: this page still has it in memory
    }
  }

  // ---- look: everything inside a shadow root
  function hexLuminance(color) {
    const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
    if (!m) return 0;
    const hex = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  const light = hexLuminance(config.color) > 0.6; // a pale brand colour gets dark text on it

  const CSS_TEXT = `
    :host { all: initial; }
    * { box-sizing: border-box; }
    .closer { --on-accent: ${light ? "#1d1d1f" : "#fff"}; --ink: ${light ? "#1d1d1f" : "var(--accent)"};
      position: fixed; bottom: 20px; z-index: 2147483000; display: flex; flex-direction: column;
      font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f; text-align: left; }
    .closer.right { right: 20px; align-items: flex-end; }
    .closer.left { left: 20px; align-items: flex-start; }
    .bubble { width: 60px; height: 60px; margin: 0; padding: 0; border: 0; border-radius: 50%; cursor: pointer;
      display: flex; align-items: center; justify-content: center; background: var(--accent); color: var(--on-accent);
      box-shadow: 0 4px 14px rgba(0, 0, 0, .25); }
    .bubble svg { width: 28px; height: 28px; fill: currentColor; }
    .bubble .shut, .open .bubble .talk { display: none; }
    .open .bubble .shut { display: block; }
    .panel { position: absolute; bottom: 76px; width: 370px; height: min(560px, calc(100vh - 120px));
      display: flex; flex-direction: column; background: #fff; border-radius: 14px; overflow: hidden;
      box-shadow: 0 10px 40px rgba(0, 0, 0, .25); }
    .right .panel { right: 0; }
    .left .panel { left: 0; }
    .panel[hidden] { display: none; }
    header { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 12px 16px;
      background: var(--accent); color: var(--on-accent); font-weight: 600; }
    .close { margin: 0; padding: 0 4px; border: 0; background: none; color: inherit; font: inherit; font-size: 24px;
      line-height: 1; cursor: pointer; }
    .log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 8px; background: #fafafa; }
    .msg { max-width: 85%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }
    .me { align-self: flex-end; background: var(--accent); color: var(--on-accent); border-bottom-right-radius: 4px; }
    .bot { align-self: flex-start; background: #ececec; border-bottom-left-radius: 4px; }
    .msg a { color: inherit; }
    .draft { opacity: .75; }
    .chips { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; white-space: normal; }
    .chip { margin: 0; padding: 4px 11px; border: 1px solid var(--accent); border-radius: 14px; background: #fff;
      color: var(--ink); font: inherit; font-size: 14px; cursor: pointer; }
    .chip:disabled { opacity: .5; cursor: default; }
    .media { display: block; margin-top: 6px; max-width: 100%; border-radius: 8px; }
    audio.media { width: 240px; }
    .typing { align-self: flex-start; color: #777; font-style: italic; font-size: 14px; }
    .error { align-self: center; color: #a00; font-size: 13px; text-align: center; }
    form { display: flex; gap: 8px; margin: 0; padding: 10px; border-top: 1px solid #e5e5e5; background: #fff; }
    textarea { flex: 1; height: 42px; margin: 0; padding: 10px; resize: none; border: 1px solid #ccc; border-radius: 10px;
      background: #fff; color: inherit; font: inherit; line-height: 20px; }
    textarea:focus { outline: 2px solid var(--accent); outline-offset: -1px; }
    .send { margin: 0; padding: 0 14px; border: 0; border-radius: 10px; background: var(--accent); color: var(--on-accent);
      font: inherit; font-weight: 600; cursor: pointer; }
    .send:disabled { opacity: .5; cursor: default; }
    @media (max-width: 480px) {
      .panel { position: fixed; inset: 0; width: auto; height: auto; border-radius: 0; }
      .open .bubble { display: none; }
    }`;

  // Static markup only: every configured text is set below with textContent / attributes, never as HTML.
  const MARKUP = `
    <div class="closer" id="closer-root" data-testid="closer-root">
      <section class="panel" id="closer-panel" data-testid="closer-panel" role="dialog" aria-labelledby="closer-title" hidden>
        <header><span id="closer-title" data-testid="closer-title"></span>
          <button class="close" id="closer-close" data-testid="closer-close" type="button">&times;</button></header>
        <div class="log" id="closer-log" data-testid="closer-log" aria-live="polite"></div>
        <form id="closer-form" data-testid="closer-form">
          <textarea id="closer-input" data-testid="closer-input" maxlength="${MAX_TEXT}"></textarea>
          <button class="send" id="closer-send" data-testid="closer-send" type="submit"></button>
        </form>
      </section>
      <button class="bubble" id="closer-bubble" data-testid="closer-bubble" type="button" aria-controls="closer-panel">
        <svg class="talk" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z"/></svg>
        <svg class="shut" viewBox="0 0 24 24" aria-hidden="true"><path d="M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z"/></svg>
      </button>
    </div>`;

  const host = document.createElement("closer-widget"); // its own tag: page rules for div or button never match it
  host.id = "closer-widget";
  host.setAttribute("data-testid", "closer-widget");
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `<style>${CSS_TEXT}</style>${MARKUP}`;
  const $ = (id) => root.getElementById(id);
  const container = $("closer-root");
  const panel = $("closer-panel");
  const bubble = $("closer-bubble");
  const log = $("closer-log");
  const form = $("closer-form");
  const input = $("closer-input");
  const sendButton = $("closer-send");
  container.classList.add(config.position);
  // The colour is set as a property, never written into markup: an attribute value cannot become HTML.
  container.style.setProperty("--accent", config.color);
  container.lang = lang;
  $("closer-title").textContent = config.title;
  $("closer-close").setAttribute("aria-label", t.close);
  input.placeholder = config.placeholder;
  input.setAttribute("aria-label", config.placeholder);
  sendButton.textContent = t.send;

  // ---- rendering
  function safeUrl(url) {
    try {
      const parsed = new URL(url, config.api + "/"); // a relative media URL is the Closer server's
      return /^https?:$/.test(parsed.protocol) ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = text;
    return a;
  }

  function setText(element, text) {
    // Plain text with web addresses made clickable; nothing from the server is ever parsed as HTML.
    element.replaceChildren();
    String(text || "").split(/(https?:\/\/[^\s<>"]+)/).forEach((part, i) => {
      if (i % 2 === 0) return part && element.append(part);
      const tail = (/[.,;:!?)\]]+$/.exec(part) || [""])[0];
      const url = part.slice(0, part.length - tail.length);
      element.append(link(url, url), tail);
    });
  }

  function mediaElement(item) {
    const url = safeUrl(item.url || "");
    const title = item.title || "";
    const kind = (item.kind || "").toLowerCase();
    let element;
    if (!url) {
      if (!title) return null;
      element = document.createElement("span");
      element.textContent = title;
    } else if (kind === "photo" || kind === "image" || kind === "sticker") {
      element = document.createElement("img");
      element.src = url;
      element.alt = title;
      element.loading = "lazy";
      element.onerror = () => element.replaceWith(Object.assign(link(url, title || t.file), { className: "media" }));
    } else if (kind === "video" || kind === "audio" || kind === "voice") {
      element = document.createElement(kind === "video" ? "video" : "audio");
      element.src = url;
      element.controls = true;
      element.preload = "metadata";
      if (title) element.title = title;
    } else {
      element = link(url, title || t.file);
    }
    element.classList.add("media");
    element.setAttribute("data-testid", "closer-media");
    element.setAttribute("data-kind", kind);
    return element;
  }

  function messageElement(who) {
    const div = document.createElement("div");
    div.className = "msg " + who;
    div.setAttribute("data-testid", who.includes("draft") ? "closer-draft" : "closer-message");
    div.setAttribute("data-who", who.split(" ")[0]);
    const text = document.createElement("span");
    text.className = "text";
    text.setAttribute("data-testid", "closer-message-text");
    div.appendChild(text);
    return div;
  }

  function render(entry) {
    const div = messageElement(entry.who === "me" ? "me" : "bot");
    setText(div.firstChild, entry.text);
    for (const item of entry.media || []) {
      const element = mediaElement(item);
      if (element) div.appendChild(element);
    }
    if (entry.buttons && entry.buttons.length) {
      const row = document.createElement("div");
      row.className = "chips";
      row.setAttribute("data-testid", "closer-buttons");
      for (const b of entry.buttons) {
        const chip = document.createElement("button");
        chip.type = "button";
        chip.className = "chip";
        chip.setAttribute("data-testid", "closer-button");
        chip.setAttribute("data-payload", b.payload || "");
        chip.textContent = b.title;
        chip.onclick = () => send(b.title, b.payload);
        row.appendChild(chip);
      }
      div.appendChild(row);
    }
    log.appendChild(div);
    scrollDown();
  }

  function renderHistory() {
    log.replaceChildren();
    state.history.forEach(render);
  }

  function note(className, text) {
    const div = document.createElement("div");
    div.className = className;
    div.setAttribute("data-testid", "closer-" + className);
    div.textContent = text;
    log.appendChild(div);
    scrollDown();
    return div;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function remember(entry) {
    state.history.push(entry);
    save();
    render(entry);
  }

  function showReplies(body) {
    if (body.conversation_id) state.conversation_id = body.conversation_id;
    for (const reply of body.replies || []) {
      remember({ who: "bot", text: reply.text, buttons: reply.buttons || [], media: reply.media || [] });
    }
    save();
  }

  // ---- talking to the server
  const canStream = () => !!(window.ReadableStream && window.TextDecoder && "body" in Response.prototype);

  // Server-Sent Events over fetch: `draft` is the answer so far, `withdraw` takes it back (the guard stopped it),
  // `reply` is the final answer (the same JSON as without streaming), `error` says the turn failed.
  async function readStream(response, typing) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let draft = null;
    let finished = false;
    const handle = (block) => {
      let event = "message";
      const lines = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) lines.push(line.slice(5).replace(/^ /, ""));
      }
      if (!lines.length) return;
      let payload;
      try {
        payload = JSON.parse(lines.join("\n"));
      } catch (e) {
        return; // not ours: ignored, like any SSE client ignores what it does not understand
      }
      if (event === "draft") {
        typing.remove();
        if (!draft) draft = log.appendChild(messageElement("bot draft"));
        setText(draft.firstChild, payload.text);
        scrollDown();
      } else if (event === "withdraw" && draft) {
        setText(draft.firstChild, "…");
      } else if (event === "reply" || event === "error") {
        if (draft) draft.remove();
        draft = null;
        if (event === "error" && payload.retry) return; // the server is restarting: the same message again
        finished = true;
        if (event === "reply") showReplies(payload);
        else note("error", t.failed);
      }
    };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
        buffer = buffer.replace(/\r\n/g, "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          handle(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
        if (done) break;
      }
      if (buffer.trim()) handle(buffer);
    } finally {
      if (draft) draft.remove(); // a stream cut short leaves no half answer behind
    }
    return finished; // false: cut short, or the server asked for the message again
  }

  let busy = false;
  // A restarting server (503 with Retry-After), a proxy between deploys (502, 504) or a dropped connection:
  // the same message is sent again a few times before the customer is told.
  const RETRIES = 3;
  const RETRY_STATUSES = [502, 503, 504];
  const RETRY_PAUSE_MS = 2000;
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const retryAfter = (response) => {
    const seconds = Number(response.headers.get("Retry-After"));
    return seconds > 0 && seconds < 30 ? seconds * 1000 : RETRY_PAUSE_MS;
  };

  async function send(text, payload) {
    text = String(text || "").slice(0, MAX_TEXT);
    if (busy || (!text.trim() && !payload)) return false;
    busy = true;
    sendButton.disabled = true;
    if (text.trim()) remember({ who: "me", text });
    const typing = note("typing", t.typing);
    const streaming = canStream();
    // One id for every attempt: the server answers a message once, and a repeat gets that answer.
    const body = JSON.stringify({
      session_id: state.session, text, payload: payload || null, message_id: randomId(), language: lang,
      ref: data.ref || null,
    });
    try {
      for (let attempt = 1; ; attempt++) {
        const last = attempt > RETRIES;
        let response;
        try {
          response = await fetch(endpoint, {
            method: "POST",
            mode: "cors",
            credentials: "omit",
            headers: { "Content-Type": "application/json", Accept: streaming ? "text/event-stream" : "application/json" },
            body,
          });
          if (RETRY_STATUSES.includes(response.status) && !last) {
            await pause(retryAfter(response));
            continue;
          }
          if (!response.ok) {
            note("error", response.status === 429 ? t.busy : t.failed);
          } else if (streaming && response.body && (response.headers.get("content-type") || "").startsWith("text/event-stream")) {
            if (!(await readStream(response, typing))) {
              if (!last) {
                await pause(RETRY_PAUSE_MS);
                continue;
              }
              note("error", t.failed);
            }
          } else {
            showReplies(await response.json());
          }
        } catch (e) {
          if (!last) {
            await pause(RETRY_PAUSE_MS); // the network, or a server going away mid-answer: the message is kept
            continue;
          }
          note("error", t.offline);
        }
        break;
      }
    } finally {
      typing.remove();
      busy = false;
      sendButton.disabled = false;
    }
    return true;
  }

  // ---- opening and closing
  function greet() {
    if (state.history.length || state.greeted) return;
    state.greeted = true;
    save();
    if (config.greeting) remember({ who: "bot", text: config.greeting });
    else send("", "start"); // the server greets in the customer's language
  }

  function setOpen(open, byUser) {
    panel.hidden = !open;
    container.classList.toggle("open", open);
    bubble.setAttribute("aria-expanded", String(open));
    bubble.setAttribute("aria-label", open ? t.close : t.open);
    if (!!state.open !== open) { // a visitor who never opens the chat leaves nothing in storage
      state.open = open;
      save();
    }
    if (!open) return;
    greet();
    scrollDown();
    if (byUser) input.focus(); // never steal the page's focus when the panel is restored on load
  }

  bubble.addEventListener("click", () => setOpen(panel.hidden, true));
  $("closer-close").addEventListener("click", () => setOpen(false));
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") setOpen(false);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (busy) return; // keep what was typed until the previous answer is in
    const text = input.value;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  // Another tab of the same site talked to the same conversation: show what it added.
  window.addEventListener("storage", (e) => {
    if (e.key !== KEY) return;
    state = readState();
    renderHistory();
  });

  window.CloserWidget = {
    open: () => setOpen(true, true),
    close: () => setOpen(false),
    send: (text) => send(text),
    reset() {
      // A new session and an empty history (e.g. after the visitor logs out of the site).
      state = { session: "w-" + randomId(), history: [] };
      save();
      renderHistory();
      if (!panel.hidden) greet();
    },
  };

  renderHistory();
  setOpen(!!state.open, false);
  const mount = () => document.body.appendChild(host);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();

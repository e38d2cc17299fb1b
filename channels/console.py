"""The console adapter behind `closer chat`: lines typed in the terminal in, replies printed out."""

from __future__ import annotations

import asyncio
import uuid

from channels.messages import START_PAYLOAD, ChannelCapabilities, Inbound, InboundMessage, OutboundMessage

CHANNEL = "console"


class ConsoleOutbound:
    name = CHANNEL
    capabilities = ChannelCapabilities(max_text=4000, max_buttons=5, button_title_max=40)

    async def send(self, recipient_id: str, message: OutboundMessage) -> str | None:
        # Replies come back to the terminal in the turn's result; sending only records them.
        return None


async def run_console(inbound: Inbound, mode: str) -> None:
    """A terminal conversation through the same pipeline; type a button's number to press it."""
    session = f"console-{uuid.uuid4().hex[:8]}"
    buttons: list[tuple[str, str]] = []

    async def send(text: str, payload: str | None = None) -> None:
        nonlocal buttons
        result = await inbound.handle(InboundMessage(CHANNEL, session, uuid.uuid4().hex, text=text, payload=payload))
        buttons = []
        for reply in result.replies:
            print(f"\nbot> {reply.text}")
            for button in reply.buttons:
                buttons.append((button.title, button.payload))
                print(f"     [{len(buttons)}] {button.title}")
        print()

    print(f"Closer chat ({mode} brain). Ctrl-D or /quit to leave.")
    await send("", START_PAYLOAD)
    while True:
        try:
            line = await asyncio.to_thread(input, "you> ")
        except EOFError:
            break
        if line.strip() in {"/quit", "/exit"}:
            break
        if line.strip().isdigit() and 0 < int(line) <= len(buttons):
            title, payload = buttons[int(line) - 1]
            await send(title, payload)
        else:
            await send(line)

"""The console channel behind `closer chat`: same pipeline, replies printed in the terminal."""

from __future__ import annotations

from channels.messages import ChannelCapabilities, OutboundMessage


class ConsoleOutbound:
    name = "console"
    capabilities = ChannelCapabilities(max_text=4000, max_buttons=5, button_title_max=40)

    async def send(self, recipient_id: str, message: OutboundMessage) -> str | None:
        # Replies come back to the terminal through HandleResult; sending only records them.
        return None

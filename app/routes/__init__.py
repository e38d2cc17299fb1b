"""FastAPI routers, one per resource; the channel adapters own their own routes (web chat, webhooks)."""

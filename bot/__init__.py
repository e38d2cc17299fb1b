"""The customer-facing Telegram bot (aiogram 3): routers and their wiring."""

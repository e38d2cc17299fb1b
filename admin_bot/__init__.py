"""The private manager/admin Telegram bot (aiogram 3)."""

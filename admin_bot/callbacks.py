"""Every admin-bot button's data, as aiogram's typed CallbackData (packed `prefix:value:...`, 64 bytes max)."""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData

Temperature = Literal["hot", "warm", "cold"]
Namespace = Literal["kb", "partner", "faq"]


class TakeOver(CallbackData, prefix="take"):
    conversation_id: str


class Release(CallbackData, prefix="release"):
    conversation_id: str


class History(CallbackData, prefix="hist"):
    conversation_id: str


class MarkLead(CallbackData, prefix="mark"):
    lead_id: str
    temperature: Temperature


class CloseLead(CallbackData, prefix="deal"):
    """A manager's word on how the lead ended (`open` reopens it): the funnel's won / lost."""

    lead_id: str
    outcome: Literal["won", "lost", "open"]


class DeleteDocument(CallbackData, prefix="del"):
    document_id: str


class KnowledgeDraft(CallbackData, prefix="kd"):
    """Publish or discard a staged new version of a document, after its replay."""

    document_id: str
    action: Literal["publish", "discard"]


class MoveDocument(CallbackData, prefix="ns"):
    document_id: str
    namespace: Namespace


class ReviewAnswer(CallbackData, prefix="ex"):
    verdict: Literal["ok", "no"]
    example_id: str


class ChooseLanguage(CallbackData, prefix="lang"):
    language: Literal["en", "uk", "ru"]


class CannedReply(CallbackData, prefix="cr"):
    conversation_id: str
    reply_id: str


class SendTemplate(CallbackData, prefix="tpl"):
    """Send a playbook WhatsApp template to a customer whose 24-hour window has closed."""

    conversation_id: str
    template_id: str


class SetAudience(CallbackData, prefix="aud"):
    """A manager says who the customer is: a partner (partner materials and greeting) or a buyer."""

    conversation_id: str
    audience: Literal["buyer", "partner"]


class MediaUpload(CallbackData, prefix="mu"):
    """A document's fate (knowledge, a sendable asset, both) or its audience, while the admin decides."""

    token: str
    action: Literal["kb", "asset", "both", "buyer", "partner", "all"]


class AssetAction(CallbackData, prefix="ma"):
    asset_id: str
    action: Literal["buyer", "partner", "all", "delete"]

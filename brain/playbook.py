"""The playbook: one YAML file that describes the business, validated with pydantic."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from brain.playbook_partners import PartnerApplication

Localized = dict[str, str]

EXAMPLE_PLAYBOOK = "sample/playbook.yaml"


class PlaybookError(ValueError):
    """The playbook file is missing, not YAML, or does not match the schema; the text says where."""


class Company(BaseModel):
    name: str
    description: Localized
    website: str | None = None
    phone: str | None = None
    email: str | None = None
    hours: Localized = Field(default_factory=dict)


class Category(BaseModel):
    id: str
    description: str
    audience: Literal["buyer", "partner", "any"] = "any"
    namespace: str = "kb"
    instructions: str = ""
    tools: list[str] = Field(default_factory=list)
    model: str | None = None
    reasoning: Literal["none", "low", "medium", "high"] = "none"
    # answer: from the knowledge; greet: the greeting; handoff: a human; acknowledge: confirm a request
    # (an order, an invoice) that a manager fulfils, with the `purchase_ack` text.
    action: Literal["answer", "greet", "handoff", "acknowledge"] = "answer"
    examples: dict[str, list[str]] = Field(default_factory=dict)


class Temperature(BaseModel):
    description: str
    examples: list[str] = Field(default_factory=list)


class Qualification(BaseModel):
    fields: list[str] = Field(default_factory=list)
    reannounce_after_minutes: float | None = Field(default=None, gt=0)  # unset: SLA_MINUTES
    questions: dict[str, Localized] = Field(default_factory=dict)
    hot: Temperature
    warm: Temperature
    cold: Temperature


class CannedReply(BaseModel):
    """A ready answer a manager sends with one tap during a takeover (`/reply`), in the customer's language."""

    id: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    title: str
    text: Localized


class MessageTemplate(BaseModel):
    """A WhatsApp template approved in Meta's manager: outside the 24-hour window it is the only thing a
    manager can send. `languages` maps our language to Meta's code (`en: en_US`)."""

    id: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    name: str  # the template's name in WhatsApp Manager
    title: str  # what the manager's button says
    languages: dict[str, str] = Field(default_factory=lambda: {"en": "en_US"})
    text: Localized = Field(default_factory=dict)  # what it says, for our record and the manager


class CommentTrigger(BaseModel):
    """Instagram comments that deserve a private reply in Direct: any keyword in the comment, or one of the
    intents the router recognises in it. The reply texts are in the commenter's language."""

    keywords: list[str] = Field(default_factory=list)
    intents: list[str] = Field(default_factory=list)
    private_reply: Localized
    public_reply: Localized = Field(default_factory=dict)  # empty: no public answer under the comment


class Product(BaseModel):
    """A product the business sells, as customers name it (lead cards show it as the product of interest)."""

    name: str
    aliases: list[str] = Field(default_factory=list)


class Texts(BaseModel):
    greeting: Localized
    offer_manager: Localized
    no_answer: Localized
    handoff: Localized
    unsupported_message: Localized
    empty_message: Localized
    too_long: Localized
    source_label: Localized
    talk_to_manager_button: Localized
    busy_human: Localized = Field(default_factory=dict)
    guard_refusal: Localized
    guard_escalation: Localized
    guard_breach: Localized
    self_harm_support: Localized
    purchase_ack: Localized = Field(
        default_factory=lambda: {
            "en": "Great, thank you! A manager will prepare the offer and contact you.",
            "ru": "Отлично, спасибо! Я передал запрос менеджеру, он подготовит предложение и свяжется с вами.",
            "uk": "Чудово, дякую! Я передав запит менеджеру, він підготує пропозицію і зв'яжеться з вами.",
        }
    )
    csat_question: Localized = Field(
        default_factory=lambda: {
            "en": "How did we do? Rate this conversation from 1 (poor) to 5 (excellent).",
            "ru": "Как мы справились? Оцените разговор от 1 (плохо) до 5 (отлично).",
            "uk": "Як ми впоралися? Оцініть розмову від 1 (погано) до 5 (чудово).",
        }
    )
    csat_thanks: Localized = Field(
        default_factory=lambda: {
            "en": "Thank you for the rating!",
            "ru": "Спасибо за оценку!",
            "uk": "Дякуємо за оцінку!",
        }
    )
    follow_up: Localized = Field(
        default_factory=lambda: {
            "en": "Hello again! Do you still have questions about our offer? I'm happy to help or to connect you "
            "with a manager.",
            "ru": "Здравствуйте ещё раз! Остались вопросы по нашему предложению? С радостью помогу или соединю с "
            "менеджером.",
            "uk": "Вітаю ще раз! Лишилися питання щодо нашої пропозиції? Із радістю допоможу або з'єднаю з менеджером.",
        }
    )
    confirm_yes: Localized = Field(default_factory=lambda: {"en": "Yes", "ru": "Да", "uk": "Так"})
    confirm_no: Localized = Field(default_factory=lambda: {"en": "No", "ru": "Нет", "uk": "Ні"})
    callback_confirmed: Localized = Field(
        default_factory=lambda: {
            "en": "Done: a manager will call you at {phone} ({when}).",
            "ru": "Готово: менеджер позвонит вам по номеру {phone} ({when}).",
            "uk": "Готово: менеджер зателефонує вам на номер {phone} ({when}).",
        }
    )
    action_cancelled: Localized = Field(
        default_factory=lambda: {"en": "OK, cancelled.", "ru": "Хорошо, отменено.", "uk": "Добре, скасовано."}
    )
    action_expired: Localized = Field(
        default_factory=lambda: {
            "en": "That request has expired; just ask again.",
            "ru": "Этот запрос уже неактуален; просто попросите ещё раз.",
            "uk": "Цей запит уже неактуальний; просто попросіть ще раз.",
        }
    )
    share_phone_button: Localized = Field(
        default_factory=lambda: {"en": "Share my phone number", "ru": "Поделиться номером", "uk": "Поділитися номером"}
    )
    contact_thanks: Localized = Field(
        default_factory=lambda: {
            "en": "Thank you! A manager will contact you shortly.",
            "ru": "Спасибо! Менеджер скоро с вами свяжется.",
            "uk": "Дякую! Менеджер незабаром з вами зв'яжеться.",
        }
    )
    media_caption: Localized = Field(
        default_factory=lambda: {"en": "Here it is: {title}", "ru": "Отправляю: {title}", "uk": "Надсилаю: {title}"}
    )
    media_choose: Localized = Field(
        default_factory=lambda: {
            "en": "I have a few materials on that. Which one do you need?",
            "ru": "У меня есть несколько материалов на эту тему. Какой вам нужен?",
            "uk": "Маю кілька матеріалів на цю тему. Який вам потрібен?",
        }
    )
    media_partner_only: Localized = Field(
        default_factory=lambda: {
            "en": "That material is for our partners only. I can tell you about it here, or a manager can help.",
            "ru": "Этот материал только для наших партнёров. Могу рассказать о нём здесь или позвать менеджера.",
            "uk": "Цей матеріал лише для наших партнерів. Можу розповісти про нього тут або покликати менеджера.",
        }
    )
    media_too_big: Localized = Field(
        default_factory=lambda: {
            "en": "{title} is too large to send here; download it: {url}",
            "ru": "{title} слишком большой для отправки здесь; скачайте по ссылке: {url}",
            "uk": "{title} завеликий для надсилання тут; завантажте за посиланням: {url}",
        }
    )
    partner_greeting: Localized = Field(default_factory=dict)  # empty: the ordinary greeting


class Playbook(BaseModel):
    version: int = 1
    company: Company
    tone: str
    languages: list[str]
    default_language: str = "en"
    texts: Texts
    red_lines: list[str] = Field(default_factory=list)
    categories: list[Category]
    out_of_scope: dict[str, list[str]] = Field(default_factory=dict)
    qualification: Qualification | None = None
    products: list[Product] = Field(default_factory=list)
    canned_replies: list[CannedReply] = Field(default_factory=list)
    whatsapp_templates: list[MessageTemplate] = Field(default_factory=list)
    comment_triggers: list[CommentTrigger] = Field(default_factory=list)
    partner_application: PartnerApplication = Field(default_factory=PartnerApplication)

    @model_validator(mode="after")
    def _check(self) -> Playbook:
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        ids = [c.id for c in self.categories]
        if len(ids) != len(set(ids)):
            raise ValueError("category ids must be unique")
        return self

    def text(self, key: str, language: str) -> str:
        """A canned text in the customer's language, falling back to the default language."""
        return self.localized(getattr(self.texts, key), language)

    def localized(self, options: Localized, language: str | None) -> str:
        return options.get(language or "") or options.get(self.default_language) or next(iter(options.values()), "")

    def canned_reply(self, reply_id: str) -> CannedReply | None:
        return next((r for r in self.canned_replies if r.id == reply_id), None)

    def whatsapp_template(self, template_id: str) -> MessageTemplate | None:
        return next((t for t in self.whatsapp_templates if t.id == template_id), None)

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)


def load_playbook(path: Path | None = None) -> Playbook:
    """Load and validate a playbook; the bundled example when `path` is None."""
    if path is None:
        source = resources.files("brain").joinpath(EXAMPLE_PLAYBOOK)
        name, raw = str(source), source.read_text(encoding="utf-8")
    else:
        try:
            name, raw = str(path), path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PlaybookError(f"cannot read playbook {path}: {exc.strerror}") from exc
    return parse_playbook(raw, name)


def parse_playbook(raw: str, name: str = "<playbook>") -> Playbook:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PlaybookError(f"{name}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise PlaybookError(f"{name}: the playbook must be a YAML mapping")
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        line = _line_of(raw, first["loc"])
        where = f" (line {line})" if line else ""
        raise PlaybookError(f"{name}: {field}{where}: {first['msg']}") from exc


def _line_of(raw: str, loc: tuple[int | str, ...]) -> int | None:
    """Best-effort line number of the deepest named key of a validation error."""
    keys = [part for part in loc if isinstance(part, str)]
    if not keys:
        return None
    needle = f"{keys[-1]}:"
    for number, line in enumerate(raw.splitlines(), start=1):
        if line.strip().startswith(needle) or line.strip().startswith(f"- {needle}"):
            return number
    return None

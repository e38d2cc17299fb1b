"""The playbook's partner application: what a partner who wants to join is asked, one question at a time."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

Localized = dict[str, str]


def _questions() -> dict[str, Localized]:
    return {
        "company": {
            "en": "What is your company called?",
            "ru": "Как называется ваша компания?",
            "uk": "Як називається ваша компанія?",
        },
        "region": {
            "en": "Which region or cities do you cover?",
            "ru": "В каком регионе или городах вы работаете?",
            "uk": "У якому регіоні чи містах ви працюєте?",
        },
        "sales_channel": {
            "en": "How do you sell: a shop, online, B2B, HoReCa?",
            "ru": "Как вы продаёте: магазин, онлайн, B2B, HoReCa?",
            "uk": "Як ви продаєте: магазин, онлайн, B2B, HoReCa?",
        },
        "volume": {
            "en": "How many machines a quarter do you expect to sell?",
            "ru": "Сколько машин в квартал планируете продавать?",
            "uk": "Скільки машин на квартал плануєте продавати?",
        },
    }


def _intro() -> Localized:
    return {
        "en": "Great, let's fill in a short partner application: four questions.",
        "ru": "Отлично, заполним короткую партнёрскую заявку: четыре вопроса.",
        "uk": "Чудово, заповнимо коротку партнерську заявку: чотири питання.",
    }


def _done() -> Localized:
    return {
        "en": "Thank you! Your application is with our partner manager, who will contact you shortly.",
        "ru": "Спасибо! Заявка у партнёрского менеджера, он скоро с вами свяжется.",
        "uk": "Дякуємо! Заявка в партнерського менеджера, він незабаром з вами зв'яжеться.",
    }


def _cancelled() -> Localized:
    return {
        "en": "OK, the application is cancelled.",
        "ru": "Хорошо, заявку отменили.",
        "uk": "Добре, заявку скасовано.",
    }


class PartnerApplication(BaseModel):
    """The answers (`fields`, asked in order) become a partner lead managers get as a hot card."""

    fields: list[str] = Field(default_factory=lambda: ["company", "region", "sales_channel", "volume"], min_length=1)
    questions: dict[str, Localized] = Field(default_factory=_questions)
    intro: Localized = Field(default_factory=_intro)
    done: Localized = Field(default_factory=_done)
    cancelled: Localized = Field(default_factory=_cancelled)

    @model_validator(mode="after")
    def _every_field_asked(self) -> PartnerApplication:
        missing = [f for f in self.fields if f not in self.questions]
        if missing:
            raise ValueError(f"partner_application: no question for {', '.join(missing)}")
        return self

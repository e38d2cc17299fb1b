"""Lead fields as values (brain.lead_fields): what a manager reads on the card, in ru / uk / en."""

from __future__ import annotations

import json
from datetime import date

import pytest

from brain.lead_fields import describe_fields, extract_fields

TODAY = date(2026, 12, 1)  # a Tuesday: this week ends on Sunday 6 December
PRODUCTS = {
    "Office 200": [],
    "Barista Pro": [],
    "Compact 80": [],
    "Grinder G64": ["G64", "гриндер G64", "кавомолка G64", "кавомолки G64", "grinder G64"],
}


def fields(*texts: str, today: date = TODAY) -> dict:
    return extract_fields(list(texts), products=PRODUCTS, today=today)


def quantities(text: str) -> str:
    return describe_fields(fields(text)).get("quantity", "")


def test_the_issue_example_gives_values_not_quotes():
    found = fields(
        "Хочемо замовити 30 штук цього тижня, бюджет погоджений",
        "Виставте рахунок на ТОВ «Світанок», оплатимо сьогодні. Мій телефон +380671234567",
    )
    assert found["quantity"] == [{"amount": 30, "up_to": None, "unit": "pcs"}]
    # Both messages name a time; the later one is the customer's latest word, so it wins.
    assert found["timeline"] == {"text": "сьогодні", "date": "2026-12-01"}
    assert found["budget"] == {"approved": True}
    assert found["company"] == "ТОВ «Світанок»"
    assert found["contact"] == {"phone": "+380671234567", "email": None, "telegram": None}
    assert json.loads(json.dumps(found, ensure_ascii=False)) == found  # stored as is in MongoDB


def test_a_plain_greeting_has_no_fields():
    assert fields("Добрий день!") == {}
    assert fields("Hi there, how are you?") == {}
    assert fields("Здравствуйте, кто-нибудь есть?") == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Треба дві Compact 80 на кухні двох поверхів", "2 machines"),
        ("Нам треба п'ять машин для філій", "5 machines"),
        ("We need a dozen Compact 80 for our meeting rooms", "12 machines"),
        ("Виставте рахунок за десяток фільтрів і одну Compact 80", "10 filters; 1 machine"),
        ("хотим поставить пару Office 200 и одну Barista Pro", "2 machines; 1 machine"),
        ("полтора десятка Office 200 на все наши склады", "15 machines"),
        ("Для нашої мережі треба буде штук сім Compact 80", "7 machines"),
        ("Нужно две-три кофемашины и один гриндер G64", "2-3 machines; 1 grinder"),
        ("we plan 15-20 machines a quarter", "15-20 machines"),
        ("Please invoice us for one Grinder G64", "1 grinder"),
        ("ok we'll take two of the Compact 80", "2 machines"),
        ("Yes let's do it. 2 x Office 200, delivery to Kharkiv", "2 machines"),
        ("send invoice for 2 office 200 + 2 water filters", "2 machines; 2 filters"),
        ("Need 20 pcs of Compact 80 for our franchise", "20 pcs"),
        ("берём одну, как оплатить?", "1 pcs"),
    ],
)
def test_quantities_are_numbers_with_units(text, expected):
    assert quantities(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'm the owner of four coffee shops and want one Barista Pro for each location",
        "Need one Barista Pro for each of our four shops",
        "Я директор сети кофеен, у нас 4 точки. Хотим по Barista Pro на каждую точку",
    ],
)
def test_one_per_location_counts_the_locations(text):
    assert quantities(text) == "4 machines"


@pytest.mark.parametrize(
    "text",
    [
        "Which machine for an office of 35 people?",
        "Что выгоднее для офиса на 60 человек?",
        "We sell maybe 100-150 cups a day",
        "Ми мережа з 6 кав'ярень, розглядаємо заміну обладнання",
        "Как часто менять фильтр? У нас таких три стоит.",
        "We have 3 Office 200 already, one is leaking",
        "What's the minimum rental term? We might only need it for 6 months.",
        "We want to buy an Office 200 and a Compact 80",
        "The price of 1200 EUR for the Barista Pro?",
        "Звоните +380 50 998 11 22",
    ],
)
def test_headcount_cups_shops_owned_durations_prices_and_articles_are_not_quantities(text):
    assert "quantity" not in fields(text)


@pytest.mark.parametrize(
    ("text", "phrase", "day"),
    [
        ("оплатимо сьогодні", "сьогодні", "2026-12-01"),
        ("Need it by tomorrow", "by tomorrow", "2026-12-02"),
        ("Позвоните мне завтра до обеда", "завтра до обеда", "2026-12-02"),
        ("бажано вже цього тижня", "цього тижня", "2026-12-06"),
        ("оплатим на этой неделе", "на этой неделе", "2026-12-06"),
        ("start next week", "next week", "2026-12-13"),
        ("Need 3 machines by Friday", "by Friday", "2026-12-04"),
        ("Потрібні чотири кавомашини до п'ятниці", "до п'ятниці", "2026-12-04"),
        ("заберём в пятницу", "в пятницу", "2026-12-04"),
        ("delivery this month", "this month", "2026-12-31"),
        ("Доставте до кінця місяця", "до кінця місяця", "2026-12-31"),
        ("We have a corporate event on December 12", "December 12", "2026-12-12"),
        ("15 січня зможете привезти?", "15 січня", "2027-01-15"),
        ("Потрібні до 15 грудня", "до 15 грудня", "2026-12-15"),
        ("К 15 декабря хотим поставить", "К 15 декабря", "2026-12-15"),
        ("it has to be installed by the 18th", "by the 18th", "2026-12-18"),
        ("Сможете привезти до 25 числа?", "до 25 числа", "2026-12-25"),
        ("Поставку потрібно зробити 3-5 грудня", "3-5 грудня", "2026-12-03"),
        ("delivery across Ukraine in December", "in December", "2026-12-31"),
        ("Нужно в декабре", "в декабре", "2026-12-31"),
        ("12 January would be perfect", "12 January", "2027-01-12"),
        ("want to order 7 Compact 80 before the holidays", "before the holidays", "2026-12-31"),
        ("Хотим успеть к Новому году", "к Новому году", "2026-12-31"),
        ("Just browsing for now, maybe next year.", "next year", None),
        ("мабуть, наступного року", "наступного року", None),
    ],
)
def test_timeline_keeps_the_phrase_and_derives_the_date(text, phrase, day):
    assert fields(text)["timeline"] == {"text": phrase, "date": day}


def test_dates_follow_the_day_they_are_said_on():
    assert fields("до п'ятниці", today=date(2026, 12, 5))["timeline"]["date"] == "2026-12-11"
    assert fields("by the 18th", today=date(2026, 12, 20))["timeline"]["date"] == "2027-01-18"
    assert fields("this month", today=date(2027, 2, 3))["timeline"]["date"] == "2027-02-28"


@pytest.mark.parametrize(
    "text",
    [
        "Яка різниця, якщо орендувати Office 200 на рік?",
        "rent 4 Office 200 for 12 months",
        "What are your working hours on Saturday?",
        "До котрої ви працюєте в суботу?",
        "It's a Barista Pro, bought from you in March.",
        "The order delivered on 20 November was damaged",
        "what's the weather in Kyiv tomorrow",
        "We offer SEO, 50% off this month only!",
    ],
)
def test_durations_past_dates_and_off_topic_dates_are_not_timelines(text):
    assert "timeline" not in fields(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Я директор сети, бюджет 20 000 евро согласован.", {"amount": 20000, "currency": "EUR"}),
        ("Бюджет затвердили: до 50 тисяч гривень.", {"amount": 50000, "currency": "UAH"}),
        ("бюджет близько 6 тис. євро", {"amount": 6000, "currency": "EUR"}),
        ("Our budget is $5k for the kitchen", {"amount": 5000, "currency": "USD"}),
        ("Давайте в оренду, 59 євро на місяць нас влаштовує.", {"amount": 59, "currency": "EUR"}),
        ("Что есть до 1000 евро?", {"amount": 1000, "currency": "EUR"}),
        ("Нам погодили бюджет на каву для колективу.", {"approved": True}),
        ("Budget is approved, we need one Office 200.", {"approved": True}),
        ("As the office manager I got the go-ahead.", {"approved": True}),
    ],
)
def test_budget_is_an_amount_or_an_approval(text, expected):
    assert fields(text)["budget"] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Скільки коштує Barista Pro, 1500 євро?",
        "Our director asked me to collect options, the budget isn't set yet.",
        "Пять Compact 80 в аренду, согласовано.",
        "Тема цікава, але не зараз, у нас скорочення бюджету.",
    ],
)
def test_asked_prices_and_unapproved_budgets_are_not_budgets(text):
    assert "budget" not in fields(text)


def test_an_amount_wins_over_an_approval_in_any_order():
    assert fields("Бюджет 4000 євро", "бюджет погоджено")["budget"] == {"amount": 4000, "currency": "EUR"}
    assert fields("budget is approved", "budget around 8000 EUR")["budget"] == {"amount": 8000, "currency": "EUR"}


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("Виставте рахунок на ТОВ «Світанок»", "ТОВ «Світанок»"),
        ('Здравствуйте! Мы ООО "Ромашка", нужна одна Barista Pro', 'ООО "Ромашка"'),
        ("Виставте рахунок на ФОП Коваленко О.В. за десяток фільтрів", "ФОП Коваленко О.В."),
        ("Я директор кав'ярні «Зерно».", "Зерно"),
        ("Hi, this is Mark from Vilnius Roasters. We want to join", "Vilnius Roasters"),
        ("I'm the procurement manager at Helix Software. We're comparing", "Helix Software"),
        ("company: Greenfield Logistics, please send the offer", "Greenfield Logistics"),
        ("Please send the invoice to Brightline Ltd, accounting@brightline-ltd.com", "Brightline Ltd"),
        ("We are a coworking (Hive Space) in Lviv", "Hive Space"),
        ("We're Nord Hotels, three hotels in Lviv.", "Nord Hotels"),
        ("оформіть замовлення для кав'ярні Brew&Bun, самовивіз", "Brew&Bun"),
    ],
)
def test_company_as_written(text, company):
    assert fields(text)["company"] == company


@pytest.mark.parametrize(
    "text",
    [
        "yes please send the offer to my email, it's j.morris@fieldstone.co.uk",
        "Office 200 пише «Помилка 12» і не вмикається",
        "Мы небольшое ООО, можно оплатить частями?",
        "Can you deliver to Kyiv from Lviv?",
    ],
)
def test_email_domains_error_messages_and_cities_are_not_companies(text):
    assert "company" not in fields(text)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Я директор кав'ярні «Зерно».", "director"),
        ("Я власниця пекарні, хочу Compact 80", "owner"),
        ("Я совладелец ресторана «Гавань».", "co-owner"),
        ("Я офіс-менеджерка, пишіть сюди", "office manager"),
        ("Hello, I'm the procurement manager at Helix Software.", "procurement manager"),
        ("Я менеджер із закупівель мережі «Смачно».", "procurement manager"),
        ("Я головний бухгалтер ТзОВ «Гарант».", "chief accountant"),
        ("Я управляющий отелем «Черноморец» в Затоке.", "hotel manager"),
        ("Нам потрібні чотири машини. Я адміністратор.", "administrator"),
        ("Я помощник директора, мне поручили узнать цены", "director's assistant"),
        ("Руководство утвердило до 120 тысяч гривен", "management"),
        ("The CFO approved 5000 EUR for coffee equipment.", "CFO"),
        ("Send us the partner agreement, I'm the CEO.", "CEO"),
        ("Збираю варіанти, остаточно вирішуватиме директор.", "director"),
        ("Директор підписав службову, беремо три Office 200", "director"),
    ],
)
def test_decision_role_is_normalised(text, role):
    assert fields(text)["decision_role"] == role


def test_the_writers_own_role_outranks_a_named_decider():
    assert fields("I'm the office manager.", "The director approved it.")["decision_role"] == "office manager"
    assert "decision_role" not in fields("Зв'яжіться з нашим адміністратором, пані Оленою")


def test_products_in_order_without_duplicates_and_by_alias():
    assert fields("Compact 80 vs Office 200? And the office 200 price?")["product_interest"] == [
        "Compact 80",
        "Office 200",
    ]
    assert fields("Кофемолка G64 подойдёт?", "А гриндер G64 шумный?")["product_interest"] == ["Grinder G64"]
    assert "product_interest" not in fields("Hi, do you also rent grinders, or only sell them?")
    custom = extract_fields(["Need two Bean Box"], products={"Bean Box": []}, today=TODAY)
    assert custom == {"quantity": [{"amount": 2, "up_to": None, "unit": "machines"}], "product_interest": ["Bean Box"]}


def test_contacts_as_written():
    found = fields("Передзвоніть на 068 222 19 05 або пишіть ivanna@cafe.com.ua, телеграм @andriy_lviv_coffee")
    assert found["contact"] == {
        "phone": "068 222 19 05",
        "email": "ivanna@cafe.com.ua",
        "telegram": "@andriy_lviv_coffee",
    }
    assert fields("my email is olga.petrenko@cafe-lumiere.com")["contact"]["telegram"] is None


def test_later_messages_win_and_restated_counts_are_not_doubled():
    found = fields("We need 3 Office 200 next week", "Sorry, by Friday, still 3 Office 200. Company: Acme Works")
    assert found["timeline"] == {"text": "by Friday", "date": "2026-12-04"}
    assert found["quantity"] == [{"amount": 3, "up_to": None, "unit": "machines"}]
    assert found["company"] == "Acme Works"


def test_describe_fields_for_the_manager_card():
    found = fields(
        "Нужно две-три кофемашины и один гриндер G64 цього тижня, бюджет 20 000 евро",
        "+380671234567, a@b.cc, @kava_lviv",
    )
    shown = describe_fields(found)
    assert shown["quantity"] == "2-3 machines; 1 grinder"
    assert shown["timeline"] == "цього тижня (06.12)"
    assert shown["budget"] == "20000 EUR"
    assert shown["contact"] == "+380671234567, a@b.cc, @kava_lviv"
    assert describe_fields({"budget": {"approved": True}}) == {"budget": "approved"}
    # Leads saved before values existed hold quoted text: it is shown as it is.
    assert describe_fields({"quantity": "30 штук", "need": "замовити"}) == {"quantity": "30 штук", "need": "замовити"}


def test_a_huge_message_still_returns():
    text = "Хочемо замовити 30 штук цього тижня. " + "ля-ля 15 штук, 2024 року, «Зерно» " * 600 + " +380671234567"
    assert len(text) > 20_000
    found = fields(text)
    assert found["quantity"][0] == {"amount": 30, "up_to": None, "unit": "pcs"}
    assert found["contact"]["phone"] == "+380671234567"
    assert isinstance(fields("1 " * 10_000 + "a" * 1000), dict)

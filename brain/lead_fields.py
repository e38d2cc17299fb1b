"""Lead fields as values a manager can act on: quantities, a dated timeline, a budget, the company,
the decision maker's role, the products and the contacts, from a customer's messages (ru / uk / en).

Pure rules, no model: the result is a JSON-serialisable dict stored with the lead. Later messages
win for single values (a budget restated, a new deadline); lists (quantities, products) accumulate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from brain.lead_dates import find_timeline
from brain.lead_numbers import AMOUNT, Sentences, fold, money, product_key, quantities, quantity_patterns
from brain.limits import bounded
from brain.router import find_contacts

_I = re.IGNORECASE
_TELEGRAM = re.compile(r"(?<![\w.@/])@([A-Za-z][A-Za-z0-9_]{3,31})(?![\w@])|t\.me/([A-Za-z][A-Za-z0-9_]{3,31})")

# --- budget: an amount with a currency only counts next to a budget, an approval or an acceptance.
_BUDGET = re.compile(r"бюджет\w*|budget\w*", _I)
_APPROVED = re.compile(
    r"approv\w*|signed off|enough|достаточно|хватит|вистачить|"
    r"утверд\w*|затверд\w*|погод\w*|согласова\w*|одобр\w*|схвал\w*|виділи\w*|выдели\w*|allocated",
    _I,
)
_NOT_APPROVED = re.compile(
    r"\b(?:not|isn't|hasn't|not yet|yet to be|не|ще не|еще не)\s(?:\w+\s)?"
    r"(?:approv|set|погод|согласова|утверд|затверд)|isn't set|скороч|сокращ|урізал|урезал",
    _I,
)
_GO_AHEAD = re.compile(
    r"go-ahead|green light|зелен\w+ (?:світло|свет)|підписав службову|подписал служебку|"
    r"(?:закупівлю|закупку|покупку|purchase)\s(?:\w+\s)?(?:погоджено|погодили|согласовали|одобрили|approved)|"
    r"(?:approv\w*|погоди\w*|погодж\w*|согласова\w*|одобри\w*|утверди\w*|затверди\w*)\s(?:\w+\s)?"
    r"(?:purchase|order|закупівл\w*|закупк\w*|покупк\w*|придбання)",
    _I,
)
_ACCEPTED = re.compile(
    r"влаштовує|устраивает|подходит|підходить|suits us|works for us|fine (?:for|with) us|ok (?:for|with) us|"
    r"we accept|згодні|согласны|spend|потратить|витратити|вкладемося|вложимся|afford",
    _I,
)
_LIMIT = re.compile(
    r"\b(?:до|up to|under|within|no more than|at most|не дороже|не дорожче|не более(?: чем)?|не більше(?: ніж)?|"
    r"в пределах|в межах|максимум|max)\s$",
    _I,
)
_SENTENCE = re.compile(r"[!?\n]|(?<!тис)(?<!тыс)(?<!\b[A-ZА-Я])\.(?=\s|$)")

# --- company: legal forms, quoted names, and the English ways of naming one's organisation.
_CAP = r"[A-Z][\w&'-]*"
_CAP_UK = r"[А-ЯІЇЄҐ][а-яіїєґ'][\w'&-]*"
_NAME_EN = rf"{_CAP}(?:\s(?:&\s)?{_CAP}){{0,3}}"
_QUOTED = r"«[^»\n]{1,60}»|\"[^\"\n]{1,60}\"|“[^”\n]{1,60}”|„[^“”\n]{1,60}[“”]"
_LEGAL = re.compile(
    r"(?<!\w)(?:ТОВ|ТзОВ|ООО|ОДО|ФОП|ФЛП|ПП|ЧП|ИП|ПрАТ|ПАТ|ПАО|АТ|АО|ЗАО|ОАО)\s"
    rf"(?:{_QUOTED}|[A-ZА-ЯІЇЄҐ][\w'-]+(?:\s[A-ZА-ЯІЇЄҐ]\.\s?[A-ZА-ЯІЇЄҐ]\.|\s[A-ZА-ЯІЇЄҐ][\w'-]+){{0,2}})|"
    rf"(?:{_CAP}\s){{1,3}}(?:LLC|Ltd|Inc|GmbH|LLP|PLC|Sp\.\sz\so\.o\.|S\.A\.)(?![\w])"
)
_NOT_A_NAME = re.compile(
    r"(?:пише|пишет|показ\w*|выда\w*|вида\w*|ошибк\w*|помилк\w*|напис\w*|кнопк\w*|режим\w*)\s$", _I
)
_BUSINESS = (
    r"caf[eé]|bakery|clinic|restaurant|hotels?|hostel|coworking|gym|studio|salon|roastery|bar|coffee shop|"
    r"кав'ярн\w*|кафе|кофейн\w*|ресторан\w*|пекарн\w*|готел\w*|отел\w*|клінік\w*|клиник\w*|салон\w*|студі\w*|"
    r"коворкінг\w*|коворкинг\w*|мереж\w*|сет[иь]"
)
_ENGLISH = [
    re.compile(rf"(?:{_CAP}\s){{0,2}}\b(?:Cafe|Café|Hotel|Restaurant|Bakery|Clinic|Studio)\s{_CAP}(?:\s{_CAP}){{0,2}}"),
    re.compile(rf"(?<![\w'])(?i:{_BUSINESS})\s(?P<name>{_CAP}(?:\s{_CAP}){{0,2}})"),
    re.compile(rf"\b(?:from|at|of)\s(?P<name>{_NAME_EN})"),
    re.compile(rf"\b(?:[Cc]ompany|[Cc]lient|[Oo]rgani[sz]ation)[:,]?\s(?:is\s)?(?P<name>{_NAME_EN})"),
    re.compile(
        r"(?<![\w'])(?i:компани[яиюей]|компані[яїюй]|фірм[аиуі]|фирм[аыуе]|организаци\w*|організаці\w*|"
        rf"{_BUSINESS})\s(?P<name>{_CAP_UK}(?:\s{_CAP_UK}){{0,2}})"
    ),
    re.compile(rf"\b(?:We're|We are|we're|we are)\s(?P<name>{_NAME_EN})"),
    re.compile(rf"\b(?:invoice|contract|offer|quote|proposal|proforma)\b[^.!?\n]{{0,80}}?\bto\s(?P<name>{_NAME_EN})"),
    re.compile(rf"\b(?:invoice|bill)\s(?P<name>{_NAME_EN})"),
    re.compile(rf"\b(?:called|named)\s(?P<name>{_NAME_EN})"),
    re.compile(rf"\((?P<name>{_NAME_EN})\s?[,)]"),
    re.compile(rf"(?P<name>(?:{_CAP}\s){{1,3}})(?:bakery|clinic|caf[eé]|restaurant|hotel|hostel|coworking|roastery)\b"),
]
_NOT_COMPANY = re.compile(
    r"(?:I|I'm|Hi|Hello|Hey|Mr|Mrs|Ms|Our|The|This|We|You|Kyiv|Kiev|Lviv|Odesa|Odessa|Kharkiv|Dnipro|Warsaw|Poland|Ukraine|Europe|"
    r"Ки[їє]в\w*|Киев\w*|Льв[іо]в\w*|Одес\w*|Харк\w*|Дніпр\w*|Днепр\w*|Запор\w*|Вінниц\w*|Винниц\w*|"
    r"Vilnius|Riga|Kraków|Krakow|Gdańsk|Zaporizhzhia|Vinnytsia|Lutsk|Poltava|BrewPoint|Gold|Silver|Bronze|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July|"
    r"August|September|October|November|December|\w)$"
)
_ADDRESS = re.compile(r"\s?\d")
_ADDRESS_WORD = re.compile(r"\b(?:St|Str|Street|Ave|Avenue|Road|Rd|Blvd|Square|Sq)\b")
_NOT_FIRST = re.compile(r"(?:I|I'm|Hi|Hello|Hey|Mr|Mrs|Ms|Our|The|This|We|You|Please|Thanks)$")

# --- decision role: the most specific wording first ("помощник директора" is not a director).
_ROLES: list[tuple[str, str]] = [
    (
        "director's assistant",
        r"(?:помощни\w*|помічни\w*|ассистент\w*|асистент\w*)\s(?:генерального\s)?директора|"
        r"assistant to (?:the|our) (?:managing )?director|director's assistant",
    ),
    ("co-owner", r"co-?owner|совладел\w*|співвласни\w*"),
    ("office manager", r"офи?с-?\s?менеджер\w*|офіс-?\s?менеджер\w*|office manager"),
    (
        "procurement manager",
        r"менеджер\w*\s(?:по|з|із|зі)\sзакуп\w*|(?:керівни|руководител|начальни)\w*\s(?:відділу|отдела)\s"
        r"закуп\w*|(?:procurement|purchasing)\s(?:manager|lead|officer|"
        r"specialist)|head of (?:procurement|purchasing)|закупщи\w*|закупівельни\w*",
    ),
    ("chief accountant", r"(?:главн|головн)\w+\sбухгалтер\w*|chief accountant"),
    (
        "hotel manager",
        r"управляющ\w+\s(?:отел|гостиниц)\w*|керуюч\w+\s(?:готел|отел)\w*|менеджер\w*\s(?:отел|готел)\w*|"
        r"hotel manager|manager of (?:the |a |our )?hotel|I manage (?:a|the|our)\s(?:[\w-]+\s){0,3}hotel",
    ),
    ("facility manager", r"facilit(?:y|ies) manager"),
    ("operations manager", r"operations manager|head of operations"),
    (
        "procurement manager",
        r"responsible for (?:procurement|purchasing)|відповідаю за закупів\w*|отвечаю за закупк\w*",
    ),
    ("CFO", r"CFO|финансов\w+\sдиректор\w*|фінансов\w+\sдиректор\w*|финдиректор\w*|fin(?:ance|ancial) director"),
    ("CEO", r"CEO|генеральн\w+\sдиректор\w*|managing director"),
    ("administrator", r"администратор\w*|адміністратор\w*|administrator"),
    (
        "owner",
        r"владел\w*|собственни\w*|founder|co-founder|засновни\w*|основател\w*|власни(?:к|ця|ка|ки|ку|ком|це|цею|цю|ці|кові)|owners?",
    ),
    ("director", r"директор\w*|directors?"),
    # "руководство по эксплуатации" is a user manual, not the management
    ("management", r"руководств\w*(?!\s(?:по|к|пользовател))|керівництв\w*(?!\s(?:з|із|по|до|користувач))|management"),
    ("accountant", r"бухгалтер\w*|accountant"),
    ("secretary", r"секретар\w*|secretary"),
]
_ROLE = re.compile("(?<![\\w-])(?:" + "|".join(f"(?P<r{i}>{rx})" for i, (_, rx) in enumerate(_ROLES)) + ")(?!\\w)", _I)
_SELF = re.compile(
    r"(?:\bя|\bi'm|\bi am|\bas|\bwork as|\bпрацюю|\bработаю)\s(?:(?:the|a|an|our|тут|вже|уже|—|-)\s)?(?:\w+\s)?$", _I
)
_SIGNED = re.compile(r"\b[A-ZА-ЯІЇЄҐ][a-zа-яіїєґ']+,\s(?:the\s|an?\s|your\s)?$")  # "This is Sarah, office manager"
_DECIDERS = {"director", "CFO", "CEO", "management", "owner", "co-owner"}


@lru_cache(maxsize=32)
def _catalogue(products: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[Any, ...]:
    """Compiled patterns for one catalogue: alias → product name, alias → unit, and the quantity rules."""
    names: dict[str, str] = {}
    for name, aliases in products:
        for alias in (name, *aliases):
            names.setdefault(product_key(fold(alias)), name)
    grinder = re.compile(r"grind|гриндер|мол[кц]", _I)
    units = {a: "grinders" if grinder.search(a) or grinder.search(names[a]) else "machines" for a in names}
    # Longest first; "Office200", "Barista-Pro": the space inside a model name is optional.
    spelled = sorted({fold(a).lower() for name, aliases in products for a in (name, *aliases)}, key=len, reverse=True)
    alternation = "|".join(re.escape(a).replace(r"\ ", " ").replace(" ", r"[\s-]?") for a in spelled)
    finder = re.compile(rf"(?<![\w-])(?P<p>{alternation})(?:'?s)?(?![\w-])", _I) if names else None
    return names, units, finder, quantity_patterns(alternation)


def _budget(text: str, skip: list[tuple[int, int]]) -> dict[str, Any] | None:
    """An amount said as a budget (first one wins), else an approval without an amount."""
    sentences = Sentences(text, _SENTENCE)  # a dot after тис. or after an initial ends no sentence
    for match in AMOUNT.finditer(text):
        found = money(match)
        if found is None or any(a <= match.start() < b for a, b in skip):
            continue
        sentence = sentences.around(match.start(), match.end())
        cue = _BUDGET.search(sentence) or _APPROVED.search(sentence) or _ACCEPTED.search(sentence)
        if cue or _LIMIT.search(text[max(0, match.start() - 12) : match.start()]):
            return {"amount": found[0], "currency": found[1]}
    for match in _BUDGET.finditer(text):
        sentence = sentences.around(match.start(), match.end())
        if _APPROVED.search(sentence) and not _NOT_APPROVED.search(sentence):
            return {"approved": True}
    return {"approved": True} if _GO_AHEAD.search(text) else None


def _company(text: str, shown: str, skip: list[tuple[int, int]]) -> str | None:
    """The organisation named in one message (matched on the folded text, returned as written)."""
    legal = _LEGAL.search(text)
    if legal:
        return shown[legal.start() : legal.end()].strip()
    for match in re.finditer(_QUOTED, text):
        if not _NOT_A_NAME.search(text[max(0, match.start() - 20) : match.start()]):
            return shown[match.start() + 1 : match.end() - 1].strip()
    for pattern in _ENGLISH:
        for match in pattern.finditer(text):
            start, end = match.span("name") if match.groupdict().get("name") else match.span()
            name = shown[start:end].strip(" .,")
            if any(a < end and start < b for a, b in skip):
                continue  # "the price of Office 200" names a product, not a company
            if _ADDRESS.match(shown, end) or _ADDRESS_WORD.search(name):
                continue  # "at Khreshchatyk 22" is a street
            if name and not _NOT_FIRST.match(name.split()[0]) and not _NOT_COMPANY.match(name):
                return name
    return None


def _role(text: str) -> tuple[str | None, str | None]:
    """(the writer's own role, the role of someone named as approving or deciding)."""
    own = named = None
    for match in _ROLE.finditer(text):
        role = next(_ROLES[i][0] for i in range(len(_ROLES)) if match.group(f"r{i}"))
        before = text[max(0, match.start() - 16) : match.start()]
        if own is None and (_SELF.search(before) or _SIGNED.search(before) or role == "hotel manager"):
            own = role
        elif named is None and role in _DECIDERS:
            named = role
    return own, named


def extract_fields(
    texts: list[str], *, products: Mapping[str, Sequence[str]] = {}, today: date | datetime
) -> dict[str, Any]:
    """The lead fields stated in `texts` (a customer's messages, oldest first), only the keys found."""
    today = today.date() if isinstance(today, datetime) else today
    catalogue = tuple((n, (a,) if isinstance(a, str) else tuple(a)) for n, a in products.items())
    names, units, finder, patterns = _catalogue(catalogue)
    fields: dict[str, Any] = {}
    found_quantities: list[dict[str, Any]] = []
    found_products: list[str] = []
    contact: dict[str, str | None] = {"phone": None, "email": None, "telegram": None}
    own = named = None
    for raw in texts:
        shown = bounded(raw)
        text = fold(shown)
        spans = list(finder.finditer(text)) if finder else []
        named_here = [names[product_key(m.group("p"))] for m in spans]
        skip = [m.span() for m in spans]
        here_units = {units[product_key(m.group("p"))] for m in spans}
        seen_units = here_units or {units[product_key(p)] for p in found_products}
        default = next(iter(seen_units)) if len(seen_units) == 1 else "pcs"  # "let's rent one" after "the Office 200?"
        earlier = list(found_quantities)
        for _, quantity in quantities(text, patterns, units, skip, default):
            if quantity not in earlier:  # the same count restated in a later message is not a second order
                found_quantities.append(quantity)
        found_products += [n for i, n in enumerate(named_here) if n not in found_products and n not in named_here[:i]]
        if timeline := find_timeline(text, today, shown):
            fields["timeline"] = timeline
        budget = _budget(text, skip)
        if budget and ("amount" in budget or "amount" not in fields.get("budget", {})):
            fields["budget"] = budget
        if company := _company(text, shown, skip):
            fields["company"] = company
        message_own, message_named = _role(text)
        own, named = message_own or own, message_named or named
        emails, phones = find_contacts(shown)
        handles = [a or b for a, b in _TELEGRAM.findall(shown)]
        for key, values in (("phone", phones), ("email", emails), ("telegram", [f"@{h}" for h in handles])):
            contact[key] = values[0] if values else contact[key]
    if found_quantities:
        fields["quantity"] = found_quantities
    if own or named:
        fields["decision_role"] = own or named
    if found_products:
        fields["product_interest"] = found_products
    if any(contact.values()):
        fields["contact"] = contact
    order = ["quantity", "timeline", "budget", "company", "decision_role", "product_interest", "contact"]
    return {key: fields[key] for key in order if key in fields}


def format_quantity(quantity: Mapping[str, Any]) -> str:
    """ "2 machines", "1 grinder", "2-3 machines", "1 pcs" (pcs has no singular)."""
    amount, up_to, unit = quantity.get("amount"), quantity.get("up_to"), str(quantity.get("unit") or "pcs")
    count = f"{amount}-{up_to}" if up_to else f"{amount}"
    if amount == 1 and not up_to and unit.endswith("s") and unit != "pcs":
        unit = unit[:-1]
    return f"{count} {unit}"


def describe_fields(fields: Mapping[str, Any]) -> dict[str, str]:
    """A short display string per field for a manager's card; values in an older shape (text) pass through."""
    shown: dict[str, str] = {}
    for key, value in fields.items():
        if value in (None, "", [], {}):
            continue
        if key == "quantity" and isinstance(value, list):
            text = "; ".join(format_quantity(q) if isinstance(q, Mapping) else str(q) for q in value)
        elif key == "timeline" and isinstance(value, Mapping):
            text = str(value.get("text") or "")
            with suppress(ValueError):  # a date stored in another shape: the phrase alone still says when
                text += f" ({date.fromisoformat(str(value['date'])):%d.%m})" if value.get("date") else ""
        elif key == "budget" and isinstance(value, Mapping):
            text = f"{value['amount']} {value.get('currency', '')}".strip() if value.get("amount") else "approved"
        elif key == "contact" and isinstance(value, Mapping):
            text = ", ".join(str(value[k]) for k in ("phone", "email", "telegram") if value.get(k))
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = str(value)
        if text:
            shown[key] = text
    return shown

"""Numbers in customer messages (ru / uk / en): number words, quantities of goods and money amounts.

Text reaching these functions is already folded by `fold` (one character for one, so a span found in
the folded text is the same span in the original): curly apostrophes become ', ё becomes е.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any

_FOLD = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "´": "'", "ё": "е", "Ё": "Е", "\u00a0": " ", "\u202f": " "})


def fold(text: str) -> str:
    """Same length as `text`, with the spelling variants the patterns need not care about unified."""
    return text.translate(_FOLD)


_WORDS: dict[int, str] = {
    1: "one|один|одна|одну|одно|одного|одной|одним|одною|одне|однієї|одній",
    2: "two|два|две|двух|двум|двумя|дві|двох|двом|пару|пара|пари|пары|a couple of|a couple|couple of|a pair of",
    3: "three|три|трех|трем|тремя|трьох|трьом",
    4: "four|четыре|четырех|четырем|чотири|чотирьох",
    5: "five|пять|пяти|п'ять|п'яти",
    6: "six|шесть|шести|шість|half a dozen",
    7: "seven|семь|семи|сім",
    8: "eight|восемь|восьми|вісім",
    9: "nine|девять|девяти|дев'ять|дев'яти",
    10: "ten|десять|десяти|десяток|десятка|десятку",
    11: "eleven|одиннадцать|одинадцять",
    12: "twelve|a dozen|dozen|двенадцать|дванадцять|дюжину|дюжина",
    15: "fifteen|пятнадцать|пятнадцати|п'ятнадцять|п'ятнадцяти|полтора десятка|півтора десятка",
    20: "twenty|двадцать|двадцати|двадцять|двадцяти|пара десятков|два десятка|два десятки|two dozen",
    25: "двадцать пять|двадцять п'ять|twenty-five|twenty five",
    30: "thirty|тридцать|тридцати|тридцять|тридцяти",
    40: "forty|сорок",
    50: "fifty|пятьдесят|п'ятдесят",
}
_VALUE = {w: n for n, words in _WORDS.items() for w in words.split("|")}
# Longest first, so "полтора десятка" wins over "десятка" and "a dozen" over "dozen".
_WORD = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s") for w in _VALUE), key=len, reverse=True))
NUMBER = rf"(?:\d{{1,5}}|(?:{_WORD})(?![\w']))"
# A range ("две-три", "15-20", "5 to 8", "2 або 3") stays a range.
NUMBERS = rf"(?P<num>{NUMBER})(?:\s?[-–—]\s?|\s(?:to|or|или|або|чи|до)\s)?(?P<upto>(?<=[-–—\s]){NUMBER})?"


def product_key(alias: str) -> str:
    """How a product alias is looked up: "Office 200", "office200" and "Office-200" are one key."""
    return re.sub(r"[\s-]+", "", alias.lower())


class Sentences:
    """Where the sentences of one text begin and end, found once, so each lookup is a bisection."""

    def __init__(self, text: str, ends: re.Pattern[str]) -> None:
        self.text = text
        marks = [m.span() for m in ends.finditer(text)]
        self._starts, self._ends = [b for _, b in marks], [a for a, _ in marks]

    def begin(self, start: int) -> int:
        i = bisect_right(self._starts, start)
        return self._starts[i - 1] if i else 0

    def around(self, start: int, end: int) -> str:
        """The sentence holding the span [start, end)."""
        i = bisect_left(self._ends, end)
        return self.text[self.begin(start) : self._ends[i] if i < len(self._ends) else len(self.text)]


def number(token: str) -> int:
    """The value of a digit string or a number word matched by NUMBER."""
    token = re.sub(r"\s+", " ", token.strip().lower())
    return int(token) if token.isdigit() else _VALUE[token]


UNITS = {
    "grinders": r"гриндер\w*|кофемол[кц]\w*|кавомол[кц]\w*|grinders?",
    "filters": r"(?:water\s)?filters?|фильтр\w*|фільтр\w*|картридж\w*|cartridges?",
    "pcs": r"штук\w*|шт\b\.?|pcs\b|pieces?|units?|единиц\w*|одиниц\w*",
    "machines": r"кофемашин\w*|кавомашин\w*|машин\w*|(?:coffee\s|espresso\s)?machines?|(?:кофе-?)?аппарат\w*|апарат\w*",
}
_UNIT = "|".join(f"(?P<{name}>{rx})" for name, rx in UNITS.items())
# One describing word may stand between the number and the unit ("одну невелику машину").
_ADJ = (
    r"(?:new|small|big|large|more|extra|additional|identical|same|automatic|such|other|нов\w*|невелик\w*|небольш\w*|"
    r"маленьк\w*|больш\w*|велик\w*|так\w*(?:\sж[е]?)?|автоматичн\w*|автоматическ\w*|професійн\w*|профессиональн\w*|"
    r"додатков\w*|дополнительн\w*|однаков\w*|одинаков\w*|офісн\w*|офисн\w*|кавов\w*|кофейн\w*)\s"
)
_OWNED = re.compile(
    r"(?:we have|we've got|we own|already (?:have|own)|у нас (?:уже|вже|есть|є|стоит|стоять|стоїть)|маємо|имеем|"
    r"арендуем|орендуємо|we rent|we're renting)(?:\W+\w+){0,2}\W*$",
    re.I,
)
_LOCATION = (
    r"(?:(?:coffee|кофе)\s)?(?:кав'ярн\w*|кав'ярень|кофеен|кофейн\w*|точ(?:ек|ки|ка)|shops?|locations?|caf[eé]s?|"
    r"stores?|branch(?:es)?|outlets?|restaurants?|hotels?|offices?|магазин\w*|филиал\w*|філі\w*|ресторан\w*|"
    r"готел\w*|отел\w*|офис\w*|офіс\w*|салон\w*|клиник\w*|клінік\w*|пекар\w*|floors?|поверх\w*|этаж\w*)"
)
_LOCATIONS = re.compile(rf"(?<![\w.,+-]){NUMBERS}\s(?:{_ADJ})?{_LOCATION}(?!\w)", re.I)
_COUNTED = re.compile(rf"(?<![\w'])(?:{NUMBER})\s(?:\w+\s)?$", re.I)
_BUY = r"(?:берем|беремо|беру|возьмем|візьмемо|візьму|возьму|докуп\w*|добав\w*|додати|додамо|take|buy|order|rent|add)"

QuantityFound = tuple[int, dict[str, Any]]  # (position in the text, {"amount", "up_to", "unit"})


def quantity_patterns(products: str) -> tuple[re.Pattern[str], ...]:
    """The quantity patterns for one catalogue; `products` is the alternation of its aliases."""
    thing = rf"(?:{_UNIT}|(?P<product>{products})(?:'?s)?)" if products else rf"(?:{_UNIT})"  # "two Barista Pros"
    sep = r"(?:\s?[x×х]\s?|\sof\s(?:the\s|your\s|these\s)?|\s)"
    plain = rf"(?<![\w.,/+-]){NUMBERS}{sep}(?:{_ADJ})?{thing}(?!\w)"
    # "штук сім Compact 80": approximate count, the unit after it if any.
    approx = rf"(?<!\w)штук\w*\s(?P<num>{NUMBER})(?:\s{thing})?"
    # "по кавомолці G64 у кожну", "one Barista Pro for each location": one per location.
    each = (
        rf"(?:(?<!\w)по\s(?:одн\w*\s)?|\bone\s|(?<=\s)){thing}(?:\s\w+)?\s(?:for\seach|for\severy|per|[ву]\sкожн\w*|"
        rf"на\sкожн\w*|[вн]а?\sкажд\w*)(?:\sof\s(?:our|the|these)\s(?P<num>{NUMBER}))?"
    )
    # "берём одну", "докупить ещё одну такую же": a count with the unit left out.
    bare = (
        rf"(?<!\w){_BUY}\s(?:(?:ещ[её]|еще|ще|another|just|only)\s)?(?P<num>{NUMBER})"
        r"(?=\s?[,.!?;:]|\s?$|\s(?:for|на|в|у|до|please|pls|such|more|too|also|так\w*|ещ[её]|ще|як|как)(?!\w))"
    )
    # "OFFICE200 x2": the count after the model.
    after = rf"(?P<product>{products})(?:'?s)?\s?[x×х]\s?(?P<num>\d{{1,4}})(?!\w)" if products else r"(?!)"
    return tuple(re.compile(p, re.I) for p in (each, plain, approx, bare, after))


def _unit(match: re.Match[str], product_unit: dict[str, str], default: str) -> str:
    for name in UNITS:
        if match.groupdict().get(name):
            return name
    product = match.groupdict().get("product")
    return product_unit.get(product_key(product), "machines") if product else default


def quantities(
    text: str,
    patterns: Sequence[re.Pattern[str]],
    product_unit: dict[str, str],
    skip: list[tuple[int, int]],
    default: str = "pcs",
) -> list[QuantityFound]:
    """Quantities in one folded message.

    `skip` are the spans of product names (no count starts inside "Office 200"); `default` is the unit
    of a count said without one ("берём одну"): the unit of the one product the message names, or pcs.
    """
    each, plain, approx, bare, after = patterns
    taken: list[tuple[int, int]] = []
    found: list[QuantityFound] = []

    def free(m: re.Match[str]) -> bool:
        overlaps = any(a <= m.start() < b or m.start() <= a < m.end() for a, b in taken)
        return not overlaps and not any(a <= m.start() < b for a, b in skip)

    for m in each.finditer(text):
        if _COUNTED.search(text, max(0, m.start() - 25), m.start()):
            continue  # "4 кофемашины на каждый этаж" is a count per floor, already a quantity
        count = m.group("num")
        if not count:
            before = list(_LOCATIONS.finditer(text, 0, m.start()))
            located = before[-1] if before else _LOCATIONS.search(text, m.end())
            count = located.group("num") if located else None
        if count and number(count) > 1:
            taken.append(m.span())
            found.append((m.start(), {"amount": number(count), "up_to": None, "unit": _unit(m, product_unit, "pcs")}))
    for m in plain.finditer(text):
        if free(m) and not _OWNED.search(text[max(0, m.start() - 40) : m.start()]):
            taken.append(m.span())
            upto = number(m.group("upto")) if m.group("upto") else None
            found.append(
                (m.start(), {"amount": number(m.group("num")), "up_to": upto, "unit": _unit(m, product_unit, "pcs")})
            )
    for pattern in (approx, bare, after):
        for m in pattern.finditer(text):
            if free(m) or (pattern is after and not any(a <= m.start() < b for a, b in taken)):
                taken.append(m.span())
                unit = _unit(m, product_unit, default if pattern is bare else "pcs")
                found.append((m.start(), {"amount": number(m.group("num")), "up_to": None, "unit": unit}))
    return sorted(found, key=lambda item: item[0])


CURRENCIES = {
    "EUR": r"eur(?:os?)?\b|евро|євро|€",
    "UAH": r"uah\b|грн\b\.?|гривен\w*|гривн\w*|гривень|hryvni?as?\b|₴",
    "USD": r"usd\b|dollars?\b|доллар\w*|долар\w*|\$",
    "PLN": r"pln\b|zł|zl\b|злот\w*",
    "GBP": r"gbp\b|pounds?\b|фунт\w*|£",
    "RUB": r"rub\b|руб\w*|₽",
}
_CURRENCY = "|".join(f"(?P<{code}>{rx})" for code, rx in CURRENCIES.items())
_SYMBOL = {"$": "USD", "€": "EUR", "£": "GBP", "₴": "UAH", "₽": "RUB"}
AMOUNT = re.compile(
    r"(?<![\w.,])(?P<pre>[$€£₴₽]\s?)?(?P<value>\d{1,3}(?:[ .,']\d{3})+(?!\d)|\d{1,9}(?:[.,]\d{1,2})?)"
    r"(?:\s?(?P<mult>k\b|к\b|тыс\w*\.?|тис\w*\.?|thousand\b|тисяч\w*|тысяч\w*))?"
    rf"(?:\s?(?:{_CURRENCY}))?",
    re.I,
)


def money(match: re.Match[str]) -> tuple[int, str] | None:
    """(amount, ISO code) of an AMOUNT match, or None when it names no currency."""
    code = next((c for c in CURRENCIES if match.group(c)), None)
    if match.group("pre"):
        code = code or _SYMBOL[match.group("pre").strip()]
    if code is None:
        return None
    value = match.group("value")
    if re.fullmatch(r"\d{1,3}(?:[ .,']\d{3})+", value):
        amount = float(re.sub(r"\D", "", value))
    else:
        amount = float(value.replace(",", "."))
    if match.group("mult"):
        amount *= 1000
    return round(amount), code

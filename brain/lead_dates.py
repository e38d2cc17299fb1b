"""When the customer wants something to happen (ru / uk / en), as written, with the date it means.

Dates are derived from `today`: a calendar date is its next occurrence (15 січня said in December is
next January), a month or "this month" is its last day, a week its Sunday, a weekday the coming one.
Durations ("for 12 months", "на рік"), working-hours questions and past events are not timelines.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from brain.lead_numbers import NUMBER, Sentences, number

_MONTHS = [
    "январ\\w*|січ(?:ня|ні|ень)|jan(?:uary)?",
    "феврал\\w*|лют(?:ого|ому|ий)|feb(?:ruary)?",
    "март[аеу]?|берез(?:ня|ні|ень)|mar(?:ch)?",
    "апрел\\w*|квіт(?:ня|ні|ень)|apr(?:il)?",
    "ма[яйе]|трав(?:ня|ні|ень)|may",
    "июн\\w*|черв(?:ня|ні|ень)|june?",
    "июл\\w*|лип(?:ня|ні|ень)|july?",
    "август\\w*|серп(?:ня|ні|ень)|aug(?:ust)?",
    "сентябр\\w*|верес(?:ня|ні|ень)|sep(?:t|tember)?",
    "октябр\\w*|жовт(?:ня|ні|ень)|oct(?:ober)?",
    "ноябр\\w*|листопад\\w*|nov(?:ember)?",
    "декабр\\w*|груд(?:ня|ні|ень)|dec(?:ember)?",
]
_MONTH = "|".join(f"(?P<m{i}>{rx})" for i, rx in enumerate(_MONTHS, 1))
_WEEKDAYS = [
    "monday|понедельник\\w*|понеділ\\w*",
    "tuesday|вторник\\w*|вівтор\\w*",
    "wednesday|сред[ауы]|серед[аиу]",
    "thursday|четверг\\w*|четвер(?:га|гу)?",
    "friday|пятниц\\w*|п'ятниц\\w*",
    "saturday|суббот\\w*|субот\\w*",
    "sunday|воскресень\\w*|неділ\\w*",
]
_WEEKDAY = "|".join(f"(?P<w{i}>{rx})" for i, rx in enumerate(_WEEKDAYS))
_TIME_OF_DAY = (
    r"(?:\s(?:с утра|утром|вечером|дн[её]м|после обеда|до обеда|зранку|вранці|ввечері|вдень|після обіду|до обіду|"
    r"morning|afternoon|evening|in the morning))?"
)
_BY = r"(?:(?P<by>by|until|till|before|до|к|ко|по)|from|starting|с|со|з|із|на|від|от)\s"
_NEXT = r"next|coming|следующ\w*|наступн\w*"
_THIS = r"this|эт\w+|ц\w+|ці\w+"

# (pattern, kind); every pattern ends at a word boundary and has only bounded repetition.
_RULES: list[tuple[str, str]] = [
    (r"(?:the\s)?day after tomorrow|послезавтра|післязавтра", "+2"),
    (rf"(?:{_BY})?(?:tomorrow|завтра){_TIME_OF_DAY}", "+1"),
    (rf"(?:{_BY})?(?:today|tonight|сегодня|сьогодні|this (?:morning|afternoon|evening)){_TIME_OF_DAY}", "+0"),
    (
        r"прямо сейчас|прямо зараз|просто зараз|right (?:now|away)|asap|as soon as possible|как можно скорее|"
        r"якнайшвидше|якомога швидше",
        "now",
    ),
    (
        r"(?:by the end of|by end of|end of|до конца|до кінця)\s(?:the\s|this\s|эт\w+\s|ц\w+\s)?(?:week|недели|тижня)|"
        r"this week(?:end)?|(?:на\s)?(?:этой|цій)\s(?:неделе)|на (?:этих )?выходных|на (?:цих )?вихідних|"
        r"(?:в|у) (?:конце|кінці) (?:недели|тижня)|наприкінці тижня|(?:на\s)?цьому\sтижні|цього\sтижня",
        "week",
    ),
    (
        r"(?:from\s|starting\s|со\s|з\s)?(?:next week|следующей недел[еи]|следующую неделю|наступного тижня|"
        r"наступному тижні|наступний тиждень)|"
        r"на (?:следующей неделе|следующую неделю|наступному тижні|наступний тиждень)",
        "next week",
    ),
    (
        r"(?:by the end of|by end of|end of|до конца|до кінця)\s(?:the\s|this\s)?(?:month|месяца|місяця)|this month|"
        r"(?:в|у)\s(?:этом|цьому)\sмесяце|(?:в|у)\sцьому\sмісяці|этого месяца|цього місяця",
        "month",
    ),
    (
        r"next month|(?:в|у)\s(?:следующем|наступному)\s(?:месяце|місяці)|наступного місяця|следующего месяца",
        "next month",
    ),
    (
        r"this quarter|(?:в|у)\s(?:этом|цьому)\sквартал[еі]|цього кварталу|(?:до конца|до кінця) (?:квартала|кварталу)",
        "quarter",
    ),
    (
        r"(?:by the end of|by end of|end of|до конца|до кінця)\s(?:the\s|this\s)?(?:year|года|року)|this year",
        "year end",
    ),
    (
        r"(?:(?:до|к|until|till)\s)?(?:next year|(?:в|у)\s(?:следующем|наступному)\s(?:году|році)|наступного року|"
        r"следующего года|следующему году)|"
        r"(?:next|this)\s(?:spring|summer|autumn|fall|winter)|in\s(?:the\s)?(?:spring|summer|autumn|fall|winter)|"
        r"(?:к|до)\s(?:весне|лету|осени|зиме|весни|літа|осені|зими)|навесні|весной|восени|осенью|"
        r"after the holidays|after (?:the )?new year|после праздников|после нового года|після свят|після нового року",
        "vague",
    ),
    (
        r"(?:before|by|for)\s(?:the\s)?(?:holidays|new year|christmas)|на (?:новый год|новий рік|свята|праздники|"
        r"новогодние праздники|новорічні свята)|(?:к|до|перед)\s(?:новому году|нового года|"
        r"новым годом|праздникам|праздников|праздниками|нового року|новим роком|свят|святами|новорічних свят)",
        "holidays",
    ),
    (
        rf"(?:in|within)\s(?P<n>{NUMBER}|a|an)\s(?P<unit>days?|weeks?|months?)|"
        rf"(?:через|протягом|впродовж|в течение)\s(?:(?P<n2>{NUMBER})(?:[-–]{NUMBER})?\s)?"
        rf"(?P<unit2>дн\w*|день|недел\w*|тижн\w*|тиждень|месяц\w*|місяц\w*)|(?P<unit3>дней|дня|недел\w+|тижн\w+|месяц\w*|місяц\w*)\sчерез\s"
        rf"(?P<n3>{NUMBER})(?:[-–]{NUMBER})?",
        "in",
    ),
    (
        rf"(?:{_BY})?(?P<d>\d{{1,2}})(?:-?(?:го|е|ое|ого|th|st|nd|rd))?(?:\s?[-–]\s?\d{{1,2}})?\s(?:of\s)?(?:{_MONTH})"
        r"(?:\s(?P<y>20\d\d)(?:\s?(?:року|р\.|года|г\.))?)?",
        "date",
    ),
    (
        rf"(?:(?:by|until|till|before|from|starting)\s)?(?:{_MONTH})\s(?P<d>\d{{1,2}})(?:st|nd|rd|th)?"
        r"(?:\s?[-–]\s?\d{1,2})?(?:,?\s(?P<y>20\d\d))?",
        "date",
    ),
    (
        rf"(?:(?:by the end of|by end of|end of|до конца|до кінця|в конце|наприкінці|в кінці)\s|"
        rf"(?:in|в|у|на)\s(?:early\s|late\s)?)(?:{_MONTH})",
        "in month",
    ),
    (rf"(?:{_BY})?(?P<d>\d{{1,2}})[./](?P<mo>\d{{2}})(?:[./](?P<y>20\d\d|\d\d))?(?![./]?\d)", "numeric"),
    (
        r"(?:by|until|till|before)\sthe\s(?P<d>\d{1,2})(?:st|nd|rd|th)|(?:до|к|с|з|по)\s(?P<d2>\d{1,2})(?:-?(?:го|е|ого|му))?"
        r"\s(?:числ\w+)",
        "day",
    ),
    (
        rf"(?:(?:{_BY})|(?:(?:в|во|у|на)\s)?(?:{_NEXT}|{_THIS})\s|(?:в|во|у)\s)?(?P<wd>{_WEEKDAY}){_TIME_OF_DAY}",
        "weekday",
    ),
]
_PATTERNS = [(re.compile(rf"(?<![\w'])(?:{rx})(?![\w'])", re.I), kind) for rx, kind in _RULES]
_OFF_TOPIC = re.compile(
    r"weather|погод[аыуеиі]\b|матч|working hours|opening hours|hours on|are you open|closed on|працюєте|работаете|"
    r"графік роботи|график работы|выходн|вихідн",
    re.I,
)
_PAST = re.compile(
    r"\b(?:bought|purchased|arrived|since|ago|last|купил\w*|покупал\w*|придбал\w*|"
    r"купувал\w*|привезли|доставили|прошл\w*|минул\w*|вчера|вчора)\b[^.!?\n]{0,30}$",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?\n]")


def _end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    last = calendar.monthrange(day.year + year, month + 1)[1]
    return date(day.year + year, month + 1, min(day.day, last))


def _month(match: re.Match[str]) -> int:
    return next(i for i in range(1, 13) if match.group(f"m{i}"))


def _resolve(match: re.Match[str], kind: str, today: date) -> date | None:
    """The date a timeline phrase means, or None (a vague or impossible one)."""
    groups = match.groupdict()
    sunday = today + timedelta(days=6 - today.weekday())
    if kind in ("+0", "+1", "+2", "now"):
        return today + timedelta(days=0 if kind == "now" else int(kind[1]))
    if kind in ("week", "next week"):
        return sunday if kind == "week" else sunday + timedelta(days=7)
    if kind in ("month", "next month"):
        first = today.replace(day=1) if kind == "month" else _add_months(today.replace(day=1), 1)
        return _end_of_month(first.year, first.month)
    if kind == "quarter":
        return _end_of_month(today.year, (today.month - 1) // 3 * 3 + 3)
    if kind in ("year end", "holidays"):
        christmas = "christmas" in match.group(0).lower()
        return date(today.year, 12, 25 if christmas else 31)
    if kind == "in":
        count = groups.get("n") or groups.get("n2") or groups.get("n3")
        n = 1 if count is None or count.lower() in ("a", "an") else number(count)
        unit = (groups.get("unit") or groups.get("unit2") or groups.get("unit3") or "").lower()
        if unit.startswith(("month", "месяц", "місяц")):
            return _add_months(today, n)
        return today + timedelta(days=n * (7 if unit.startswith(("week", "недел", "тижн", "тижд")) else 1))
    if kind == "in month":
        month = _month(match)
        year = today.year + (month < today.month)
        return _end_of_month(year, month)
    if kind in ("date", "day", "numeric"):
        day = int(groups.get("d") or groups.get("d2") or 0)
        month = _month(match) if kind == "date" else today.month if kind == "day" else int(groups["mo"])
        year = int(groups["y"]) if groups.get("y") else today.year
        year += 2000 if year < 100 else 0
        try:
            found = date(year, month, day)
            if found < today and not groups.get("y"):
                if kind != "day" and (today - found).days <= 90:
                    return None  # "20 November" said on 1 December is a past event, not next year's
                found = date(year + 1, month, day) if kind != "day" else _add_months(found, 1)
        except ValueError:
            return None
        return found if found >= today else None
    if kind == "weekday":
        weekday = next(i for i in range(7) if groups.get(f"w{i}"))
        text = match.group(0).lower()
        if re.match(rf"(?:(?:в|во|у|на)\s)?(?:{_NEXT})\s", text):
            return sunday + timedelta(days=1 + weekday)
        ahead = (weekday - today.weekday()) % 7
        return today + timedelta(days=ahead or (0 if groups.get("by") else 7))
    return None


def find_timeline(text: str, today: date, shown: str | None = None) -> dict[str, str | None] | None:
    """The first timeline in one folded message: {"text": as written in `shown`, "date": ISO date or None}."""
    best: tuple[int, int, str, date | None] | None = None
    sentences = Sentences(text, _SENTENCE_END)
    for pattern, kind in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if best is not None and start > best[0]:
                break  # only an earlier phrase could still win
            sentence_start = sentences.begin(start)
            if _OFF_TOPIC.search(sentences.around(start, end)) or _PAST.search(text[sentence_start:start]):
                continue
            if kind == "now" and not text[sentence_start:start].strip():
                continue  # "Right now we use a filter machine" describes today, it plans nothing
            if kind == "month" and re.match(r"\s+only", text[end:]):
                continue  # "50% off this month only" is an advert
            when = _resolve(match, kind, today)
            if kind in ("date", "day", "numeric") and when is None:
                continue  # a past date is history, not a plan
            if kind == "numeric" and not (
                match.group("by") or match.group("y") or re.match(r"(?i)на|from|с|з", match[0])
            ):
                continue  # a bare "1.50" is more likely a price than a date
            if best is None or (start, -end) < (best[0], -best[1]):
                best = (start, end, kind, when)
            break  # the first match of each rule is enough: the earliest over all rules wins
    if best is None:
        return None
    return {"text": (shown or text)[best[0] : best[1]], "date": best[3].isoformat() if best[3] else None}

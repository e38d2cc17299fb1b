"""The cues Hot / Warm / Cold is decided on (ru / uk / en): each names one kind of evidence (a commitment,
a price question, a deferral, support for a machine already owned...); `brain.leads` weighs them message
by message. Matched on `brain.lead_signals.normal(text)`; every repetition is bounded or anchored on a
literal, so a 20,000-character message costs linear time.
"""

from __future__ import annotations

import re


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Building blocks of the cues below.
PRODUCT = r"(?:office\s?200|barista\s?pro|compact\s?80|\bg\s?64|grinder|гриндер\w*|кофемолк\w*|кавомолк\w*)"
MACHINE = r"(?:\bmachines?\b|\bcoffee makers?\b|кофемашин\w*|кавомашин\w*|\bмашин\w*)"
_NUMBER = (
    r"(?:\d{1,6}|a dozen|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|пару|пара|одн\w*|две|два|дві|"
    r"три|четыре|чотири|пять|п'ять|шесть|шість|сім|семь|вісім|восемь|десят\w*|дюжин\w*)"
)
_UNIT = r"(?:штук\w*|шт\b|pcs\b|units?\b|pieces?\b)"
_WEEKDAY_EN = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH_EN = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_MONTH_RU = r"(?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"
_MONTH_UK = r"(?:січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|грудня)"
_WEEKDAY_RU = r"(?:понедельн\w*|вторник\w*|сред[уеы]|четверг\w*|пятниц\w*|суббот\w*|воскресен\w*)"
_WEEKDAY_UK = r"(?:понеділ\w*|вівтор\w*|серед[уи]|четвер\w*|п'ятниц\w*|субот\w*|неділ\w*)"

# What each kind of evidence looks like. A cue's first match in a message is quoted as its reason.
CUES: dict[str, re.Pattern[str]] = {
    # "if we take 20 machines, what discount?" asks; it does not commit.
    "conditional": _rx(
        r"\b(?:if|when|in case|если|якщо|коли|когда|в случае)(?: \w+){0,2} (?:we'?ll |we |i )?(?:take|order|buy|rent|"
        r"возьм\w*|бер[её]м|закаж\w*|купим|арендуем|візьм\w*|беремо|замовим\w*|купимо|орендуємо)"
    ),
    # Hot: a commitment or a near-commitment.
    "commitment": _rx(
        # en: order / buy / rent / book / reserve, invoice, contract, a quote or an offer, paying
        r"\b(?:(?:we'?d|i'?d|we would|i would|we|i) (?:like|want|wish|plan|need|are going|'re going) to|want to|"
        r"wants to|"
        r"ready to|going to|let'?s|we will|we'?ll|i will|i'?ll) (?:\w+ )?(?:order|buy|purchase|rent|lease|book|"
        r"reserve|sign|take|place (?:an|the) order|pay|go with (?:the|one|two|\d))\b|"
        r"\b(?:we'?ll|i'?ll|we will|we) take (?:it|them|one|two|three|four|five|\d|the|an?)\b|"
        r"\b(?:place|confirm\w*|go ahead with|proceed with) (?:an |the |our |my )?order|\bcount (?:me|us) in\b|"
        r"\bsign (?:me|us) up\b|\border (?:it|them|now)\b|"
        r"\bgo ahead\b|\blet'?s (?:do|go|proceed|start|sign)\b|\bput (?:us|me) down for\b|\bdeal\b[.!]|\bit is[.!]|"
        r"\bwhere do (?:i|we) sign|\bpo number\b|"
        r"\b(?:send|prepare|issue|email|e-mail|draw up|make|need|want|get),?(?: me| us)?(?: the| an| a| your| our)?"
        r"(?: formal| commercial| official| partner| partnership| rental)? (?:offer|quote|quotation|proposal|"
        r"proforma|pro forma|invoice|contract|agreement|kp)\b|"
        r"\b(?:send|prepare|issue|draw up|put together|send over|email|e-mail)\b(?: \w+){0,3} (?:offer|quote|quotation|"
        r"proposal|proforma|invoice|contract|agreement|bill)\b|\b(?:company|our|bank) details\b|"
        r"\b(?:we'?ve|we have|we) chosen\b|\b(?:commercial|formal) (?:offer|proposal|quote)|\bquote for\b|(?:^|"
        r"[,.;!?] )invoice (?!and|or)\w|\binvoice (?:us|me|please|pls|to|for)\b|"
        r"\b(?:please|pls) (?:invoice|book|reserve)\b|\bbook (?:it|them|one|two|\d|us|me|the|an?)\b|"
        r"\breserve (?:it|them|one|two|\d|the|an?|for)\b|\b(?:we|i)'?(?: have)? decided on\b|"
        r"\b(?:works|suits) (?:for )?us\b|\bcommit to\b|\border confirmed\b|\bpo attached\b|\bpurchase order\b|"
        r"\b(?:we|i)(?:'ve| have)? decided\b(?! (?:not|against|to (?:stay|wait|keep|go with an)))|"
        r"\b(?:we|i)'?ll have (?:the|an?|one|two|\d)|\bready to (?:go|proceed|start)\b|"
        r"\b(?:we|i) can (?:sign|pay|order)\b|\bwe'?re in\b[.!,]|\bpaid for\b|\bprepay\w*|\b(?:a |the )?deposit\b|"
        r"\b(?:draw up|prepare|send)\b(?: \w+){0,3} (?:paperwork|documents|docs)\b|\b(?:we|i) confirm\b|"
        r"\bconfirm(?:ing|ed)\b|\bsend (?:\w+ )?bill\b|"
        r"\b(?:will|'ll|happy to|can) pay (?:the (?:invoice|bill)|today|now|right away|immediately|upfront|in advance)|"
        # ru
        r"\b(?:закаж(?:ем|у|ите)|заказываю|заказываем|бронирую|резервирую|предоплат\w*|оформ(?:ите|ляйте|ляем|им|лю|"
        r"ить)|бронируем|заброниру\w*|"
        r"забронь\w*|оплачу|оплатим|оплатить (?:прямо )?сейчас|покупаем|куплю|купим|бер[её]м|беру|возьм[её]м|"
        r"возьму|определились|подтвержда\w* заказ|подтвержда(?:ю|ем)|выстав(?:ьте|ляйте|ите))\b|"
        r"запишите на (?:установк|монтаж|доставк)|"
        r"\b(?:сч[её]т|договор\w*) (?:на|для|или|аренды|поставки)\b|\bпо сч[её]ту\b|"
        r"\b(?:пришлите|пришли|скиньте|подготовьте|отправьте|вышлите|присылайте|высылайте|нужен|нужно|нужна|прислать|"
        r"выставить|подготовить|отправить|выслать|скинуть|сделать)"
        r",?(?: нам| мне)? (?:сч[её]т|договор|кп\b|коммерческое|предложение|(?:\w+ )?договор)|"
        r"\bкоммерческ\w* предложени\w*|реквизит\w*|\bвыбрали (?!друг)\w+|\b(?:готов\w*|хоти?м|хочу|хотели бы|хотел бы|"
        r"хотела бы|решили|можем)"
        r" (?:\w+ )?(?:купить|приобрести|заказать|арендовать|взять|брать|подписать|оформить|оплатить|"
        r"забронировать|поставить(?! (?:на|в|у|возле|около|рядом|под)\b)|докупить)\b|"
        r"\b(?:нас|нам) (?:вс[её] )?(?:устраивает|подходит)\b|\bвс[её] (?:нас )?(?:устраивает|подходит)\b|"
        # uk
        r"\b(?:замовляю|замовляємо|замовлю|замовимо|бронюю|резервую|передоплат\w*|оформ(?:іть|іть|лю[йє]те|люємо|имо|"
        r"лю)|бронюємо|заброню\w*|сплачу|сплатимо|"
        r"оплатимо|купуємо|куплю|купимо|беремо|беру|візьмемо|візьму|визначилися|підтвердж\w* замовлення|"
        r"підтверджу(?:ю|ємо)|"
        r"вистав(?:те|ляйте|іть)|доставте|привезіть|привезите)\b|запишіть на (?:встановлен|монтаж|доставк)|"
        r"\b(?:рахун\w*|договір|договор\w*) (?:на|для|чи|оренди|поставки)\b|\bпо рахунку\b|"
        r"\b(?:надішліть|надсилайте|пришліть|скиньте|підготуйте|відправте|присилайте|потрібен|потрібна|потрібно|"
        r"надіслати|виставити|підготувати|відправити|скинути|зробити)"
        r",?(?: нам| мені)? (?:рахун\w*|договір|кп\b|комерційн\w*|пропозиці\w*|(?:\w+ )?договір)|"
        r"\b(?:просимо|прошу) надати\b|реквізит\w*|\bобрали (?!інш)\w+|\bкомерційн\w* пропозиці\w*|"
        r"\b(?:готов\w*|хочемо|хочу|хотіли б|хотів би|хотіла б|вирішили|можемо)"
        r" (?:\w+ )?(?:купити|придбати|замовити|орендувати|взяти|брати|підписати|оформити|оплатити|"
        r"забронювати|поставити(?! (?:на|в|у|біля|поруч|під)\b)|докупити)\b|"
        r"\b(?:нас|нам) (?:все |усе )?(?:влаштовує|підходить)\b|\b(?:все|усе) (?:нас )?(?:влаштовує|підходить)\b|"
        r"(?:^|[.!] )(?:підходить|подходит|влаштовує|устраивает)[.!]|\bдавайте (?:\w+ )?(?:office|barista|compact|g64|"
        r"оформ|візьм|возьм|бер|зам|одну|дві|две|два|три)"
    ),
    "want_product": _rx(
        r"\b(?:хоч(?:у|емо|ем)|хотим|хотіли б|хотели бы|want|we'?d like|i'?d like|would like)"
        r" (?:(?:по|ще|еще|ещ[её]|одну|один|одна|дві|две|два|три|the|a|an|one|two|three|\d{1,3}) )?" + PRODUCT
    ),
    "need": _rx(
        r"\b(?:need|needs|needed|require\w*|looking for|нужн\w*|нужен|нужна|нужно|надо|требу\w*|ищем|потрібн\w*|"
        r"треба|шукаємо|want\w*|(?:would|'d) like|хоч\w*|хотим|хотел\w*|хотіл\w*|can (?:we|i|you) get|get (?:us|me)|"
        r"can you (?:deliver|bring|install|have)|in time|"
        r"(?:с|з)?можете привезти|зможете привезти|успеете|встигнете)\b"
    ),
    "paid_machine": _rx(r"\b(?:оплатил\w*|сплатил\w*|paid)(?: \w+){0,3} " + PRODUCT),
    "item": _rx(PRODUCT + "|" + MACHINE + "|" + _NUMBER + r" (?:\w+ )?" + _UNIT + r"|\bпо (?:одн\w*|\w+ )?" + MACHINE),
    "near_date": _rx(
        r"\b(?:today|tonight|tomorrow|this (?:week|month|" + _WEEKDAY_EN + r")|next (?:week|" + _WEEKDAY_EN + r")|"
        r"by (?:the )?(?:end of (?:the |this )?(?:week|month)|" + _WEEKDAY_EN + r"|\d{1,2}(?:st|nd|rd|th)?\b|"
        r"tomorrow|next week)|on (?:the )?\d{1,2}(?:st|nd|rd|th)\b|on " + _WEEKDAY_EN + r"|within (?:a|one|two|"
        r"three|\d) (?:days?|weeks?)|in (?:a|one|two|three|\d) (?:days?|weeks?)|before (?:the )?(?:holidays|new year"
        r"|christmas)|asap|urgent\w*|right (?:now|away)|\d{1,2}(?:st|nd|rd|th)? (?:of )?"
        + _MONTH_EN
        + r"|"
        + _MONTH_EN
        + r" \d{1,2}\b)|"
        r"\b(?:сегодня|завтра|послезавтра|на (?:этой|следующей) неделе|(?:со|с) следующей недели|на (?:эту|"
        r"следующую) неделю|"
        r"(?:в|во|к|до|на|с) (?:следующ\w+ )?" + _WEEKDAY_RU + r"|следующ\w+ " + _WEEKDAY_RU + r"|"
        r"в этом месяце|(?:до|к) конц[ау] (?:месяца|недели)|(?:до|к) (?:нового года|новогодн\w+|праздник\w*)|"
        r"до \d{1,2}(?:-?го)? числа|через (?:неделю|две недели|пару дней|\d{1,2} дн\w+)|срочно|прямо сейчас|"
        r"\d{1,2} " + _MONTH_RU + r"|"
        r"сьогодні|післязавтра|(?:цього|наступного) тижня|з наступного тижня|на (?:цей|наступний) тиждень|наступн\w+ "
        + _WEEKDAY_UK
        + r"|"
        r"(?:в|у|до|на|з) (?:наступн\w+ )?" + _WEEKDAY_UK + r"|цього місяця|до кінця (?:місяця|тижня)|"
        r"до (?:нового року|свят\w*|новорічн\w+)|за (?:тиждень|два тижні|\d{1,2} дн\w+)|через (?:тиждень|два тижні)|"
        r"терміново|негайно|просто зараз|\d{1,2} " + _MONTH_UK + r")"
    ),
    "approved": _rx(
        r"\b(?:approved|go-ahead|signed off|budget is set|одобр\w*|схвал\w*|согласован\w*|согласовали|согласовал\w*|"
        r"утвердил\w*|"
        r"утвержд[её]н\w*|погоджен\w*|погодил\w*|погоди(?:в|ла|ли)\b|затвердил\w*|затверджен\w*|підписав службову)"
    ),
    "call_back": _rx(
        r"\b(?:call me|call us|call back|give me a call|contact me|reach me|text me|write to me|who can i talk to|"
        r"перезвон\w*|позвон\w*|свяж\w*|звоните|напишите мне|пишите мне|"
        r"передзвон\w*|зателефон\w*|зв'яж\w*|дзвоніть|пишіть|напишіть мені)"
    ),
    "handle": _rx(r"(?<![\w.])@[a-z0-9_]{4,32}\b"),
    "price_list": _rx(
        r"\b(?:price ?list|prices for all|presentation|catalog\w*|brochure|product photos|прайс\w*|презентац\w*|"
        r"каталог\w*|ціни на всі|цены на все|photos)"
    ),
    "demo": _rx(
        r"\b(?:demo\w*|showroom|try (?:a|the|it|your)|test it|демо\w*|демонстрац\w*|шоу-?рум\w*|спробувати|"
        r"попробовать|подивитися|посмотреть (?:в работе|вживую)|приїхати|приехать|visit)"
    ),
    # Warm: concrete commercial interest.
    "interest": _rx(
        r"\b(?:how much|procure\w*|purchas\w*|закуп\w*|terms|conditions|wholesale|услови\w*|умов[иау]\w*|опт\w*|"
        r"вариант\w*|варіант\w*|интересу\w*|цікавл\w*|price\w*|pricing|cost\w*|fee\b|rent\w*|leas\w*|instal+ments?|"
        r"pay\w*|cash|discount\w*|"
        r"deliver\w*|shipping|ship to|install\w*|set ?up|train\w*|warrant\w*|recomm?end\w*|suggest\w*|advis\w*|"
        r"which (?:machine|model|one)|what (?:machines|models|do you (?:have|suggest|recommend|offer))|"
        r"models?\b|difference|\bvs\b|versus|compar\w*|buying|renting|in stock|minimum|"
        r"partner\w*|resell\w*|dealer\w*|distribut\w*|silver|gold\b|marketing materials|do you (?:rent|have)|"
        r"interested in|considering|options|cups a day|noisy|noise|loud|dimensions|weigh\w*|capacity|"
        r"oat milk|water connection|plumb\w*|included|include|equipment|"
        r"сколько|скоко|поч[её]м|цен[аыуе]\b|цены|стоимост\w*|стоит|прайс\w*|переплат\w*|посчитайте|рассчитайте|"
        r"аренд\w*|арендов\w*|рассрочк\w*|частями|оплат\w*|наличн\w*|безнал\w*|юрлиц\w*|скидк\w*|доставк\w*|"
        r"доставля\w*|доставит\w*|привез\w*|обслуживаете|установк\w*|монтаж\w*|подключ\w*|обучени\w*|гаранти\w*|"
        r"посовет\w*|порекоменд\w*|подскажите какую|какую (?:машину|модель)|какие (?:машины|модели)|модел\w*|"
        r"что у вас есть|что есть|что можете предложить|отлича\w*|разниц\w*|выгодне\w*|в наличии|на складе|"
        r"партн[её]р\w*|дилер\w*|дистрибьют\w*|интересует|рассматрива\w*|чашек|чашки|шумн\w*|габарит\w*|"
        r"размер\w*|весит|бункер\w*|оборудовани\w*|входит|комплект\w*|подойд[её]т|подходит|умеет|хватит|поставк\w*|"
        r"скільки|скілки|ціна|ціни|ціну|цін\b|вартіст\w*|коштує|коштуват\w*|порахуйте|розрахуйте|оренд\w*|"
        r"розстрочк\w*|частинами|оплачу\w*|безготівк\w*|юрособ\w*|знижк\w*|доставля\w*|доставк\w*|доставите|"
        r"привез\w*|встановлен\w*|монтаж\w*|підключ\w*|під'єдна\w*|навчите|навчанн\w*|гаранті\w*|порад\w*|"
        r"яку (?:машину|модель)|які (?:машини|моделі)|що у вас є|що можете запропонувати|відрізня\w*|різниц\w*|"
        r"вигідніше|в наявності|на складі|партнер\w*|дилер\w*|дистриб'ют\w*|цікавить|розгляда\w*|чашок|"
        r"шумить|шумн\w*|габарит\w*|розмір\w*|важить|бункер\w*|входить|комплект\w*|підійде|підходить|вміє|"
        r"вистачить|поміститься|матеріали|обладнанн\w*|постачанн\w*|lead time)"
    ),
    "product_question": _rx(PRODUCT + r"[^?.!\n]{0,200}\?|" + MACHINE + r"[^?.!\n]{0,120}\?"),
    # Cold: deferral, rejection, support for an owned machine, paperwork, off-topic.
    "deferral": _rx(
        r"\b(?:next year|not now|not right now|not yet|not at the moment|maybe later|just (?:comparing|browsing|"
        r"looking|looking around)|for now,? just|researching|for comparison|i'?ll think|we'?ll think|think about it|"
        r"revisit|no decision|not planning|"
        r"not soon|too (?:expensive|pricey|high)|can'?t afford|(?:we|i)'?ll pass\b|pass on (?:it|this)|not for us|"
        r"(?:over|out of) (?:our )?budget|we'?ll see\b|"
        r"в следующем году|следующего года|не сейчас|пока не (?:планир|собира|потян|готов|нужн)\w*|"
        r"не планиру\w*|не собира\w*|просто (?:смотр|сравнива|для сравнения)\w*|пока просто|присматрива\w*|"
        r"приглядыва\w*|изуча\w* рын\w*|для сравнения|подумаю|подумаем|"
        r"верн[её]мся|не до этого|не потян\w*|(?:слишком|очень|пока|для нас) дорог\w*|дорог\w* для нас|дороговат\w*|"
        r"не для нас|не по карману|посмотрим\b(?! (?:в работе|вживую))|решени\w* (?:\w+ ){0,4}не будет|"
        r"ничего конкретного|"
        r"в ближайшее время не|месяц\w* через|через (?:\w+ )?(?:месяц|полгода)\w*|"
        r"наступного року|не зараз|поки (?:що )?не (?:план|збира|потягн|готов|потріб)\w*|не плану\w*|"
        r"не збира\w*|просто (?:дивл|дивим|порівню|для порівняння)\w*|поки (?:що )?просто|придивля\w*|"
        r"вивча\w* ринок|для порівняння|подумаю|подумаємо|поверн\w+ся|"
        r"не потягн\w*|(?:занадто|дуже|поки|для нас) дорог\w*|дорогувато|не для нас|не по кишені|побачимо\b|"
        r"нічого конкретного|найближчим часом не|поки вистачає|"
        r"вистачає старої|через (?:\w+ )?(?:місяц|пів року)\w*)"
    ),
    "withdrawal": _rx(
        r"\b(?:postpon\w*|on hold|cancel\w*|called off|no longer|not needed|don'?t need|decided not to|"
        r"(?:won'?t|will not|not going to) (?:buy|order|rent|need)|(?:решил\w*|вирішил\w*)(?: \w+)? не\b|"
        r"decided (?:\w+ )?not\b|(?:пока|поки|уже|вже) не (?:купувати|купуватимемо|покупать|брать|брати|замовляти|"
        r"заказывать)\b|"
        r"не будем (?:покупать|заказывать|брать|арендовать)|не будемо (?:купувати|замовляти|брати|орендувати)|"
        r"отмен\w*|отбой|заморози\w*|отложи\w*|перенесли|передумал\w*|не нужен|не нужна|не нужно|неактуальн\w*|"
        r"не актуальн\w*|скасува\w*|відмін\w*|заморож\w*|відклали|відкладаємо|перенесли|передумал\w*|"
        r"не потрібен|не потрібна|не потрібно)"
    ),
    "rejection": _rx(
        r"\b(?:not interested|stop (?:messaging|writing|sending)|remove my|unsubscribe|another supplier|other supplier|"
        r"current supplier|stay with|went with|go with another|chose another|"
        r"(?:chose|chosen|found|picked|went with|settled on) (?:\w+ )?(?:another|other|different)\b|"
        r"(?:обрали|вибрали|выбрали|знайшли|нашли|остановились на) (?:\w+ )?(?:інш|друг)\w*|"
        r"не интересно|не интересует|удалите мой|отпишите|друг\w+ поставщик\w*|нам (?:это )?не нужно|уже вс[её] есть|"
        r"не цікаво|не цікавить|видаліть мій|відпишіть|інш\w+ постачальник\w*|нам (?:це )?не потрібно|вже все є)"
    ),
    "spam": _rx(
        r"(?:^|[.!?] )(?:продаю|продам|продаем|продаємо|предлагаю|пропоную)\b|"
        r"\b(?:seo\b|link building|advertis\w*|promot\w*|followers|subscribers|we offer|our services|"
        r"продвижени\w*|реклам\w*|подписчик\w*|таргет\w*|предлагаем|наши услуги|купите у нас|прайс вышлю|"
        r"просування|підписник\w*|пропонуємо|наші послуги|купіть у нас|прайс надішлю)"
    ),
    "job": _rx(
        r"\b(?:hiring|vacanc\w*|job\b|cv\b|resume|years of (?:\w+ )?experience|barista experience|"
        r"ищу работу|ваканси\w*|резюме|техник\w* по ремонту|нужны техники|опыт \d|"
        r"шукаю роботу|ваканс\w*|технік\w* з ремонту|потрібні техніки|досвід \d)"
    ),
    "off_topic": _rx(
        r"\b(?:recommend|порекомендуйте|порекомендовать|посоветуйте|посоветовать|порадьте|порадити)"
        r"(?: a| any| some)?(?: good| nice| хорош\w*| гарн\w*)? (?:caf[eé]|coffee shop|restaurant|place to|кофейн\w*|"
        r"кафе|ресторан\w*|кав'ярн\w*)|photographer|фотограф\w*|copywrit\w*|копирайт\w*|\btea\b|\bчай\b|\bчаю\b|"
        r"\b(?:weather|football|match\b|joke|thesis|student|journalist|blogger|article|for (?:a )?review|interview|"
        r"wrong chat|wrong number|bot or (?:a )?human|(?:buy|accept|take) used|used (?:coffee )?machines|"
        r"б/у|скупк\w*|выкуп\w*|викуп\w*|вживан\w*|recycl\w*|dispose|how (?:do i|to) get to|"
        r"погод[аеуы]\b|матч\w*|анекдот\w*|диплом\w*|студент\w*|журналист\w*|блогер\w*|на обзор|интервью|ошибся чатом|"
        r"не туда|бот или человек|ты бот|стать[юяи] (?:о|про)\b|утилизац\w*|как доехать|"
        r"журналіст\w*|інтерв'ю|коментар\w*|не туди|ти бот|ви бот|статт[юяі] про\b|утилізац\w*|як доїхати)"
    ),
    "complaint": _rx(
        r"\b(?:disappointed|complain\w*|crushed|damaged|scratch\w*|arrived late|days late|wrong (?:item|model|machine)|"
        r"refund|return the|rude\b|still waiting|been waiting|жду уже|уже жду|чекаю вже|вже чекаю|"
        r"(?:привез|привіз|доставил|доставив|delivered|arrived)\w* (?:\w+ ){0,3}(?:без|without)\b|outrageous|terrible|"
        r"awful|dirty|безобраз\w*|неподобств\w*|грязн\w*|брудн\w*|"
        r"без документ\w*|ужас\w*|жахлив\w*|с опозданием|пожалова\w*|нагруби\w*|поскаржи\w*|dent\b|dented|not happy|"
        r"unhappy|upset|недовол\w*|вмятин\w*|вм'ятин\w*|жалоб\w*|царапин\w*|поврежд\w*|опозда\w*|не тот|не ту\b|"
        r"верните|возврат\w*|"
        r"незадоволен\w*|скарг\w*|подряпин\w*|пошкоджен\w*|запізн\w*|не той|не ту\b|поверніть|неприємно)"
    ),
    "paperwork": _rx(
        r"\b(?:outstanding|overdue|reconciliation|completed work|already paid|we paid|payment (?:is )?stuck|"
        r"copy of|for our records|duplicate|twice|charged|resend|re-send|send (?:\w+ )?again|повторно|ещ[её] раз|"
        r"ще раз|"
        r"our (?:monthly )?rental|(?:сч[её]т|рахун\w*|invoice|bill) (?:for|за) (?:the |our )?monthly|under (?:the|"
        r"our) contract|our (?:rental )?contract|"
        r"(?:сч[её]т|рахун\w*|invoice|bill) (?:за|for) (?:the )?(?:аренд|оренд|rent|сервис|сервіс|service|обслуж)\w*|"
        r"по договору|за договором|згідно з? договор\w*|в срок\b|вчасно\b|дважды|двічі|дубликат\w*|дублікат\w*|"
        r"оплатили|платеж\w* завис|сверк\w*|акт\w* выполненных|акты|за сервис|реквизиты ещ[её] раз|"
        r"сплатили|платіж\w* завис|звірк\w*|акт\w* виконаних|акти|за сервіс|реквізити ще раз)"
    ),
    "support": _rx(
        r"\b(?:leak\w*|puddle|drip\w*|error|e\d{1,2}\b|broke\b|broken|not working|doesn'?t work|won'?t turn on|"
        r"stopped|cracked|not frothing|fix it|send (?:a |the |your )?technician|manual\b|service (?:cost|visit)|"
        r"yearly service|lost the|"
        r"теч[её]т|протека\w*|ошибк\w*|сломал\w*|не работает|не включается|перестал\w*|не набирает|не взбива\w*|"
        r"упал пар|почин\w*|мастер\w*|инструкци\w*|профилактик\w*|"
        r"потерял\w*|шумит сильнее|"
        r"тече\b|протіка\w*|помилк\w*|зламал\w*|не працює|не вмикається|перестал\w*|зносил\w*|полагод\w*|"
        r"майстр\w*|інструкці\w*|профілактик\w*|загубил\w*|очищення)"
    ),
    "owned": _rx(
        r"\b(?:our|ours|my) (?:(?!new|future|next|second)\w+ )?(?:" + PRODUCT + "|" + MACHINE + r")|\bours\b|"
        r"\b(?:bought|rented|purchased|leased|got) (?:it |them )?from you|"
        r"\b(?:we|i) (?:rent|lease|have|use)\b[^.?!\n]{0,40} from you\b|\b(?:we|i) (?:bought|purchased|rented|"
        r"leased)\b|"
        r"\b(?:мы|я) (?:купили|купил|купила|арендовали|брали)\b|\b(?:ми|я) (?:купили|купив|купила|орендували|брали)\b|"
        r"\b(?:которую|который|яку|який|що) (?:\w+ )?(?:купили|купил|купив|арендуем|орендуємо)\b|(?:a|one|"
        r"two) years? old|"
        r"\b(?:наш\w*|мо[яюей]|мой|мо[їє]|у нас (?:таких|такая|такие|стоит|стоїть)) "
        r"(?:(?!будущ|майбутн|нов|следующ|наступн|втор|друг)\w+ )?(?:" + PRODUCT + "|" + MACHINE + r")|"
        r"(?:" + PRODUCT + "|" + MACHINE + r"),? (?:яка|яку|який|которая|которую|который|that|which) (?:в|у) нас\b|"
        r"(?:" + PRODUCT + "|" + MACHINE + r"),? (?:that|which) (?:we|i) (?:have|own|use)\b|"
        r"\b(?:у нас (?:есть|є)|we (?:have|own)) (?:an?|the|one|two|\d{1,3}) (?:\w+ )?(?:" + PRODUCT + r")|"
        r"арендуем у вас|в аренде у вас|купил\w* (?:у вас|не у вас)|покупал\w*|у нас таких|уже год\b|у нас с \d{4}|"
        r"орендуємо у вас|в оренді у вас|купил\w* у вас|вже рік|в нас із \d{4}"
    ),
    "maintenance": _rx(
        r"\b(?:filters?|service|servicing|spare|parts?|lid|seal\w*|repair\w*|descal\w*|clean\w*|technician|"
        r"brew (?:group|unit)|"
        r"фильтр\w*|сервис\w*|обслуживани\w*|запчаст\w*|крышк\w*|ремонт\w*|декальцинац\w*|чистк\w*|почист\w*|"
        r"мастер\w*|уплотнит\w*|заварн\w*|"
        r"фільтр\w*|сервіс\w*|обслуговуван\w*|кришк\w*|ущільнюв\w*|холдер\w*|запчастин\w*|чищен\w*|почист\w*|"
        r"майстр\w*)"
    ),
    # Moving on from a machine they own to a new one.
    "new_machine": _rx(
        r"\b(?:(?:second|new|another) (?:office|location|shop|caf[eé]|branch|site|floor)|"
        r"(?:друг|нов|втор)\w* (?:офис|офіс|точк|филиал|філі|кафе|кав'ярн|кофейн|заклад|магазин)\w*|"
        r"new (?:machine|one|coffee machine|espresso machine)|another (?:machine|one)|second (?:machine|one)|"
        r"one more|replace (?:it|our|the old)|replacement for|outgrown|upgrade|instead|too small|not enough|"
        r"нов(?:ую|ая|ой|у|а) (?:машин|кофемашин|кавомашин)\w*|замен\w* (?:стар|нашу|е[её])\w*|вместо|"
        r"ещ[её] одн\w*|втор(?:ую|ой|ая) (?:машин|кофемашин)\w*|не хватает|не справля\w*|мала для нас|мала для нас|"
        r"натомість|замін\w* (?:стар|нашу|ї[їх])\w*|замість|ще одн\w*|друг(?:у|а) (?:машин|кавомашин)\w*|"
        r"докуп\w*|не вистачає|не справляється|замала)"
    ),
}

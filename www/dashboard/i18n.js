//! The dashboard's words in Russian, English and (where the texts exist) Kazakh, the operator's
//! language choice, and dates and numbers in that language.
//
// Every string a person sees comes from TEXTS. A text missing in Kazakh falls back to Russian,
// then English, one string at a time. `{name}` in a text is replaced by a value; a text that
// depends on a count is an object of Intl.PluralRules categories ({one, few, many, other}).
// No DOM is touched at import time, so the tests can read the tables from Node.

/** Languages the dashboard speaks, in the order the language menu lists them. */
export const LANGS = ['ru', 'kk', 'en'];
/** Each language named in itself, for the menu. */
export const LANG_NAMES = { ru: 'Русский', kk: 'Қазақша', en: 'English' };
/** Where a string is looked up when the chosen language lacks it. */
const FALLBACK = { ru: ['ru', 'en'], kk: ['kk', 'ru', 'en'], en: ['en'] };
/** The operator's choice, remembered across visits (it is not a secret). */
export const LANG_STORE = 'kelisim.dashboard.lang';

const EN = {
  'page.title': 'Kelisim · Operator dashboard',
  'page.titleSite': '{site} · Kelisim dashboard',
  'page.skip': 'Skip to content',
  'brand.sub': 'Operator dashboard',
  'lang.label': 'Language',
  'session.site': 'Site',
  'session.signOut': 'Sign out',

  'signin.title': 'Sign in',
  'signin.introBefore': 'Paste an operator token with the ',
  'signin.introAfter': ' scope (or the admin token) and the site id. They are kept in this browser tab only (session storage) and sent only to this edge.',
  'signin.token': 'Operator token',
  'signin.site': 'Site id',
  'signin.siteHint': 'Lower-case letters, digits, “-” and “_”, for example crm-demo.',
  'signin.submit': 'Sign in',
  'signin.busy': 'Signing in…',
  'signin.noToken': 'Enter the operator token.',
  'signin.badToken': 'The token contains spaces or characters a token cannot have.',
  'signin.noSite': 'Enter the site id.',
  'signin.badSite': 'A site id is up to 64 lower-case letters, digits, “-” and “_” (for example crm-demo).',

  'app.heading': 'Consent receipts of ',
  'app.dismiss': 'Dismiss',
  'app.unknownSite': 'Site “{site}” is not configured on this edge: check the site id, or sign out and sign in again.',

  'filters.title': 'Filters',
  'filters.from': 'From (UTC)',
  'filters.to': 'To (UTC, exclusive)',
  'filters.subject': 'Subject',
  'filters.anySubject': 'Any subject',
  'filters.category': 'Category',
  'filters.anyCategory': 'Any category',
  'filters.decision': 'Decision',
  'filters.limit': 'Rows per page',
  'filters.hint': 'Times are UTC. Leave empty for all time; the chart then shows the last 30 days.',
  'filters.apply': 'Apply filters',
  'filters.reset': 'Reset',
  'filters.badFrom': '“From” is not a valid date and time.',
  'filters.badTo': '“To” is not a valid date and time.',
  'filters.toBeforeFrom': '“To” must be after “From”.',
  'filters.badSubject': 'A subject id is 43 characters: letters, digits, “-” and “_”.',

  'decision.granted': 'Granted',
  'decision.denied': 'Denied',
  'badge.granted': 'granted',
  'badge.denied': 'denied',
  'chips.granted': 'Granted: {list}',
  'chips.denied': 'Denied: {list}',

  'exports.label': 'Export the time range',
  'exports.ndjson': 'Export NDJSON',
  'exports.csv': 'Export CSV',
  'exports.preparing': 'Preparing the {format} export…',
  'exports.progress': 'Preparing the {format} export… {size} so far.',
  'exports.done': 'Downloaded {name} ({size}).',
  'exports.failed': 'Export failed.',
  'exports.error': 'Export: {error}',
  'size.bytes': { one: '{n} byte', other: '{n} bytes' },
  'size.kib': '{n} KiB',
  'size.mib': '{n} MiB',

  'chart.title': 'Opt-in rate per category',
  'chart.showTable': 'Show as table',
  'chart.hideTable': 'Hide table',
  'chart.rangeDefault': 'Share of visitors who granted a category, among those who granted or denied it, per day (UTC).',
  'chart.range': 'Share of visitors who granted each category, among those who granted or denied it, per day: {from} to {to} (UTC).',
  'chart.loading': 'Loading statistics…',
  'chart.clamped': 'The chart shows the last {days} days of the range.',
  'chart.truncated': 'Counts are partial: the range holds more receipts than the edge counts in one answer.',
  'chart.unavailable': 'Statistics are not available on this edge.',
  'chart.error': 'Statistics: {error}',
  'chart.empty': 'No receipts between {from} and {to}.',
  'chart.axisY': 'Opt-in',
  'chart.axisX': 'Day (UTC)',
  'chart.describe': 'Line chart of the daily opt-in rate per category, {range} (UTC), {total}. Overall: {parts}. The data table below has every value.',
  'chart.receipts': { one: '{n} receipt', other: '{n} receipts' },
  'chart.days': '{from} to {to}',
  'chart.noDays': 'no days',
  'chart.noChoices': 'no choices',
  'chart.dot': '{category}, {day}: {rate} ({granted} granted, {denied} denied, {none} no choice)',
  'chart.legendRate': '{rate} overall ({granted}/{decided})',
  'chart.caption': 'Opt-in rate per category and day (UTC), {from} to {to}. Days without receipts are left out.',
  'chart.colDay': 'Day',
  'chart.colReceipts': 'Receipts',
  'chart.colCategory': '{category} opt-in',

  'receipts.title': 'Receipts',
  'receipts.caption': 'Consent receipts, newest first. Follow a row’s time link, or click the row, for the receipt’s details and its verification.',
  'col.time': 'Time (UTC)',
  'col.subject': 'Subject',
  'col.action': 'Action',
  'col.policy': 'Policy',
  'col.granted': 'Granted',
  'col.denied': 'Denied',
  'receipts.empty': 'No receipts match these filters.',
  'receipts.loadMore': 'Load more',
  'receipts.loading': 'Loading…',
  'receipts.shown': { one: '{n} receipt shown', other: '{n} receipts shown' },
  'receipts.more': '{shown}, more available',
  'receipts.error': 'Receipts: {error}',
  'receipts.rowTitle': 'Receipt {id} at {time}',
  'policy.version': 'v{version}',

  'action.accept_all': 'Accept all',
  'action.reject_all': 'Reject all',
  'action.custom': 'Custom',
  'action.withdraw': 'Withdraw',
  'action.gpc_default': 'GPC default',

  'check.valid': 'valid',
  'check.absent': 'absent',
  'check.invalid': 'invalid',
  'check.unknown': 'unknown',
  'check.edge_signature': 'Edge signature',
  'check.hash': 'Receipt hash',
  'check.visitor_signature': 'Visitor signature',

  'detail.title': 'Receipt',
  'detail.close': 'Close details',
  'detail.loading': 'Loading…',
  'detail.receipt': 'Receipt {id}',
  'detail.subject': 'Subject history',

  'verdict.valid': 'VALID',
  'verdict.invalid': 'INVALID',
  'verdict.reason': '{name}: {reason}',
  'verdict.doesNotVerify': 'does not verify',
  'verdict.notValid': 'The edge reports this receipt as not valid.',
  'verdict.validText': 'The edge’s signature and the receipt hash verify against the edge’s published keys.',
  'verdict.visitorValid': 'The visitor’s own signature verifies too.',
  'verdict.visitorAbsent': 'The browser had no key of its own, so there is no visitor signature.',
  'verdict.invalidText': 'This receipt is not genuine or was altered:',

  'chain.none': 'None: the first receipt of this subject.',
  'chain.held': 'held',
  'chain.notHeld': 'not held',
  'chain.notStored': 'The previous receipt is not stored (erased, or never received).',

  'decisions.none': 'No decisions.',
  'decisions.category': 'Category',
  'decisions.decision': 'Decision',

  'receipt.verification': 'Verification',
  'receipt.kid': 'Edge key id',
  'receipt.prev': 'Previous receipt',
  'receipt.claims': 'Claims',
  'receipt.id': 'Receipt id',
  'receipt.site': 'Site',
  'receipt.subject': 'Subject',
  'receipt.subjectHistory': 'Subject history',
  'receipt.action': 'Action',
  'receipt.policy': 'Policy',
  'receipt.policyValue': 'version {version}, shown in {language}',
  'receipt.gpc': 'Global Privacy Control',
  'receipt.gpcPresent': 'present',
  'receipt.gpcAbsent': 'not sent',
  'receipt.serverTime': 'Server time',
  'receipt.clientTime': 'Client time',
  'receipt.clientTimeNote': '(as the browser stated it)',
  'receipt.widget': 'Widget version',
  'receipt.hash': 'Hash (SHA-256 of the claims)',
  'receipt.decisions': 'Decisions',
  'receipt.signatures': 'Signatures',
  'receipt.edgeJws': 'Edge (JWS, EdDSA)',
  'receipt.visitor': 'Visitor',
  'receipt.visitorNone': 'None: the browser had no Ed25519 key.',
  'receipt.visitorKey': 'Visitor key (JWK)',
  'receipt.none': 'None.',
  'receipt.raw': 'Signed receipt as JSON',
  'receipt.download': 'Download receipt (JSON)',
  'receipt.onlySubject': 'Show only this subject’s receipts',

  'subject.subject': 'Subject',
  'subject.forkTitle': 'Fork in this subject’s chain.',
  'subject.forkCount': {
    one: '{n} receipt is followed by more than one receipt (for example two tabs answering at once).',
    other: '{n} receipts are followed by more than one receipt (for example two tabs answering at once).',
  },
  'subject.forkRest': 'All are kept; of the branches, the one the edge received last is shown as the current choice. Forked receipts are marked below.',
  'subject.state': 'Current choice',
  'subject.stateLine': 'As of {time} UTC: {action} under policy v{version}, receipt {receipt}.',
  'subject.noState': 'No choice is held for this subject.',
  'subject.receipts': 'Receipts ({n})',
  'subject.noReceipts': 'No receipts are held for this subject.',
  'subject.fork': 'fork',
  'subject.forkHint': 'Another receipt names the same previous receipt',
  'subject.receiptTitle': 'Receipt {id}',

  'error.tail': ' (HTTP {status}, {code})',
  'error.unexpected': 'Unexpected error: {message}',
  'error.auth': 'Token invalid or lacks scope for this action{tail}. Sign out and sign in with a token for site “{site}” that has the needed scope.',
  'error.unknownSite': 'Unknown site “{site}”{tail}.',
  'error.notFound': 'Not found: {message}{tail}.',
  'error.rateLimited': 'Too many requests; wait a moment and try again{tail}.',
  'error.server': 'The edge failed to answer: {message}{tail}. Try again.',
  'error.other': '{message}{tail}.',
  // Known error codes: the text shown instead of the server's (English) message.
  'code.network': 'Cannot reach the edge. Check your connection and try again.',
  'code.export_loop': 'The edge named the same export cursor twice.',
  'code.export_too_long': 'The export did not end after {max} requests.',
  'code.not_found': 'no such resource',
  'code.receipt_not_found': 'no such receipt',
  'code.subject_not_found': 'no receipts are held for this subject',
  'code.policy_not_found': 'no policy is published for this site',
  'code.invalid_id': 'the id is not valid',
  'code.invalid_query': 'the query is not valid',
  'code.invalid_range': 'the time range is not valid',
  'code.storage_unavailable': 'storage is unavailable',
  'code.internal': 'internal error',
};

const RU = {
  'page.title': 'Kelisim · Панель оператора',
  'page.titleSite': '{site} · панель Kelisim',
  'page.skip': 'Перейти к содержимому',
  'brand.sub': 'Панель оператора',
  'lang.label': 'Язык',
  'session.site': 'Сайт',
  'session.signOut': 'Выйти',

  'signin.title': 'Вход',
  'signin.introBefore': 'Вставьте токен оператора с правом ',
  'signin.introAfter': ' (или токен администратора) и идентификатор сайта. Они хранятся только в этой вкладке браузера (session storage) и отправляются только на этот сервер.',
  'signin.token': 'Токен оператора',
  'signin.site': 'Идентификатор сайта',
  'signin.siteHint': 'Строчные латинские буквы, цифры, «-» и «_», например crm-demo.',
  'signin.submit': 'Войти',
  'signin.busy': 'Вход…',
  'signin.noToken': 'Введите токен оператора.',
  'signin.badToken': 'Токен содержит пробелы или недопустимые символы.',
  'signin.noSite': 'Введите идентификатор сайта.',
  'signin.badSite': 'Идентификатор сайта — до 64 строчных латинских букв, цифр, «-» и «_» (например crm-demo).',

  'app.heading': 'Квитанции о согласии сайта ',
  'app.dismiss': 'Скрыть',
  'app.unknownSite': 'Сайт «{site}» не настроен на этом сервере: проверьте идентификатор или выйдите и войдите снова.',

  'filters.title': 'Фильтры',
  'filters.from': 'С (UTC)',
  'filters.to': 'До (UTC, не включая)',
  'filters.subject': 'Субъект',
  'filters.anySubject': 'Любой субъект',
  'filters.category': 'Категория',
  'filters.anyCategory': 'Любая категория',
  'filters.decision': 'Решение',
  'filters.limit': 'Строк на странице',
  'filters.hint': 'Время в UTC. Оставьте пустым, чтобы видеть всё; тогда график покажет последние 30 дней.',
  'filters.apply': 'Применить фильтры',
  'filters.reset': 'Сбросить',
  'filters.badFrom': '«С» — недопустимые дата и время.',
  'filters.badTo': '«До» — недопустимые дата и время.',
  'filters.toBeforeFrom': '«До» должно быть позже «С».',
  'filters.badSubject': 'Идентификатор субъекта — 43 символа: латинские буквы, цифры, «-» и «_».',

  'decision.granted': 'Согласие',
  'decision.denied': 'Отказ',
  'badge.granted': 'согласие',
  'badge.denied': 'отказ',
  'chips.granted': 'Согласие: {list}',
  'chips.denied': 'Отказ: {list}',

  'exports.label': 'Выгрузить период',
  'exports.ndjson': 'Выгрузить NDJSON',
  'exports.csv': 'Выгрузить CSV',
  'exports.preparing': 'Готовится выгрузка {format}…',
  'exports.progress': 'Готовится выгрузка {format}… Уже {size}.',
  'exports.done': 'Скачан файл {name} ({size}).',
  'exports.failed': 'Выгрузка не удалась.',
  'exports.error': 'Выгрузка: {error}',
  'size.bytes': { one: '{n} байт', few: '{n} байта', many: '{n} байт', other: '{n} байта' },
  'size.kib': '{n} КиБ',
  'size.mib': '{n} МиБ',

  'chart.title': 'Доля согласий по категориям',
  'chart.showTable': 'Показать таблицей',
  'chart.hideTable': 'Скрыть таблицу',
  'chart.rangeDefault': 'Доля посетителей, давших согласие на категорию, среди тех, кто дал согласие или отказал, по дням (UTC).',
  'chart.range': 'Доля посетителей, давших согласие на каждую категорию, среди тех, кто дал согласие или отказал, по дням: с {from} по {to} (UTC).',
  'chart.loading': 'Загрузка статистики…',
  'chart.clamped': 'График показывает последние {days} дней периода.',
  'chart.truncated': 'Данные неполные: в периоде больше квитанций, чем сервер подсчитывает за один ответ.',
  'chart.unavailable': 'Статистика на этом сервере недоступна.',
  'chart.error': 'Статистика: {error}',
  'chart.empty': 'Нет квитанций с {from} по {to}.',
  'chart.axisY': 'Согласие',
  'chart.axisX': 'День (UTC)',
  'chart.describe': 'Линейный график дневной доли согласий по категориям, {range} (UTC), {total}. В целом: {parts}. В таблице ниже — все значения.',
  'chart.receipts': { one: '{n} квитанция', few: '{n} квитанции', many: '{n} квитанций', other: '{n} квитанции' },
  'chart.days': 'с {from} по {to}',
  'chart.noDays': 'нет дней',
  'chart.noChoices': 'нет решений',
  'chart.dot': '{category}, {day}: {rate} (согласий: {granted}, отказов: {denied}, без решения: {none})',
  'chart.legendRate': '{rate} в целом ({granted}/{decided})',
  'chart.caption': 'Доля согласий по категориям и дням (UTC), с {from} по {to}. Дни без квитанций не показаны.',
  'chart.colDay': 'День',
  'chart.colReceipts': 'Квитанции',
  'chart.colCategory': '{category}: согласие',

  'receipts.title': 'Квитанции',
  'receipts.caption': 'Квитанции о согласии, сначала новые. Перейдите по ссылке со временем или нажмите на строку, чтобы увидеть подробности квитанции и её проверку.',
  'col.time': 'Время (UTC)',
  'col.subject': 'Субъект',
  'col.action': 'Действие',
  'col.policy': 'Политика',
  'col.granted': 'Согласие',
  'col.denied': 'Отказ',
  'receipts.empty': 'Нет квитанций, подходящих под фильтры.',
  'receipts.loadMore': 'Загрузить ещё',
  'receipts.loading': 'Загрузка…',
  'receipts.shown': { one: 'Показана {n} квитанция', few: 'Показаны {n} квитанции', many: 'Показано {n} квитанций', other: 'Показано {n} квитанции' },
  'receipts.more': '{shown}, есть ещё',
  'receipts.error': 'Квитанции: {error}',
  'receipts.rowTitle': 'Квитанция {id} от {time}',
  'policy.version': 'ред. {version}',

  'action.accept_all': 'Принять все',
  'action.reject_all': 'Отклонить все',
  'action.custom': 'Выборочно',
  'action.withdraw': 'Отзыв согласия',
  'action.gpc_default': 'По сигналу GPC',

  'check.valid': 'верна',
  'check.absent': 'нет',
  'check.invalid': 'неверна',
  'check.unknown': 'неизвестно',
  'check.edge_signature': 'Подпись сервера',
  'check.hash': 'Хеш квитанции',
  'check.visitor_signature': 'Подпись посетителя',

  'detail.title': 'Квитанция',
  'detail.close': 'Закрыть подробности',
  'detail.loading': 'Загрузка…',
  'detail.receipt': 'Квитанция {id}',
  'detail.subject': 'История субъекта',

  'verdict.valid': 'ПОДЛИННАЯ',
  'verdict.invalid': 'НЕ ПОДЛИННАЯ',
  'verdict.reason': '{name}: {reason}',
  'verdict.doesNotVerify': 'не проходит проверку',
  'verdict.notValid': 'Сервер сообщает, что квитанция недействительна.',
  'verdict.validText': 'Подпись сервера и хеш квитанции проверяются по опубликованным ключам сервера.',
  'verdict.visitorValid': 'Подпись самого посетителя тоже верна.',
  'verdict.visitorAbsent': 'У браузера не было собственного ключа, поэтому подписи посетителя нет.',
  'verdict.invalidText': 'Квитанция не подлинная или была изменена:',

  'chain.none': 'Нет: это первая квитанция субъекта.',
  'chain.held': 'хранится',
  'chain.notHeld': 'не хранится',
  'chain.notStored': 'Предыдущая квитанция не хранится (удалена или не была получена).',

  'decisions.none': 'Решений нет.',
  'decisions.category': 'Категория',
  'decisions.decision': 'Решение',

  'receipt.verification': 'Проверка',
  'receipt.kid': 'Идентификатор ключа сервера',
  'receipt.prev': 'Предыдущая квитанция',
  'receipt.claims': 'Содержание',
  'receipt.id': 'Идентификатор квитанции',
  'receipt.site': 'Сайт',
  'receipt.subject': 'Субъект',
  'receipt.subjectHistory': 'История субъекта',
  'receipt.action': 'Действие',
  'receipt.policy': 'Политика',
  'receipt.policyValue': 'редакция {version}, показана на языке {language}',
  'receipt.gpc': 'Сигнал Global Privacy Control',
  'receipt.gpcPresent': 'передан',
  'receipt.gpcAbsent': 'не передан',
  'receipt.serverTime': 'Время сервера',
  'receipt.clientTime': 'Время клиента',
  'receipt.clientTimeNote': '(по словам браузера)',
  'receipt.widget': 'Версия виджета',
  'receipt.hash': 'Хеш (SHA-256 содержания)',
  'receipt.decisions': 'Решения',
  'receipt.signatures': 'Подписи',
  'receipt.edgeJws': 'Сервер (JWS, EdDSA)',
  'receipt.visitor': 'Посетитель',
  'receipt.visitorNone': 'Нет: у браузера не было ключа Ed25519.',
  'receipt.visitorKey': 'Ключ посетителя (JWK)',
  'receipt.none': 'Нет.',
  'receipt.raw': 'Подписанная квитанция в JSON',
  'receipt.download': 'Скачать квитанцию (JSON)',
  'receipt.onlySubject': 'Показать только квитанции этого субъекта',

  'subject.subject': 'Субъект',
  'subject.forkTitle': 'Развилка в цепочке субъекта.',
  'subject.forkCount': {
    one: 'За {n} квитанцией следует больше одной квитанции (например, две вкладки ответили одновременно).',
    few: 'За {n} квитанциями следует больше одной квитанции (например, две вкладки ответили одновременно).',
    many: 'За {n} квитанциями следует больше одной квитанции (например, две вкладки ответили одновременно).',
    other: 'За {n} квитанциями следует больше одной квитанции (например, две вкладки ответили одновременно).',
  },
  'subject.forkRest': 'Сохранены все; из ветвей текущим выбором считается та, что сервер получил последней. Квитанции развилки отмечены ниже.',
  'subject.state': 'Текущий выбор',
  'subject.stateLine': 'На {time} UTC: {action}, политика ред. {version}, квитанция {receipt}.',
  'subject.noState': 'Для этого субъекта выбор не хранится.',
  'subject.receipts': 'Квитанции ({n})',
  'subject.noReceipts': 'Для этого субъекта квитанции не хранятся.',
  'subject.fork': 'развилка',
  'subject.forkHint': 'Другая квитанция ссылается на ту же предыдущую квитанцию',
  'subject.receiptTitle': 'Квитанция {id}',

  'error.tail': ' (HTTP {status}, {code})',
  'error.unexpected': 'Непредвиденная ошибка: {message}',
  'error.auth': 'Токен недействителен или не даёт права на это действие{tail}. Выйдите и войдите с токеном сайта «{site}», у которого есть нужное право.',
  'error.unknownSite': 'Неизвестный сайт «{site}»{tail}.',
  'error.notFound': 'Не найдено: {message}{tail}.',
  'error.rateLimited': 'Слишком много запросов; подождите немного и повторите{tail}.',
  'error.server': 'Сервер не смог ответить: {message}{tail}. Повторите попытку.',
  'error.other': '{message}{tail}.',
  'code.network': 'Нет связи с сервером. Проверьте подключение и повторите попытку.',
  'code.export_loop': 'Сервер дважды назвал один и тот же курсор выгрузки.',
  'code.export_too_long': 'Выгрузка не завершилась после {max} запросов.',
  'code.not_found': 'такого ресурса нет',
  'code.receipt_not_found': 'такой квитанции нет',
  'code.subject_not_found': 'для этого субъекта квитанции не хранятся',
  'code.policy_not_found': 'для этого сайта не опубликована политика',
  'code.invalid_id': 'недопустимый идентификатор',
  'code.invalid_query': 'недопустимые параметры запроса',
  'code.invalid_range': 'недопустимый период',
  'code.storage_unavailable': 'хранилище недоступно',
  'code.internal': 'внутренняя ошибка',
};

// Kazakh: the short texts (labels, buttons, headings); longer explanations fall back to Russian.
const KK = {
  'page.title': 'Kelisim · Оператор панелі',
  'page.titleSite': '{site} · Kelisim панелі',
  'page.skip': 'Мазмұнға өту',
  'brand.sub': 'Оператор панелі',
  'lang.label': 'Тіл',
  'session.site': 'Сайт',
  'session.signOut': 'Шығу',

  'signin.title': 'Кіру',
  'signin.token': 'Оператор токені',
  'signin.site': 'Сайт идентификаторы',
  'signin.submit': 'Кіру',
  'signin.busy': 'Кіру…',
  'signin.noToken': 'Оператор токенін енгізіңіз.',
  'signin.noSite': 'Сайт идентификаторын енгізіңіз.',

  'app.dismiss': 'Жабу',

  'filters.title': 'Сүзгілер',
  'filters.subject': 'Субъект',
  'filters.anySubject': 'Кез келген субъект',
  'filters.category': 'Санат',
  'filters.anyCategory': 'Кез келген санат',
  'filters.decision': 'Шешім',
  'filters.apply': 'Сүзгілерді қолдану',
  'filters.reset': 'Тазарту',

  'decision.granted': 'Келісім',
  'decision.denied': 'Бас тарту',
  'badge.granted': 'келісім',
  'badge.denied': 'бас тарту',
  'chips.granted': 'Келісім: {list}',
  'chips.denied': 'Бас тарту: {list}',

  'exports.ndjson': 'NDJSON экспорттау',
  'exports.csv': 'CSV экспорттау',

  'chart.showTable': 'Кесте түрінде көрсету',
  'chart.hideTable': 'Кестені жасыру',
  'chart.axisX': 'Күн (UTC)',
  'chart.colDay': 'Күн',
  'chart.colReceipts': 'Түбіртектер',

  'receipts.title': 'Түбіртектер',
  'col.time': 'Уақыт (UTC)',
  'col.subject': 'Субъект',
  'col.action': 'Әрекет',
  'col.policy': 'Саясат',
  'col.granted': 'Келісім',
  'col.denied': 'Бас тарту',
  'receipts.loadMore': 'Тағы жүктеу',
  'receipts.loading': 'Жүктелуде…',

  'action.accept_all': 'Барлығын қабылдау',
  'action.reject_all': 'Барлығынан бас тарту',
  'action.withdraw': 'Келісімді кері қайтару',

  'check.valid': 'жарамды',
  'check.absent': 'жоқ',
  'check.invalid': 'жарамсыз',

  'detail.title': 'Түбіртек',
  'detail.close': 'Жабу',
  'detail.loading': 'Жүктелуде…',
  'detail.receipt': 'Түбіртек {id}',
  'detail.subject': 'Субъект тарихы',

  'verdict.valid': 'ЖАРАМДЫ',
  'verdict.invalid': 'ЖАРАМСЫЗ',

  'decisions.category': 'Санат',
  'decisions.decision': 'Шешім',

  'receipt.verification': 'Тексеру',
  'receipt.site': 'Сайт',
  'receipt.subject': 'Субъект',
  'receipt.subjectHistory': 'Субъект тарихы',
  'receipt.action': 'Әрекет',
  'receipt.policy': 'Саясат',
  'receipt.decisions': 'Шешімдер',
  'receipt.signatures': 'Қолтаңбалар',
  'receipt.visitor': 'Келуші',

  'subject.subject': 'Субъект',
  'subject.state': 'Ағымдағы таңдау',
  'subject.receipts': 'Түбіртектер ({n})',
  'subject.receiptTitle': 'Түбіртек {id}',
};

export const TEXTS = Object.freeze({ en: Object.freeze(EN), ru: Object.freeze(RU), kk: Object.freeze(KK) });

let current = 'en';
const listeners = new Set();

/** The language in use. */
export const lang = () => current;

/** The language to start in: the remembered choice, else ru for a Russian or Kazakh preference, else en. */
export function initialLang(stored, preferences) {
  if (LANGS.includes(stored)) return stored;
  const wantsRu = (preferences ?? []).some((tag) => /^(ru|kk)\b/i.test(String(tag)));
  return wantsRu ? 'ru' : 'en';
}

/** The remembered choice, if storage is readable. */
export function storedLang() {
  try { return localStorage.getItem(LANG_STORE); } catch { return null; }
}

/** Switches the language (remembering it when `remember`) and tells every listener. */
export function setLang(next, { remember = false } = {}) {
  if (!LANGS.includes(next)) return;
  if (remember) {
    try { localStorage.setItem(LANG_STORE, next); } catch { /* storage disabled: this visit only */ }
  }
  if (next === current) return;
  current = next;
  for (const fn of listeners) fn(current);
}

/** Calls `fn(lang)` after every language change. */
export const onLangChange = (fn) => listeners.add(fn);

/** The entry for `key` and the language it was found in. */
function lookup(key) {
  for (const code of FALLBACK[current]) {
    const entry = TEXTS[code][key];
    if (entry !== undefined) return { entry, code };
  }
  return { entry: key, code: 'en' };
}

/** The text for `key` in the current language, `{name}`s filled from `vars` (`n` picks a plural form). */
export function t(key, vars = {}) {
  let { entry, code } = lookup(key);
  if (typeof entry === 'object') {
    const form = new Intl.PluralRules(code).select(Number(vars.n ?? 0));
    entry = entry[form] ?? entry.other;
  }
  return entry.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in vars)) return whole;
    const value = vars[name];
    return typeof value === 'number' ? fmtNumber(value) : String(value);
  });
}

/** The text for `key` as DOM pieces: `{name}` may be a Node (a link, a badge) as well as a value. */
export function tNodes(key, vars = {}) {
  const strings = Object.fromEntries(Object.entries(vars).filter(([, v]) => !(v instanceof Node)));
  return t(key, strings).split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const name = part.match(/^\{(\w+)\}$/)?.[1];
    return name && vars[name] instanceof Node ? vars[name] : part;
  });
}

/** A number in the current language. */
export const fmtNumber = (n, options) => new Intl.NumberFormat(current, options).format(n);

/** A share (0…1) as a whole percentage. */
export const fmtPercent = (rate) => fmtNumber(rate, { style: 'percent', maximumFractionDigits: 0 });

/** An RFC 3339 time as date and time of day in UTC; the input unchanged if it is not one. */
export function fmtTime(iso) {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return String(iso ?? '—');
  return new Intl.DateTimeFormat(current, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23', timeZone: 'UTC',
  }).format(ms);
}

/** A day (YYYY-MM-DD, UTC), short ("23 Nov") or long (with the year). */
export function fmtDay(day, long = false) {
  const options = long ? { year: 'numeric', month: 'short', day: 'numeric' } : { month: 'short', day: 'numeric' };
  return new Intl.DateTimeFormat(current, { ...options, timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
}

/** A byte count with a binary unit. */
export function fmtBytes(n) {
  if (n < 1024) return t('size.bytes', { n });
  const one = { maximumFractionDigits: 1, minimumFractionDigits: 1 };
  if (n < 1024 * 1024) return t('size.kib', { n: fmtNumber(n / 1024, one) });
  return t('size.mib', { n: fmtNumber(n / 1024 / 1024, one) });
}

/**
 * Translates the static page: `data-i18n` names the key of an element's text, `data-i18n-attr`
 * lists `attribute:key` pairs (space separated) for its attributes.
 */
export function translateStatic(root) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.dataset.i18nAttr.split(/\s+/).filter(Boolean)) {
      const [attr, key] = pair.split(':');
      node.setAttribute(attr, t(key));
    }
  }
}

"""User-facing strings of the hosted payment page (en/ru).

``strings(lang)`` returns a flat dict; a language we do not know falls back to English and
keys missing in a translation fall back to the English text.  Placeholders are written as
``{name}`` and substituted by the template (``|replace``) or by ``payment.js``.

Texts the API's card-payment answers show too (decline texts by ``actionCode``, the
"redirecting" and "being processed" statuses) live in ``ecomgate.web.buyer_texts``; the
status texts are merged into the tables below, decline texts come from
``buyer_texts.decline_message``.
"""

from __future__ import annotations

from ecomgate.web.buyer_texts import DEFAULT_LANG, LANGUAGES, STATUS_TEXTS, normalize_lang

__all__ = [
    "DEFAULT_LANG",
    "JS_KEYS",
    "STRINGS",
    "SUPPORTED_LANGS",
    "normalize_lang",
    "page_lang",
    "strings",
]


def page_lang(requested: str | None, merchant_default: str) -> str:
    """Spec §7: the page in the language asked for when it has strings for it, otherwise
    in the merchant's default language (as the API messages fall back), otherwise en."""
    code = (requested or "").strip().lower()[:2]
    if code in LANGUAGES:
        return code
    return normalize_lang(merchant_default)


_EN: dict[str, str] = {
    # common / layout
    "brand_mark": "EcomGate secure payment",
    "page_title": "Card payment",
    "footer_note": "Card data is sent over an encrypted connection and not stored by the shop.",
    "language": "Language",
    "secure_connection": "Secure connection",
    "noscript": "Please enable JavaScript in your browser to pay by card.",
    # order summary
    "merchant": "Merchant",
    "order_number": "Order number",
    "description": "Description",
    "amount_to_pay": "Amount to pay",
    "time_left": "Time left: {time}",
    "back_to_shop": "Return to {name}",
    "back_to_shop_default": "Return to the shop",
    # form
    "card_details": "Card details",
    "card_number": "Card number",
    "card_number_hint": "12 to 19 digits from the front of the card",
    "expiry": "Expiry date",
    "expiry_placeholder": "MM/YY",
    "expiry_hint": "Month and year, e.g. 08/29",
    "cvc": "Security code (CVC/CVV)",
    "cvc_short": "CVC",
    "cvc_hint": "3 digits on the back of the card",
    "cvc_hint_amex": "4 digits on the front of the card",
    "cardholder": "Cardholder name",
    "cardholder_placeholder": "IVAN PETROV",
    "cardholder_hint": "As printed on the card, in Latin letters",
    "email": "Email for the receipt",
    "optional": "optional",
    "email_hint": "We will send the payment confirmation here",
    "pay_button": "Pay {amount}",
    "processing": "Processing…",
    "card_brand": "Card type",
    # saved cards (bindings)
    "saved_cards": "Saved cards",
    "saved_card_label": "{pan}, expires {expiry}",
    "new_card": "Pay with a new card",
    "save_card": "Save the card for future payments",
    "saved_card_cvc": "Enter the security code of the saved card {pan}",
    # field errors
    "err_pan_required": "Enter the card number",
    "err_pan_invalid": "Enter a valid card number",
    "err_pan_incomplete": "Card number is incomplete",
    "err_expiry_format": "Enter the expiry date as MM/YY",
    "err_expiry_past": "The card has expired",
    "err_cvc": "Enter the 3-digit security code",
    "err_cvc_amex": "Enter the 4-digit security code",
    "err_cardholder": "Enter the name as printed on the card",
    "err_cardholder_latin": "Use Latin letters only, as printed on the card",
    "err_email": "Enter a valid email address, or leave the field empty",
    "err_check_fields": "Please check the highlighted fields",
    "err_network": "Connection problem, try again",
    "err_generic": "Something went wrong. Please try again",
    # statuses
    "redirect_3ds": "Redirecting to your bank for verification…",
    "checking_3ds": "Checking your card with your bank…",
    "expired_title": "Payment time has expired",
    "expired_text": "The time for entering card data has run out. Return to the shop and place the order again.",
    # result page
    "result_paid_title": "Order already paid",
    "result_paid_text": "This order has already been paid. No further action is needed.",
    "result_declined_title": "Payment declined",
    "result_declined_text": "The payment for this order was declined. No money has been charged.",
    "result_expired_title": "Payment time has expired",
    "result_expired_text": "The time for paying this order has run out. Return to the shop and place the order again.",
    "result_not_found_title": "Order not found",
    "result_not_found_text": "We could not find this order. Check the link or return to the shop.",
    "result_processing_text": "We are waiting for the bank's answer. This page will refresh automatically.",
    "unavailable": "The payment service is temporarily unavailable. Your card has not been charged by this page; it will try again by itself.",
    "return_to_shop": "Return to shop",
    # finish page
    "finish_title": "Payment processed",
    "finish_text": "Payment processed, returning to the shop…",
    "finish_link": "Return to the shop now",
    "finish_hint": "If nothing happens in a few seconds, use the button below.",
}

_RU: dict[str, str] = {
    "brand_mark": "Безопасная оплата EcomGate",
    "page_title": "Оплата картой",
    "footer_note": "Данные карты передаются по защищённому соединению и не сохраняются магазином.",
    "language": "Язык",
    "secure_connection": "Защищённое соединение",
    "noscript": "Чтобы оплатить картой, включите JavaScript в браузере.",
    "merchant": "Магазин",
    "order_number": "Номер заказа",
    "description": "Описание",
    "amount_to_pay": "Сумма к оплате",
    "time_left": "Осталось: {time}",
    "back_to_shop": "Вернуться в {name}",
    "back_to_shop_default": "Вернуться в магазин",
    "card_details": "Данные карты",
    "card_number": "Номер карты",
    "card_number_hint": "От 12 до 19 цифр с лицевой стороны карты",
    "expiry": "Срок действия",
    "expiry_placeholder": "ММ/ГГ",
    "expiry_hint": "Месяц и год, например 08/29",
    "cvc": "Код безопасности (CVC/CVV)",
    "cvc_short": "CVC",
    "cvc_hint": "3 цифры на обороте карты",
    "cvc_hint_amex": "4 цифры на лицевой стороне карты",
    "cardholder": "Имя владельца карты",
    "cardholder_placeholder": "IVAN PETROV",
    "cardholder_hint": "Как на карте, латинскими буквами",
    "email": "Email для чека",
    "optional": "необязательно",
    "email_hint": "Пришлём сюда подтверждение оплаты",
    "pay_button": "Оплатить {amount}",
    "processing": "Обработка…",
    "card_brand": "Тип карты",
    "saved_cards": "Сохранённые карты",
    "saved_card_label": "{pan}, действует до {expiry}",
    "new_card": "Оплатить новой картой",
    "save_card": "Сохранить карту для следующих покупок",
    "saved_card_cvc": "Введите код безопасности сохранённой карты {pan}",
    "err_pan_required": "Введите номер карты",
    "err_pan_invalid": "Введите правильный номер карты",
    "err_pan_incomplete": "Номер карты введён не полностью",
    "err_expiry_format": "Введите срок действия в формате ММ/ГГ",
    "err_expiry_past": "Срок действия карты истёк",
    "err_cvc": "Введите 3-значный код безопасности",
    "err_cvc_amex": "Введите 4-значный код безопасности",
    "err_cardholder": "Введите имя так, как оно указано на карте",
    "err_cardholder_latin": "Используйте только латинские буквы, как на карте",
    "err_email": "Введите правильный email или оставьте поле пустым",
    "err_check_fields": "Проверьте выделенные поля",
    "err_network": "Проблема со связью, попробуйте ещё раз",
    "err_generic": "Что-то пошло не так. Попробуйте ещё раз",
    "redirect_3ds": "Перенаправляем в ваш банк для подтверждения…",
    "checking_3ds": "Проверяем карту в вашем банке…",
    "expired_title": "Время оплаты истекло",
    "expired_text": "Время на ввод данных карты закончилось. Вернитесь в магазин и оформите заказ заново.",
    "result_paid_title": "Заказ уже оплачен",
    "result_paid_text": "Этот заказ уже оплачен. Больше ничего делать не нужно.",
    "result_declined_title": "Платёж отклонён",
    "result_declined_text": "Оплата этого заказа отклонена. Деньги не списаны.",
    "result_expired_title": "Время оплаты истекло",
    "result_expired_text": "Время на оплату заказа закончилось. Вернитесь в магазин и оформите заказ заново.",
    "result_not_found_title": "Заказ не найден",
    "result_not_found_text": "Мы не нашли этот заказ. Проверьте ссылку или вернитесь в магазин.",
    "result_processing_text": "Ждём ответа банка. Страница обновится автоматически.",
    "unavailable": "Платёжный сервис временно недоступен. Страница повторит попытку сама.",
    "return_to_shop": "Вернуться в магазин",
    "finish_title": "Платёж обработан",
    "finish_text": "Платёж обработан, возвращаемся в магазин…",
    "finish_link": "Вернуться в магазин сейчас",
    "finish_hint": "Если через несколько секунд ничего не произошло, нажмите кнопку ниже.",
}

STRINGS: dict[str, dict[str, str]] = {
    lang: page | STATUS_TEXTS[lang] for lang, page in (("en", _EN), ("ru", _RU))
}
SUPPORTED_LANGS: tuple[str, ...] = LANGUAGES

#: Keys the browser script needs (passed through ``<script type="application/json" id="i18n">``).
JS_KEYS: tuple[str, ...] = (
    "time_left",
    "pay_button",
    "processing",
    "cvc_hint",
    "cvc_hint_amex",
    "saved_card_cvc",
    "err_pan_required",
    "err_pan_invalid",
    "err_pan_incomplete",
    "err_expiry_format",
    "err_expiry_past",
    "err_cvc",
    "err_cvc_amex",
    "err_cardholder",
    "err_cardholder_latin",
    "err_email",
    "err_check_fields",
    "err_network",
    "err_generic",
    "redirecting",
    "redirect_3ds",
    "checking_3ds",
    "expired_title",
    "expired_text",
)


def strings(lang: str | None) -> dict[str, str]:
    """All page strings for ``lang``; unknown languages and missing keys fall back to en."""
    code = normalize_lang(lang)
    merged = dict(STRINGS[DEFAULT_LANG])
    if code != DEFAULT_LANG:
        merged.update(STRINGS[code])
    return merged

"""``Links``: every URL the gateway hands out, built in one place from the public URL.

The services ask for URLs through the ``services.ports.Links`` port; the payment page and
the API adapters use the same object, so a page name or a path changes here only.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from ecomgate.domain.order import Order

PAGE_PATH = "/payment/merchants/{page}/{prefix}payment_{lang}.html"
FINISH_3DS_PATH = "/payment/rest/finish3ds.do"
#: the 3-D Secure 2 notification URL: the ACS posts the CRes here (a page route)
FINISH_3DS2_PATH = "/payment/rest/finish3dsVer2.do"


def page_prefix(page_view: str) -> str:
    """The file-name prefix of a ``pageView`` (spec §3.1): DESKTOP none, MOBILE
    ``mobile_``, any other view its own name."""
    view = page_view.upper()
    if view == "DESKTOP":
        return ""
    if view == "MOBILE":
        return "mobile_"
    return f"{page_view}_"


def page_path(page: str, page_view: str, language: str, order_id: str) -> str:
    path = PAGE_PATH.format(page=page, prefix=page_prefix(page_view), lang=language)
    return f"{path}?mdOrder={order_id}"


class WebLinks:
    def __init__(self, public_url: str) -> None:
        self.public_url = public_url.rstrip("/")

    def form_url(self, order: Order, page: str) -> str:
        """Spec §3.1: {public_url}/payment/merchants/{page}/payment_{lang}.html?mdOrder=..."""
        return self.public_url + page_path(page, order.page_view, order.language, order.id)

    def term_url(self, language: str) -> str:
        return f"{self.public_url}{FINISH_3DS_PATH}?lang={language}"

    def three_ds2_return_url(self, language: str, order_id: str) -> str:
        return f"{self.public_url}{FINISH_3DS2_PATH}?lang={language}&mdOrder={order_id}"

    def return_url(self, order: Order, *, success: bool) -> str:
        """Spec §2.6: returnUrl or failUrl (falls back to returnUrl) + orderId and lang."""
        base = order.return_url if success or not order.fail_url else order.fail_url
        parts = urlsplit(base)
        added = f"orderId={order.id}&lang={order.language}"
        kept = parts.query.rstrip("&")
        query = f"{kept}&{added}" if kept else added
        # rebuilt rather than appended, so a #fragment stays last and the shop gets orderId
        return urlunsplit(parts._replace(query=query))

    @property
    def acs_base(self) -> str:
        return self.public_url

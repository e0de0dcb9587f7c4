"""The back office's HTTP side in process: cookies, bad input as pages (never a 500),
redirects that stay on the dashboard, refusals with the API's own messages."""

from __future__ import annotations

import html
import re
import secrets

import httpx
import pytest
from starlette.applications import Starlette

from ecomgate.services import dashboard_users
from ecomgate.services.context import Services
from ecomgate.web.api.messages import message
from ecomgate.web.dashboard import i18n

from ..api.paying import pay
from ..support import Api, MerchantCredentials
from .conftest import PUBLIC_URL

PASSWORD = "dashboard-pass-1"
EN = i18n.EN
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def user_of(services: Services, merchant: MerchantCredentials, role: str = "manager") -> str:
    email = f"{role}-{secrets.token_hex(4)}@shop.test"
    await dashboard_users.add_merchant_user(
        services, merchant.login, email=email, password=PASSWORD, role=role
    )
    return email


async def signed_in(http: httpx.AsyncClient, email: str, next_path: str = "") -> httpx.Response:
    form = await http.get("/dashboard/login")
    token = _CSRF.search(form.text)
    assert token is not None
    return await http.post(
        "/dashboard/login",
        data={"csrf": token.group(1), "email": email, "password": PASSWORD, "next": next_path},
    )


def csrf_in(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None
    return found.group(1)


def problem_in(page: httpx.Response) -> str:
    found = re.search(r'id="problem">(.*?)</p>', page.text, re.S)
    assert found is not None, page.text[:500]
    return html.unescape(found.group(1))


async def paid_order(api: Api) -> str:
    registered = await api.register(amount=2000)
    paid = await pay(api, registered["orderId"], "4444555511113333")
    assert paid["errorCode"] == "0", paid
    return str(registered["orderId"])


async def test_the_session_cookie_is_http_only_same_site_and_secure_over_https(
    app: Starlette, services: Services, merchant: MerchantCredentials
) -> None:
    email = await user_of(services, merchant)
    for base, secure in ((PUBLIC_URL, False), (PUBLIC_URL.replace("http:", "https:"), True)):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base) as http:
            answer = await signed_in(http, email)
        assert answer.status_code == 303
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("ecomgate_dashboard=")
        )
        attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
        assert {"httponly", "path", "samesite", "max-age"} <= attributes
        assert "samesite=lax" in cookie.lower() and "path=/dashboard" in cookie.lower()
        assert ("secure" in attributes) is secure


async def test_a_visitor_without_a_session_is_sent_to_sign_in_and_back_but_never_away(
    http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials
) -> None:
    anonymous = await http.get("/dashboard/orders?last4=1111")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/dashboard/login?next=/dashboard/orders"
    email = await user_of(services, merchant)
    back = await signed_in(http, email, "/dashboard/overview")
    assert back.headers["location"] == "/dashboard/overview"
    away = await signed_in(http, email, "https://evil.example/")
    assert away.headers["location"] == "/dashboard"


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("status=9", "bad_status"),
        ("status=paid", "bad_status"),
        ("from=yesterday", "bad_date"),
        ("to=2026-13-01", "bad_date"),
        ("amountMin=abc", "bad_amount"),
        ("amountMax=1.234", "bad_amount"),
        ("last4=12", "bad_last4"),
        ("last4=abcd", "bad_last4"),
    ],
)
async def test_a_bad_filter_is_a_page_naming_it_not_an_error(
    http: httpx.AsyncClient,
    services: Services,
    merchant: MerchantCredentials,
    query: str,
    key: str,
) -> None:
    await signed_in(http, await user_of(services, merchant, "viewer"))
    for path in ("/dashboard/orders", "/dashboard/orders.csv"):
        answer = await http.get(f"{path}?{query}")
        assert answer.status_code == 400
        assert problem_in(answer) == EN[key]


async def test_an_order_id_that_is_no_order_is_not_found(
    http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials, api: Api
) -> None:
    await signed_in(http, await user_of(services, merchant))
    order_id = await paid_order(api)
    for path in (
        "/dashboard/orders/not-a-uuid",
        "/dashboard/orders/00000000-0000-7000-8000-000000000000",
        f"/dashboard/orders/{order_id}/explode",
    ):
        answer = await http.get(path)
        assert answer.status_code == 404
        assert problem_in(answer) == EN["not_found"]


async def test_a_refund_beyond_what_was_paid_is_refused_with_the_apis_message(
    http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials, api: Api
) -> None:
    await signed_in(http, await user_of(services, merchant))
    order_id = await paid_order(api)
    page = await http.get(f"/dashboard/orders/{order_id}")
    refused = await http.post(
        f"/dashboard/orders/{order_id}/refund", data={"csrf": csrf_in(page), "amount": "25.00"}
    )
    assert refused.status_code == 400
    assert problem_in(refused) == message(
        "refund_exceeds_deposit", "en", amount=2500, deposited=2000
    )
    declined = await http.post(
        f"/dashboard/orders/{order_id}/decline", data={"csrf": csrf_in(page)}
    )
    assert declined.status_code == 400  # a paid order cannot be declined, as in decline.do
    assert (await api.status(order_id))["orderStatus"] == 2


async def test_a_callback_with_nowhere_to_go_is_refused_with_the_reason(
    http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials, api: Api
) -> None:
    await signed_in(http, await user_of(services, merchant))
    order_id = await paid_order(api)
    page = await http.get(f"/dashboard/orders/{order_id}")
    event_id = re.search(r"/dashboard/callbacks/([0-9a-f-]+)/resend", page.text)
    assert event_id is not None
    answer = await http.post(
        f"/dashboard/callbacks/{event_id.group(1)}/resend", data={"csrf": csrf_in(page)}
    )
    assert answer.status_code == 400
    assert problem_in(answer).startswith(f"Callback [{event_id.group(1)}] cannot be sent:")


async def test_the_api_token_is_shown_once_and_works_until_revoked(
    http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials
) -> None:
    await signed_in(http, await user_of(services, merchant))
    settings = await http.get("/dashboard/settings")
    issued = await http.post("/dashboard/settings/token", data={"csrf": csrf_in(settings)})
    token = re.search(r"shown this once: ([A-Za-z0-9_-]+)", issued.text)
    assert token is not None
    assert token.group(1) not in (await http.get("/dashboard/settings")).text
    by_token = Api(http)
    registered = await by_token.call(
        "register", token=token.group(1), amount=100, returnUrl="https://shop.example/ok"
    )
    assert "orderId" in registered
    revoked = await http.post("/dashboard/settings/token/revoke", data={"csrf": csrf_in(settings)})
    assert EN["token_revoked"] in revoked.text
    assert EN["token_unset"] in revoked.text


async def test_the_certificate_downloads_as_pem(
    http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials
) -> None:
    await signed_in(http, await user_of(services, merchant, "viewer"))
    answer = await http.get("/dashboard/settings/certificate.pem")
    assert answer.status_code == 200
    assert answer.text.startswith("-----BEGIN CERTIFICATE-----")
    assert "attachment" in answer.headers["content-disposition"]


async def test_a_merchant_user_cannot_open_the_operator_console(
    http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials
) -> None:
    await signed_in(http, await user_of(services, merchant))
    for path in ("/dashboard/console", "/dashboard/console/audit"):
        answer = await http.get(path)
        assert answer.status_code == 403
        assert problem_in(answer) == EN["forbidden"]


async def test_a_manager_captures_part_of_a_hold_as_deposit_do_would(
    http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials, api: Api
) -> None:
    await signed_in(http, await user_of(services, merchant))
    held = await api.call("registerPreAuth", amount=2000, returnUrl="https://shop.example/ok")
    order_id = held["orderId"]
    assert (await pay(api, order_id, "4444555511113333"))["errorCode"] == "0"
    page = await http.get(f"/dashboard/orders/{order_id}")
    assert 'id="action-capture"' in page.text and 'id="amount-reverse"' in page.text
    confirm = await http.get(f"/dashboard/orders/{order_id}/capture?amount=12.00")
    assert "Capture 12.00\u00a0₽ on order" in html.unescape(confirm.text)
    done = await http.post(
        f"/dashboard/orders/{order_id}/capture", data={"csrf": csrf_in(page), "amount": "12.00"}
    )
    assert done.headers["location"] == f"/dashboard/orders/{order_id}?done=capture"
    status = await api.status(order_id)
    assert status["orderStatus"] == 2
    assert status["paymentAmountInfo"]["depositedAmount"] == 1200


async def test_an_operator_disables_a_merchant_user_whose_session_ends_at_once(
    app: Starlette, http: httpx.AsyncClient, services: Services, merchant: MerchantCredentials
) -> None:
    viewer = await user_of(services, merchant, "viewer")
    operator = f"op-{secrets.token_hex(4)}@gateway.test"
    await dashboard_users.add_operator(services, email=operator, password=PASSWORD)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as viewer_http:
        await signed_in(viewer_http, viewer)
        assert (await viewer_http.get("/dashboard/orders")).status_code == 200

        await signed_in(http, operator)
        page = await http.get(f"/dashboard/console/merchants/{merchant.login}")
        assert viewer in page.text
        done = await http.post(
            f"/dashboard/console/merchants/{merchant.login}/users/disabled",
            data={"csrf": csrf_in(page), "email": viewer, "disabled": "true"},
        )
        assert done.status_code == 200 and EN["disabled"] in done.text
        assert (await viewer_http.get("/dashboard/orders")).status_code == 303

        # a user of another merchant cannot be reached through this merchant's page
        stranger = await http.post(
            f"/dashboard/console/merchants/{merchant.login}/users/disabled",
            data={"csrf": csrf_in(page), "email": operator, "disabled": "true"},
        )
        assert stranger.status_code == 400
        assert problem_in(stranger) == message("unknown_dashboard_user", "en", email=operator)

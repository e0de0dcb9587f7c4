"""A shop's own test suite, written as a shop writes one: the EcomGate pytest plugin's
fixtures and nothing of EcomGate's insides (an import-linter contract keeps it so)."""

from __future__ import annotations

from ecomgate.testing.pytest_plugin import SandboxGateway, SandboxMerchant

from .shop import Shop

SECRET = "shop-callback-secret"


def shop_for(merchant: SandboxMerchant, secret: str = "") -> Shop:
    return Shop(f"{merchant.base_url}/payment/rest", merchant.credentials, secret)


def test_a_paid_order_is_confirmed_by_its_signed_callback(ecomgate_gateway: SandboxGateway) -> None:
    merchant = ecomgate_gateway.new_merchant(callback_secret=SECRET)
    shop = shop_for(merchant, SECRET)
    order_id = shop.checkout(2000)

    merchant.pay(order_id)  # the buyer pays, 3-D Secure answered

    callback = merchant.wait_for_callback("deposited", order_id)
    assert shop.on_callback(callback.params)
    assert order_id in shop.paid
    assert shop.status(order_id)["orderStatus"] == 2
    [logged] = merchant.delivery_log(order_id)
    assert (logged["state"], logged["deliveries"][0]["httpStatus"]) == ("delivered", 200)


def test_a_forged_callback_is_refused(ecomgate_merchant: SandboxMerchant) -> None:
    shop = shop_for(ecomgate_merchant, SECRET)
    order_id = shop.checkout(2000)
    forged = {"mdOrder": order_id, "operation": "deposited", "status": "1", "checksum": "00"}
    assert not shop.on_callback(forged)
    assert order_id not in shop.paid


def test_an_unpaid_order_expires_when_its_merchants_clock_moves(
    ecomgate_gateway: SandboxGateway,
) -> None:
    mine = ecomgate_gateway.new_merchant()
    theirs = ecomgate_gateway.new_merchant()
    my_shop = shop_for(mine)
    their_shop = shop_for(theirs)
    my_order = my_shop.checkout(1500, lifetime=1200)
    their_order = their_shop.checkout(1500, lifetime=1200)

    mine.advance_clock(1200)  # twenty minutes, at once

    assert mine.wait_for_callback("declinedByTimeout", my_order)
    expired = my_shop.status(my_order)
    assert (expired["orderStatus"], expired["actionCode"]) == (6, -2007)
    assert their_shop.status(their_order)["orderStatus"] == 0  # another merchant's time
    assert theirs.callbacks == []


def test_a_refund_that_times_out_is_settled_later_by_the_reconciler(
    ecomgate_merchant: SandboxMerchant,
) -> None:
    shop = shop_for(ecomgate_merchant)
    order_id = shop.checkout(3000)
    ecomgate_merchant.pay(order_id, "4563960122001999", cvc="347")
    ecomgate_merchant.chaos(acquirerTimeout=True)

    answer = shop.refund(order_id, 1000)

    assert answer["errorCode"] == "7"  # the processing did not answer: unknown, not done
    assert shop.status(order_id)["paymentAmountInfo"]["refundedAmount"] == 0
    ecomgate_merchant.clear_chaos()
    ecomgate_merchant.advance_clock(120)  # past the reconciler's first look
    settled = shop.status(order_id)
    assert (settled["orderStatus"], settled["paymentAmountInfo"]["refundedAmount"]) == (4, 1000)
    assert ecomgate_merchant.wait_for_callback("refunded", order_id).params["status"] == "1"


def test_a_decline_on_demand(ecomgate_merchant: SandboxMerchant) -> None:
    shop = shop_for(ecomgate_merchant)
    ecomgate_merchant.chaos(actionCode=116)  # "insufficient funds", once
    order_id = shop.checkout(2000)
    ecomgate_merchant.pay(order_id, "4563960122001999", cvc="347")
    declined = shop.status(order_id)
    assert (declined["orderStatus"], declined["actionCode"]) == (6, 116)

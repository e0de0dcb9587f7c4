"""Callbacks to the shop (spec §4): what to send, how to sign it, and its delivery.

The vocabulary (operations, optional parameters, the check of the settings, the order's
facts taken with each event) is in ``domain/callbacks.py``.

- ``signing.py``: the checksum (HMAC-SHA256) and the signature (SHA512withRSA).
- ``requests.py``: an outbox event + the merchant's settings -> the HTTP request to make.
- ``destinations.py``: where a callback may go (https only, no private addresses).
- ``dispatcher.py``: claims due events, sends them, logs every attempt, retries.
- ``admin.py``: the delivery log and resend, for the CLI and the sandbox API.
- ``listen.py``: ``ecomgate listen``, forwarding a merchant's callbacks to a laptop.
"""

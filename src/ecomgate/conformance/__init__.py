"""``ecomgate conformance``: the API contract of the eCommerce API v1 family as a scripted
set of HTTP checks, run against any gateway of the family (EcomGate, a bank's test host).

Speaks only HTTP (httpx + the standard library + ``ecomgate.callbacks``): it must run
against a bank, so it knows nothing of the gateway's domain, services or storage.

- ``probe``: the HTTP client for the target (credentials, transport forms, the exchanges
  made) and the callback listener;
- ``rules``: the rules, each a coroutine over a ``Probe``;
- ``runner``: runs rules in order, reporting progress;
- ``report``: the text report and JUnit XML;
- ``cli``: the ``ecomgate conformance`` command.
"""

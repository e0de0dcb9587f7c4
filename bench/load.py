"""wrk runs and what they measured.  One wrk thread (``-t1``) so the load generator takes
one core at most; every script reports through its ``done()`` hook, in one line, the
exact request count, duration, percentiles (``--latency``) and the API errors it saw
(an error of this API is HTTP 200 with a non-"0" ``errorCode``: wrk alone cannot see it)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: shared by every script: the API-error count and the summary line
_COMMON = r"""
local threads = {}
api_errors = 0
completed = 0

function setup(thread)
  table.insert(threads, thread)
end

function count_error(body)
  local code = string.match(body, '"errorCode":%s*"([^"]*)"')
  if code ~= nil and code ~= "0" then api_errors = api_errors + 1 end
end

function done(summary, latency, requests)
  local errors, finished = 0, 0
  for _, thread in ipairs(threads) do
    errors = errors + (thread:get("api_errors") or 0)
    finished = finished + (thread:get("completed") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d status_errors=%d" ..
    " socket_errors=%d api_errors=%d completed=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.status, e.connect + e.read + e.write + e.timeout, errors, finished))
end
"""

_FORM = 'local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}\n'

#: the same body on every request
STATIC_POST = (
    _FORM
    + r"""
local body = "{body}"
function request() return wrk.format("POST", nil, headers, body) end
function response(status, headers, body) count_error(body) end
"""
)

#: a body prefix and the next id of a file, round-robin: each request reads another order
CYCLE_POST = (
    _FORM
    + r"""
local prefix = "{prefix}"
local ids = {}
for line in io.lines("{ids}") do ids[#ids + 1] = line end
local i = 0
function request()
  i = i % #ids + 1
  return wrk.format("POST", nil, headers, prefix .. ids[i])
end
function response(status, headers, body) count_error(body) end
"""
)

#: GET of a path + the next id (the hosted payment page of one unpaid order after another)
CYCLE_GET = r"""
local path = "{path}"
local ids = {}
for line in io.lines("{ids}") do ids[#ids + 1] = line end
local i = 0
function request()
  i = i % #ids + 1
  return wrk.format("GET", path .. ids[i])
end
function response(status, headers, body)
  if status ~= 200 then api_errors = api_errors + 1 end
end
"""

#: a full paid order per iteration: register.do, then paymentorder.do for the id its
#: answer names, then getOrderStatusExtended.do for the id the payment's redirect names;
#: an order counts as completed when its status answer says 2 (deposited).  Answers come
#: back in any order over the 64 connections, so the next request is chosen from queues
#: the answers fill: a status to ask first, then a payment, else a new order.
FULL_ORDER = (
    _FORM
    + r"""
local auth = "{auth}"
local register_path, pay_path, status_path = "{register}", "{pay}", "{status}"
local register_body = auth .. "&amount=2000&currency=643&returnUrl=https%3A%2F%2Fshop.example%2Fok"
local pay_body = auth .. "&$PAN=4563960122001999&$CVC=347&YYYY=2030&MM=12&TEXT=BENCH&mdOrder="
local to_pay, to_check = {}, {}
function request()
  local id = table.remove(to_check)
  if id then return wrk.format("POST", status_path, headers, auth .. "&orderId=" .. id) end
  id = table.remove(to_pay)
  if id then return wrk.format("POST", pay_path, headers, pay_body .. id) end
  return wrk.format("POST", register_path, headers, register_body)
end
function response(status, headers, body)
  count_error(body)
  if string.find(body, '"formUrl"', 1, true) then
    table.insert(to_pay, string.match(body, '"orderId":%s*"([^"]+)"'))
  elseif string.find(body, '"redirect"', 1, true) then
    local id = string.match(body, "orderId=([%w%-]+)")
    if id then table.insert(to_check, id) end
  elseif string.find(body, '"orderStatus":%s*2[,}]') then
    completed = completed + 1
  end
end
"""
)


@dataclass(frozen=True)
class Measured:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    #: non-2xx answers, socket errors, API errors (errorCode other than "0")
    status_errors: int
    socket_errors: int
    api_errors: int
    #: full orders completed (the full-order script only)
    completed: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        return self.status_errors + self.socket_errors + self.api_errors


_LINE = re.compile(r"^BENCH (.*)$", re.M)


def run(url: str, script: str, seconds: int, connections: int) -> Measured:
    """``wrk -t1 -c{connections} -d{seconds}s --latency -s script url``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script + _COMMON)
    try:
        done = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", file.name,
             "--timeout", "5s", url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        Path(file.name).unlink()
    match = _LINE.search(done.stdout)
    if match is None:
        raise RuntimeError(f"wrk said nothing measurable:\n{done.stdout}\n{done.stderr}")
    v = {k: int(n) for k, n in (kv.split("=") for kv in match.group(1).split())}
    return Measured(
        requests=v["requests"],
        seconds=v["duration_us"] / 1e6,
        p50_ms=v["p50_us"] / 1000,
        p99_ms=v["p99_us"] / 1000,
        max_ms=v["max_us"] / 1000,
        status_errors=v["status_errors"],
        socket_errors=v["socket_errors"],
        api_errors=v["api_errors"],
        completed=v["completed"],
    )


def lua_string(text: str) -> str:
    """``text`` inside a double-quoted Lua string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')

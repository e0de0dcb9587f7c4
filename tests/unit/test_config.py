"""Settings that would defeat the reconciler are refused at start-up, with the reason."""

from __future__ import annotations

import pytest

from ecomgate import config


def test_the_defaults_bound_every_acquirer_call_and_reconcile_unknown_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("TIMEOUT", "AFTER", "DEADLINE"):
        monkeypatch.delenv(f"ECOMGATE_ACQUIRER_{name}_MS", raising=False)
        monkeypatch.delenv(f"ECOMGATE_RECONCILE_{name}_MS", raising=False)
    policy = config.from_env().policy()
    assert (policy.acquirer_timeout_ms, policy.reconcile_after_ms) == (30_000, 60_000)
    assert policy.reconcile_deadline_ms == 900_000
    assert policy.timezone == "Europe/Moscow"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"ECOMGATE_ACQUIRER_TIMEOUT_MS": "0"}, "ECOMGATE_ACQUIRER_TIMEOUT_MS must be positive"),
        ({"ECOMGATE_RECONCILE_AFTER_MS": "-1"}, "must not be negative"),
        (
            {"ECOMGATE_RECONCILE_AFTER_MS": "60000", "ECOMGATE_RECONCILE_DEADLINE_MS": "60000"},
            "must be longer than the first look",
        ),
    ],
)
def test_settings_that_defeat_the_reconciler_are_refused(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=says):
        config.from_env()


def test_clocks_and_chaos_exist_only_in_the_sandbox_over_the_emulator() -> None:
    from ecomgate.config import Settings

    assert Settings(sandbox=True, acquirer="emulator").sandbox_faults
    assert not Settings(sandbox=True, acquirer="bank-connector").sandbox_faults
    assert not Settings(sandbox=False, acquirer="emulator").sandbox_faults


def test_the_three_ds_protocol_defaults_to_3ds2_and_takes_3ds1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ECOMGATE_THREE_DS_PROTOCOL", raising=False)
    assert config.from_env().policy().three_ds_protocol == "3ds2"
    monkeypatch.setenv("ECOMGATE_THREE_DS_PROTOCOL", "3DS1")
    assert config.from_env().policy().three_ds_protocol == "3ds1"
    monkeypatch.setenv("ECOMGATE_THREE_DS_PROTOCOL", "3ds3")
    with pytest.raises(ValueError, match="ECOMGATE_THREE_DS_PROTOCOL must be one of 3ds1, 3ds2"):
        config.from_env()

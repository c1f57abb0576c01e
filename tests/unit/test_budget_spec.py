"""Budget definitions: scopes, periods and time zones, thresholds, conduit.toml, downgrade needs."""

from __future__ import annotations

import datetime as _dt
import json
from decimal import Decimal

import pytest

from conduit.budget import Budget, Charge, toml_budgets
from conduit.budget.config import budget_settings, merge
from conduit.budget.downgrade import cheaper_plans, meets, needs_of
from conduit.budget.spec import normalize_scope, parse_alerts, to_nano, to_nano_ceiling
from conduit.catalog import lookup_model
from conduit.errors import ConfigurationError
from conduit.meter import Payload, meter_for


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("global", "global"),
        ("GLOBAL", "global"),
        ("project:acme", "project:acme"),
        ("User:ana", "user:ana"),
        ("session: s1 ", "session:s1"),
        ("model:gpt-4o*", "model:gpt-4o*"),
        ("tool:github/create_issue", "tool:github/create_issue"),
    ],
)
def test_scopes_are_normalised(raw: str, canonical: str) -> None:
    assert normalize_scope(raw) == canonical


@pytest.mark.parametrize("bad", ["", "team:x", "user:", "tool:github", "projectacme"])
def test_bad_scopes_are_refused_with_a_hint(bad: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        normalize_scope(bad)
    assert caught.value.hint


def test_budget_validation() -> None:
    budget = Budget("global", "$2.50", period="month", alerts="80, 50,100%")
    assert budget.limit == Decimal("2.50") and budget.alerts == (50, 80, 100) and budget.key == "global@month"
    for kwargs in ({"limit": "-1"}, {"limit": "abc"}, {"limit": 1, "period": "week"}, {"limit": 1, "action": "stop"},
                   {"limit": 1, "timezone": "Mars/Olympus"}, {"limit": 1, "alerts": "0"}):
        with pytest.raises(ConfigurationError):
            Budget("global", **kwargs)  # type: ignore[arg-type]
    assert parse_alerts(None) == (50, 80, 100)


def test_money_rounding_keeps_reservations_an_upper_bound() -> None:
    assert to_nano_ceiling(Decimal("0.0000000001")) == 1
    assert to_nano(Decimal("0.0000000001")) == 0
    assert to_nano_ceiling(Decimal("1.5")) == to_nano(Decimal("1.5")) == 1_500_000_000


def test_day_and_month_windows_follow_the_time_zone() -> None:
    moment = _dt.datetime(2026, 3, 31, 23, 30, tzinfo=_dt.timezone.utc).timestamp()
    utc_day = Budget("global", 1, period="day").window(moment)
    paris_day = Budget("global", 1, period="day", timezone="Europe/Paris").window(moment)
    assert utc_day.key == "2026-03-31" and paris_day.key == "2026-04-01"
    assert paris_day.end is not None and paris_day.start is not None
    assert paris_day.end - paris_day.start == 86400
    month = Budget("global", 1, period="month", timezone="Europe/Paris").window(moment)
    assert month.key == "2026-04"
    december = Budget("global", 1, period="month").window(_dt.datetime(2026, 12, 15, tzinfo=_dt.timezone.utc).timestamp())
    assert december.key == "2026-12" and december.end == _dt.datetime(2027, 1, 1, tzinfo=_dt.timezone.utc).timestamp()
    # a DST day in Paris is 23 hours long
    dst = Budget("global", 1, period="day", timezone="Europe/Paris").window(
        _dt.datetime(2026, 3, 29, 12, tzinfo=_dt.timezone.utc).timestamp()
    )
    assert dst.end is not None and dst.start is not None and dst.end - dst.start == 23 * 3600
    assert Budget("global", 1).window(moment).key == "total"


def test_which_budgets_apply() -> None:
    charge = Charge(project="acme", user="ana", session="s1", model="gpt-4o-2024-08-06")
    assert Budget("global", 1).applies_to(charge)
    assert Budget("project:acme", 1).applies_to(charge) and not Budget("project:other", 1).applies_to(charge)
    assert Budget("user:ana", 1).applies_to(charge) and Budget("session:s1", 1).applies_to(charge)
    assert Budget("model:gpt-4o", 1).applies_to(charge) and Budget("model:gpt-4o*", 1).applies_to(charge)
    assert not Budget("model:gpt-4o-mini", 1).applies_to(charge)
    assert not Budget("tool:github/*", 1).applies_to(charge)
    assert Budget("tool:github/*", 1).applies_to(Charge(tool="github/create_issue"))


def test_budgets_from_conduit_toml() -> None:
    section = {
        "timezone": "Europe/Paris",
        "webhook": "https://example.com/hook",
        "reservation_ttl": 120,
        "global": {"limit": 20, "period": "month"},
        "user:ana": {"limit": "1.50", "period": "day", "action": "downgrade", "alerts": [90]},
        "limits": [{"scope": "global", "limit": 2, "period": "day", "timezone": "UTC"}],
    }
    budgets = {b.key: b for b in toml_budgets(section)}
    assert set(budgets) == {"global@month", "user:ana@day", "global@day"}
    assert budgets["global@month"].timezone == "Europe/Paris" and budgets["global@day"].timezone == "UTC"
    assert budgets["user:ana@day"].alerts == (90,) and budgets["user:ana@day"].action == "downgrade"
    assert all(b.source == "conduit.toml" and b.webhook == "https://example.com/hook" for b in budgets.values())
    assert budget_settings(section).reservation_ttl == 120.0


@pytest.mark.parametrize(
    "section",
    [
        {"global": {"period": "day"}},  # no limit
        {"global": {"limit": 1, "colour": "red"}},  # unknown key
        {"whatever": 3},  # neither a budget table nor a setting
        {"reservation_ttl": -1},
        {"webhook": "ftp://x"},
        {"limits": [{"limit": 1}]},  # no scope
    ],
)
def test_bad_toml_budgets_are_refused(section: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        toml_budgets(section)


def test_merge_precedence() -> None:
    stored = [Budget("global", 1, source="database")]
    from_toml = [Budget("global", 2, source="conduit.toml"), Budget("user:a", 3, source="conduit.toml")]
    python = [Budget("global", 4)]
    merged = merge(stored, from_toml, python)
    assert merged["global@total"].limit == 4 and merged["user:a@total"].limit == 3


def _payload(body: dict[str, object]) -> Payload:
    return Payload.parse(json.dumps(body).encode(), "application/json")


def test_needs_are_read_from_the_request() -> None:
    body = {
        "model": "gpt-5.4",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                                   {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
        "stream": True,
        "max_completion_tokens": 1000,
    }
    needs = needs_of(_payload(body), None)
    assert needs.inputs == {"text", "image"} and needs.tools and needs.structured and needs.streaming
    assert needs.context_tokens == 1000
    text_only = lookup_model("gpt-3.5-turbo")
    assert text_only is not None and not meets(text_only, needs)


def test_cheaper_plans_keep_the_needs_and_the_token_parameter() -> None:
    body = {"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 5000,
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}
    payload = _payload(body)
    meter = meter_for("POST", "/v1/chat/completions")
    estimate = meter.estimate(payload, "gpt-5.4")
    plans = cheaper_plans("chat.completions", meter, payload, "gpt-5.4", estimate)
    assert plans, "some catalog model is cheaper than gpt-5.4"
    assert [p.estimate.usd for p in plans] == sorted(p.estimate.usd for p in plans)
    assert all(p.estimate.usd is not None and estimate.usd is not None and p.estimate.usd < estimate.usd for p in plans)
    for plan in plans:
        spec = lookup_model(plan.model)
        assert spec is not None and spec.features.tools and spec.status() == "active"
        assert plan.body["tools"] == body["tools"]
        assert plan.body.get(spec.rules.token_limit_param) is not None
    # endpoints we cannot re-plan get no plans
    assert cheaper_plans("images.generations", meter, payload, "gpt-5.4", estimate) == []

"""The money of each resolution: the order's profit, the largest fair partial refund, and
what a resend, a return or a refund would leave of the order.

The seed rule: a refund within the order's profit keeps the buyer and costs nothing that
was not earned; anything above it is a loss. When the goods' cost is not known the money
is left empty with a note, never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .content import Content, load_content


def _number(value: Any) -> float | None:
    """A finite float, or None for missing / unreadable values (NaN, NA, '', 'abc')."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = (
            float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
        )
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Money:
    """An order's money, in its own currency."""

    currency: str | None
    order_value: float | None
    cost: float | None
    shipping_cost: float | None

    @property
    def known(self) -> bool:
        """Whether profit can be computed (value and goods' cost known)."""
        return self.order_value is not None and self.cost is not None

    @property
    def profit(self) -> float | None:
        """What the order earns: value − goods' cost − shipping (unknown shipping counts 0)."""
        if not self.known:
            return None
        return round(self.order_value - self.cost - (self.shipping_cost or 0.0), 2)

    @property
    def max_partial_refund(self) -> float | None:
        """The largest partial refund that stays within the profit (0 when there is none)."""
        profit = self.profit
        return None if profit is None else max(profit, 0.0)

    @classmethod
    def of(cls, order: Mapping[str, Any] | None) -> Money:
        """From an order row: a dict, a pandas Series (``orders.iloc[i]``) or None."""
        if order is None:
            order = {}
        elif hasattr(order, "to_dict"):
            order = order.to_dict()
        currency = order.get("currency")
        return cls(
            currency=currency if isinstance(currency, str) and currency else None,
            order_value=_number(order.get("order_value")),
            cost=_number(order.get("cost")),
            shipping_cost=_number(order.get("shipping_cost")),
        )


@dataclass(frozen=True)
class Option:
    """One resolution with its money: what goes back to the buyer, what it newly costs,
    and what is left of the order's profit afterwards (negative: a loss)."""

    resolution: str
    label: str
    template: str
    refund: float | None = None
    extra_cost: float | None = None
    net: float | None = None
    details: dict[str, float] = field(default_factory=dict)


def price_options(
    resolutions: list[str],
    money: Money,
    *,
    lang: str = "en",
    content: Content | None = None,
) -> list[Option]:
    """Attach the money to each resolution id, keeping their order."""
    content = content or load_content()
    plan, labels = content.resolutions, content.labels("resolutions", lang)
    rules = plan.money
    profit = money.profit
    shipping = money.shipping_cost or 0.0
    options = []
    for resolution in resolutions:
        refund = extra = net = None
        details: dict[str, float] = {}
        if money.known:
            value, cost = money.order_value, money.cost
            if resolution == "resend":
                refund, extra = 0.0, cost + shipping
            elif resolution == "return_or_exchange":
                # the goods come back and can be sold again; both postages are lost
                refund, extra = value, rules.return_shipping_factor * shipping
                details["goods_back"] = cost
            elif resolution == "partial_refund":
                limit = money.max_partial_refund or 0.0
                refund, extra = round(limit * rules.suggest_share, 2), 0.0
                details["max_partial_refund"] = limit
            elif resolution == "full_refund":
                refund, extra = value, 0.0
            else:  # apology_coupon, escalate_to_platform: no money moves now
                refund, extra = 0.0, 0.0
            net = round(profit - refund - extra + details.get("goods_back", 0.0), 2)
            refund, extra = round(refund, 2), round(extra, 2)
        options.append(
            Option(
                resolution=resolution,
                label=labels[resolution],
                template=plan.templates[resolution],
                refund=refund,
                extra_cost=extra,
                net=net,
                details=details,
            )
        )
    return options

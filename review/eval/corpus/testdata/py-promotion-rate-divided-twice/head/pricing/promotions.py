from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


class PromotionError(Exception):
    """A promotion code that cannot be applied to the order."""


@dataclass(frozen=True)
class Promotion:
    code: str
    percent: int
    expires_on: date
    minimum_spend: Decimal = Decimal(0)
    max_discount: Decimal | None = None
    excluded_skus: frozenset[str] = frozenset()


def apply_promotion(order, promo: Promotion, today: date) -> Decimal:
    """Return the order's total after the promotion, rounded to the cent."""
    if promo.expires_on < today:
        raise PromotionError(f"{promo.code} expired on {promo.expires_on}")
    rate = Decimal(promo.percent) / 100

    eligible = [line for line in order.lines if line.sku not in promo.excluded_skus]
    subtotal = sum((line.unit_price * line.quantity for line in eligible), Decimal(0))
    if subtotal < promo.minimum_spend:
        return order.total

    cap = promo.max_discount if promo.max_discount is not None else subtotal
    # Loyalty members get their bonus on top of the promotion, in percent
    # as the loyalty service reports it.
    bonus = Decimal(order.customer.loyalty_bonus_percent or 0)
    discount = min(subtotal * (rate + bonus) / 100, cap)
    return (order.total - discount).quantize(CENT, rounding=ROUND_HALF_UP)

"""Billing helpers for the invoice service."""

import decimal
import logging

log = logging.getLogger(__name__)


class Invoice:
    """An invoice with lines and a currency."""

    def __init__(self, currency):
        self.currency = currency
        self.lines = []

    @property
    def total(self):
        return sum(line.amount for line in self.lines)

    def add(self, description, amount, quantity=1):
        """Add a line.

Amounts are decimals; quantities are whole numbers.
"""
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        amount = decimal.Decimal(amount)
        self.lines.append(Line(description, amount * quantity))
        log.debug("added %s", description)

    def discount(self, percent):
        def apply(line):
            line.amount = line.amount * (100 - percent) / 100
            return line

        self.lines = [apply(line) for line in self.lines]


class Line:
    def __init__(self, description, amount):
        self.description = description
        self.amount = amount


def legacy_total(lines):
    return sum(l.amount for l in lines)


def currency_symbol(code):
    return {"EUR": "€", "USD": "$"}.get(code, code)

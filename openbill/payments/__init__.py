"""Payments: the gateways (card, bank transfer), payments and their events, refunds and
corrections."""

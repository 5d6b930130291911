"""Billing: each client's append-only ledger (payments, charges, refunds, corrections), the
charges of services and the audit of balances."""

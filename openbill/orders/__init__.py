"""Ordering: quotes, the cart, orders paid from the balance, extending and changing services."""

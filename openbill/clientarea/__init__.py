"""The client area: the pages a provider's clients use (login, dashboard, services, orders,
finances, support, profile)."""

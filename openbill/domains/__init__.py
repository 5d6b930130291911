"""Domain names: zones and their prices, registration, transfer and renewal through a registry,
contacts, name servers."""

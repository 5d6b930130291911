"""The catalog: product types, tariff plans with their period prices, add-ons and parameters, and
instruction manuals."""

"""Metering: usage records from providers and modules, rating by reporting period, overage
charges and suspension for overuse."""

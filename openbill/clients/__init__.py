"""Providers and their clients: the accounts whose balance pays for services."""

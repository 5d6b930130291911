"""Openbill: billing and service management for hosting providers."""

__version__ = "0.1.0"

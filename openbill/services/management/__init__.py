"""Management commands of services."""

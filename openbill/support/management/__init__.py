"""Management commands of support."""

"""Template tags and filters of the client area."""

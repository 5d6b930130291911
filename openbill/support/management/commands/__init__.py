"""Management commands of support (``openbill <command>``)."""

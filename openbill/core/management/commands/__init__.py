"""Management commands of core (``openbill <command>``)."""

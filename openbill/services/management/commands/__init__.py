"""Management commands of services (``openbill <command>``)."""

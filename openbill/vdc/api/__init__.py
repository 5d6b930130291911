"""The virtual data centers API: serializers, views and routes under /api/v1/."""

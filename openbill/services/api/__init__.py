"""The services API: serializers, views and routes under /api/v1/."""

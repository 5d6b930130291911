"""The IP addresses API: serializers, views and routes under /api/v1/."""

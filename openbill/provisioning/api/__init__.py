"""The provisioning API: serializers, views and routes under /api/v1/."""

"""What every app shares: money and time rules, actors, errors, notices, idempotency, the task
worker and scheduler, and the demo."""

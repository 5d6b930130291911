"""Services: their statuses and operations, history, renewal, suspension and deletion, and the
sweeps that run them."""

"""The services' sweeps: due services, renewal, expiry, notices, the engine that runs them and
its alerts."""

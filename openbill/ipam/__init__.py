"""IP addresses: pools, the addresses of services, additional addresses and reverse names."""

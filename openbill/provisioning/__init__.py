"""Provisioning: processing modules (manual, libvirt, ACME…) and the tasks that carry out
services' operations on them."""

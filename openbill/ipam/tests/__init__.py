"""Tests of IP addresses."""

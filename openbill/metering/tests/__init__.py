"""Tests of metering."""

"""Tests of API."""

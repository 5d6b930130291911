"""Tests of client area."""

"""Tests of staff pages."""

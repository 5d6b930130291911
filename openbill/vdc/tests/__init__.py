"""Tests of virtual data centers."""

"""Tests of the school calendar's data and rules."""

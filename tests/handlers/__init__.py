"""Tests of conversations through the handlers' entry point."""

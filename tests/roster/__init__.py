"""Tests of the roster importer."""

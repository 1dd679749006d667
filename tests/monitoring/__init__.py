"""Tests of the dashboard's read model."""

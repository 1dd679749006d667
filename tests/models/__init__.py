"""Tests of the store: rows, retention, erasure, backup."""

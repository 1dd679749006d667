"""Tests of the photo pipeline."""

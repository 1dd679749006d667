"""Tests of the scheduler's jobs and leadership."""

"""Tests of the outbox: writing, claiming, sending, settling, under faults."""

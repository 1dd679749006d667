"""Benchmarks that print figures. `make bench` runs them all; each module also runs alone with
`python -m bench.<name>`. They are never part of the test run."""

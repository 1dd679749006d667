"""Tests of the assessment package: diagnostics, growth, the quarter mark, the e-journal."""

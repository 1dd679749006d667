"""Tests of the catalogues, the glossary, collation."""

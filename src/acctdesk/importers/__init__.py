"""Readers, source profiles, mapping, coercion, matching and the import pipeline (no Qt)."""

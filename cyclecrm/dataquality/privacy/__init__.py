"""Privacy rights: consent records, subject access export, erasure, retention policies."""

"""Duplicate detection (blocking + fuzzy scoring), the review queue, merge and undo."""

"""Rings over time: each scan's flagged clusters matched to the rings already known, so a water house
keeps one opaque id across scans, with its members joining and leaving, its lineage and its timeline."""

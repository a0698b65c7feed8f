"""Calculus mode: analytic objectives, descents and races on them, secants approaching tangents."""

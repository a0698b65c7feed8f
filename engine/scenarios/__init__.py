"""Scenarios: named runs that reproduce each gradient pathology, with their story and fix."""

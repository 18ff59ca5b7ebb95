"""Dialogue, policies and handoff (see issue 4)."""

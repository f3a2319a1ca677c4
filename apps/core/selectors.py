"""Reads for the signed-in home page."""

from apps.core.dashboard import sections_for


def home_dashboard(user) -> dict:
    """The "what needs me?" sections every app contributes (see apps/core/dashboard.py)."""
    return {"dashboard_sections": sections_for(user)}

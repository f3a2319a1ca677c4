"""Reads for the signed-in home page. Each later capability adds its "needs you" section here."""


def home_dashboard(user) -> dict:
    return {"dashboard_sections": []}

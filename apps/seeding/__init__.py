"""Demo seeding and the scale generator: the top floor.

Both build a whole world — organisations, people, projects, datasets, requests, milestones,
notifications — by calling every app's services, so they import every app and nothing may
import them. They used to live in `apps/core` (and in each app's `demo.py`), which put the
ground floor on top of everything; here they sit above the views and the API.
"""

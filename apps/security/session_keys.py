"""Keys of what Stratum keeps in a signed-in person's session. Written when the session starts
(`services.user_session_start`) and read on every request (`middleware`), so they live below
both."""

SESSION_STARTED_KEY = "_stratum_started_at"
SESSION_SEEN_KEY = "_stratum_seen_at"
SESSION_ROW_KEY = "_stratum_session_id"
SESSION_ROW_CHECKED_KEY = "_stratum_session_checked_at"

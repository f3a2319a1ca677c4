"""Stratum's one way of writing dates and times: "5 Dec 2026", "5 Dec 2026, 23:04" (24-hour).

Django's own en_GB formats write times as "11:04 p.m.", and a locale's formats win over the
DATE_FORMAT/DATETIME_FORMAT settings, so the house formats live here (FORMAT_MODULE_PATH).
Input formats are left to Django's en_GB defaults.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"

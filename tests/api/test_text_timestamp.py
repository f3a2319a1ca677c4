"""`text_timestamp` (apps.api.serializers.common): a time the database sent as UTC text,
written as DRF writes the datetime in the current zone. The fast path (an hour's local prefix
and offset worked out once) must give exactly what the datetime's own path gives."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from apps.api.serializers.common import _local_hour, text_timestamp, timestamp

# Whole-hour offsets with summer time either way round, half and quarter hours (which take
# the slow path), and UTC itself.
ZONES = [
    ZoneInfo(name)
    for name in (
        "Europe/London",
        "UTC",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Kolkata",
        "America/St_Johns",
        "Pacific/Chatham",
        "Australia/Lord_Howe",
    )
] + [UTC]


def _postgres_text(moment: datetime) -> str:
    """As PostgreSQL writes a timestamptz cast to text in a UTC session."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "+00"


def _sqlite_text(moment: datetime) -> str:
    """As apps.api.rows rewrites SQLite's stored text."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ").replace(" ", "T") + "+00:00"


def _moments() -> list[datetime]:
    chance = random.Random(20261207)
    moments = [
        datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=chance.uniform(0, 4.2e9))
        for _ in range(3000)
    ]
    moments += [moment.replace(microsecond=0) for moment in moments[:500]]
    moments += [moment.replace(microsecond=100000) for moment in moments[500:700]]
    # Every minute around this year's changes of summer time in London, New York and Sydney.
    for change in ("2026-03-29 01:00", "2026-10-25 01:00", "2026-03-08 07:00", "2026-04-04 16:00"):
        centre = datetime.fromisoformat(change).replace(tzinfo=UTC)
        moments += [centre + timedelta(minutes=minutes, seconds=7) for minutes in range(-150, 150)]
        moments += [centre - timedelta(microseconds=1), centre]
    return moments


@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_the_text_of_a_time_is_written_as_the_datetime_is(zone):
    for moment in _moments():
        expected = timestamp(moment, zone)
        assert text_timestamp(_postgres_text(moment), zone) == expected, moment
        assert text_timestamp(_sqlite_text(moment), zone) == expected, moment


def test_other_shapes_take_the_datetimes_own_path_and_none_stays_none():
    zone = ZoneInfo("Europe/London")
    assert text_timestamp(None, zone) is None
    for text in (
        "2026-07-01 10:11:12.5+01",
        "2026-07-01T10:11:12+01:00",
        "0900-01-01 00:00:00+00",  # London's mean time then: -00:01:15
        "2026-07-01T10:11:12.123456+00:00",  # SQLite's shape
    ):
        assert text_timestamp(text, zone) == timestamp(datetime.fromisoformat(text), zone)


def test_an_hour_of_one_whole_hour_offset_is_worked_out_once_and_others_are_not():
    london, kolkata = ZoneInfo("Europe/London"), ZoneInfo("Asia/Kolkata")
    assert _local_hour(london, "2026-01-01 10") == ("2026-01-01T10", "Z")
    assert _local_hour(london, "2026-07-01 23") == ("2026-07-02T00", "+01:00")
    assert _local_hour(london, "2026-03-29 01") == ("2026-03-29T02", "+01:00")
    assert _local_hour(london, "2026-03-29 00") == ("2026-03-29T00", "Z")
    assert _local_hour(kolkata, "2026-01-01 10") == ()  # +05:30: the datetime's own path
    assert text_timestamp("2026-07-01 23:59:58.25+00", london) == "2026-07-02T00:59:58.250000+01:00"

"""Row counts per scale. `l` is a national stratified-medicine network (issue 8)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    organisations: int
    people: int
    projects: int
    datasets: int
    files_per_dataset: int
    protocol_versions: int
    milestones: int
    access_requests: int
    audit_events: int
    notifications: int


SCALES = {
    "s": Scale(50, 500, 100, 1_000, 3, 500, 1_000, 2_000, 10_000, 20_000),
    "m": Scale(500, 5_000, 1_000, 10_000, 3, 5_000, 10_000, 20_000, 100_000, 200_000),
    "l": Scale(5_000, 50_000, 10_000, 100_000, 3, 50_000, 100_000, 200_000, 1_000_000, 2_000_000),
}

"""Time-ordered UUIDs (RFC 9562 version 7) for primary keys.

Random UUID4 keys scatter inserts across the whole B-tree; UUID7 keys arrive in time order, so
bulk loads of millions of rows stay fast and `ORDER BY id` roughly follows creation.
"""

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    unix_ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 68) << 64 & (0xFFF << 64)
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)

"""/healthz's watch on the logs: a ballot waiting longer than twice the promised merge delay
means the sealer is stuck or too slow, and promises already given are at risk."""

from __future__ import annotations

from django.conf import settings

from activecitizen.core.health import Health
from activecitizen.transparency.services import oldest_unsealed_age


def sealing_health() -> Health:
    age = oldest_unsealed_age()
    # Twice the delay: a seal runs every second or so, and one slow batch is not yet an outage.
    late = age > 2 * settings.TRANSPARENCY_MERGE_DELAY
    return Health(
        status="degraded" if late else "ok",
        figures={"oldest_unsealed_seconds": round(age, 3)},
    )

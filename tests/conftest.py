"""Shared pytest configuration.

Hypothesis profiles: ``ci`` (deterministic, small) and ``dev`` (default, broader).
Pick one with the HYPOTHESIS_PROFILE environment variable; ``make test`` uses ``ci``.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=25,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

"""The product's settings with the bench's URLconf (`bench.baseline`): the baseline endpoint is served only here."""

from cft.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline"

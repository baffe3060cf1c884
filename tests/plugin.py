"""Loaded with `-p tests.plugin` (pyproject.toml), before pytest-django reads the settings.

The suite gets a var directory of its own, so its SQLite test database, broker file, mail and exports never
mix with those of a `make run` on the same checkout (whose worker would otherwise take the tests' tasks).
Set CFT_VAR_DIR to choose it. Its cache keys (throttle counts) carry a prefix of the run's own, so two runs
sharing one Redis database never count each other's requests (CACHE_KEY_PREFIX to choose it).
"""

import os
import tempfile

if not os.environ.get("CFT_VAR_DIR"):
    os.environ["CFT_VAR_DIR"] = tempfile.mkdtemp(prefix="cft-test-var-")
if not os.environ.get("CACHE_KEY_PREFIX"):
    os.environ["CACHE_KEY_PREFIX"] = "test-" + os.path.basename(os.environ["CFT_VAR_DIR"].rstrip("/"))

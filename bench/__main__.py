"""`make bench` = `python -m bench [name ...]`: runs each benchmark module's main(), in order."""

import importlib
import sys

MODULES = ["exports", "reminders", "admin"]

if __name__ == "__main__":
    for name in sys.argv[1:] or MODULES:
        print(f"\n=== bench.{name} ===", flush=True)
        importlib.import_module(f"bench.{name}").main()

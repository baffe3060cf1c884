"""`make bench` = `python -m bench`: runs every benchmark module's main()."""

from bench import exports

if __name__ == "__main__":
    exports.main()

"""Performance measurements, run with `make bench`; each reports ratios against a baseline of the same run."""

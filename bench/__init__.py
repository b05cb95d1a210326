"""Benchmarks: each module here has a ``main()`` that prints a table of timings and ratios
against a reference measured in the same run. ``make bench`` runs them all."""

"""gradflow's documentation figures; ``make docs`` regenerates them (``docs.make_figures``)."""

"""Testing support for scheduling policies: the pytest plugin (``colossim.testing.plugin``,
registered under ``pytest11``), golden baselines and whole-run invariant checks.

Nothing here imports the simulator at import time, so loading the plugin costs pytest nothing.
"""

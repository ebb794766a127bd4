"""Trace replay: job traces (Microsoft ITP/ElasticFlow CSV, Philly-style CSV, SWF) → jobs.

``formats`` reads a file into ``TraceRecord`` rows; ``trace`` scales them and makes ordinary
``JobConfig`` jobs. Scenarios reach it through ``trace:`` (``colossim.config.trace``), so the
engine, policies and metrics only ever see jobs. Imports only ``colossim.config``.
"""

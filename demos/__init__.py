"""Runnable demos: ``python -m demos.<name>``."""

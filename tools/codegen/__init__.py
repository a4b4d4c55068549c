"""Generators that write committed source from ``autograd/rules.py`` (run them with ``python3 dev.py generate``)."""

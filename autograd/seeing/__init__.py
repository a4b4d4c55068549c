"""The seeing layer: every way of looking at a graph (text, drawings, the stepper, the page, the notebook).

Its bottom is ``view`` (one frozen description of a graph being viewed, built in one walk); every
renderer above takes a view. Nothing in the engine imports this package at module level, and
importing it imports no renderer: each module is imported when it is asked for.
"""

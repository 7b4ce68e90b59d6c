"""Local stand-in for the ddsketch package (see ddsketch/ddsketch.py)."""
from .ddsketch import DDSketch  # noqa: F401

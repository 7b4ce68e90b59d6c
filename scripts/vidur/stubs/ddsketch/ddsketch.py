"""Local stand-in for ddsketch.DDSketch, which Vidur uses only for summary CDFs and plots.

It keeps every value and answers quantiles exactly (the lower empirical quantile, as DDSketch's
rank rule, without the sketch's 0.1% relative error). The per-request CSV that the torta-sim
fixture uses does not go through this class. Not the real package."""
import math


class DDSketch:
    def __init__(self, relative_accuracy=0.01, *args, **kwargs):
        self._values = []
        self._sorted = True
        self._count = 0
        self._sum = 0.0
        self._min = float("inf")
        self._max = float("-inf")

    def add(self, value, weight=1.0):
        v = float(value)
        self._values.append(v)
        self._sorted = False
        self._count += 1
        self._sum += v
        self._min = min(self._min, v)
        self._max = max(self._max, v)

    @property
    def count(self):
        return self._count

    @property
    def sum(self):
        return self._sum

    @property
    def avg(self):
        return self._sum / self._count if self._count else 0.0

    def get_quantile_value(self, quantile):
        if self._count == 0 or quantile < 0 or quantile > 1:
            return None
        if not self._sorted:
            self._values.sort()
            self._sorted = True
        rank = int(math.floor(quantile * (self._count - 1)))
        return self._values[rank]

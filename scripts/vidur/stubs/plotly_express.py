"""Local stand-in for plotly_express, which Vidur only plots through.

Every plotting call returns a figure whose methods do nothing, so no image is written (run Vidur
with --metrics_config_store_plots false as well). Not the real package."""


class _Figure:
    def __getattr__(self, name):
        def _noop(*args, **kwargs):
            return self
        return _noop


def _figure(*args, **kwargs):
    return _Figure()


line = scatter = bar = histogram = _figure

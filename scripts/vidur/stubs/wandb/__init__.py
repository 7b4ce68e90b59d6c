"""Local stand-in for wandb (Weights & Biases), which Vidur only logs through.

run is None, so every `if wandb.run:` branch in Vidur is skipped; init/log/Table/plot exist so
the module imports and an accidental call does nothing. Not the real package."""
run = None


def init(*args, **kwargs):
    return None


def log(*args, **kwargs):
    return None


class Table:
    def __init__(self, *args, **kwargs):
        pass


class _Plot:
    @staticmethod
    def line(*args, **kwargs):
        return None

    @staticmethod
    def bar(*args, **kwargs):
        return None


plot = _Plot()

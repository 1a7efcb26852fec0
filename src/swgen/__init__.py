"""swgen: sliced Wasserstein generative models and the models they are measured against.

Layers, data flowing one way: ``sliced`` (math, torch only) -> ``nn`` (shared networks) ->
``models`` (one file per model family) -> ``train`` (the one engine) -> ``cli``; ``data`` stands
beside and feeds the engine.
"""

__version__ = "0.1.0"

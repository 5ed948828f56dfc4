"""Streaming: a causal clip model as a per-frame model with state (:func:`stream`), and its proof in a runtime.

The flow is ``capture → stream → plan → emit``: the stream rewrite changes the model's signature, so it runs on the
captured clip graph, and the step it makes is exported like any model, on every backend.
"""

from .causality import find_temporal_ops
from .model import StreamModel, stream
from .rewrite import StateSpec
from .session import StreamSession, StreamState
from .verify import verify_stream

__all__ = ["stream", "StreamModel", "StateSpec", "StreamSession", "StreamState", "verify_stream", "find_temporal_ops"]

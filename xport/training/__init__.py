"""Fine-tuning zoo models on real clips (:func:`finetune`, single process or ``torchrun`` DDP) and the
checkpoints it writes (``create_model(name, pretrained="out/model.pt")`` reloads them)."""

from xport.efficient_ops.finetuned import CheckpointModelError, finetuned_meta

from .checkpoints import load_finetuned, weights_digest
from .finetune import FinetuneResult, finetune

__all__ = ["finetune", "FinetuneResult", "load_finetuned", "finetuned_meta", "weights_digest",
           "CheckpointModelError"]

"""Fine-tuning zoo models on real clips (:func:`finetune`, single process or ``torchrun`` DDP) and the
checkpoints it writes (``create_model(name, pretrained="out/model.pt")`` reloads them)."""

from .checkpoints import CheckpointModelError, finetuned_meta, load_finetuned, weights_digest
from .finetune import FinetuneResult, finetune

__all__ = ["finetune", "FinetuneResult", "load_finetuned", "finetuned_meta", "weights_digest",
           "CheckpointModelError"]

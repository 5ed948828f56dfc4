"""``xport.finetune``: a zoo model, a new head, AdamW with a warm-up + cosine schedule, on real decoded clips.

Single process by default; under ``torchrun`` (``torch.distributed`` initialised, gloo on CPU) every rank takes
its slice of each global batch and DDP averages the gradients, so N processes train the same model one process
would, N times faster on N cores. Rank 0 writes the files and shows the progress bar.

Interruption-safe: ``out/last.pt`` holds the weights, optimizer, scheduler, RNG and position (epoch, step),
written after every epoch, when ``time_limit`` runs out, and on Ctrl-C. Batches come from a permutation seeded by
(seed, epoch), so ``resume=True`` continues exactly where the run stopped and ends with bit-identical weights.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from xport.data import ClipDataset, DatasetError, read_classes
from xport.efficient_ops import create_model
from xport.efficient_ops.finetuned import FINETUNED_FORMAT
from xport.errors import XportError, pass_as
from xport.preprocess import PreprocessSpec

from .checkpoints import STATE_FORMAT, atomic_save, load_state, weights_digest
from .split import ModelSplit, default_head_start

log = logging.getLogger("xport")


@dataclass
class FinetuneResult:
    """What a run produced. ``finished`` is False when ``time_limit`` stopped it (resume to continue)."""

    checkpoint: Path  # model.pt: the final weights, or those when a limit stopped the run
    state: Path  # last.pt, the resumable state
    classes: list[str]
    val_accuracy: float
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    finished: bool = True
    steps: int = 0
    digest: str = ""  # SHA-256 of the final weights (equal on every DDP rank)


class _Suffix(nn.Module):
    """The trained part as one module (what DDP wraps)."""

    def __init__(self, split: ModelSplit):
        super().__init__()
        self.split = split
        self.layers = split.suffix

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.split.run_suffix(x)


def _dist() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _features(split: ModelSplit | None, ds: ClipDataset, rank: int, world: int, batch: int = 8) -> torch.Tensor:
    """Inputs of the trained part for every clip of ``ds``: the frozen prefix's outputs (computed once, each
    rank a share, then all-gathered) or, with nothing frozen, the clips themselves."""
    mine = list(range(rank, len(ds), world))

    def clips(idx) -> torch.Tensor:
        return torch.stack([ds[i][0] for i in idx])

    if split is None:
        return clips(range(len(ds)))
    out = torch.cat([split.prefix_features(clips(mine[i:i + batch]), batch) for i in range(0, len(mine), batch)])
    if world == 1:
        return out
    # all_gather needs equal shapes: pad each share to the largest, then interleave back into clip order.
    longest = math.ceil(len(ds) / world)
    padded = torch.zeros((longest, *out.shape[1:]), dtype=out.dtype)
    padded[:len(out)] = out
    shares = [torch.empty_like(padded) for _ in range(world)]
    dist.all_gather(shares, padded)
    full = torch.empty((len(ds), *out.shape[1:]), dtype=out.dtype)
    for r in range(world):
        count = len(range(r, len(ds), world))
        full[r::world] = shares[r][:count]
    return full


def _schedule(total: int, warmup: float) -> callable:
    warm = max(1, int(total * warmup))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))

    return factor


@torch.no_grad()
def _accuracy(run, inputs: torch.Tensor, labels: torch.Tensor, rank: int, world: int, batch: int = 16) -> float:
    """Top-1 accuracy over every clip; ranks share the clips and sum their counts."""
    idx = torch.arange(rank, len(inputs), world)
    correct = torch.zeros(2)
    for i in range(0, len(idx), batch):
        sel = idx[i:i + batch]
        correct[0] += (run(inputs[sel]).argmax(1) == labels[sel]).sum()
        correct[1] += len(sel)
    if world > 1:
        dist.all_reduce(correct)
    return float(correct[0] / correct[1])


def finetune(model: str = "efficient_x3d_xs", data: str | Path = "xport-data/motion", classes: int | None = None, *,
             out: str | Path = "xport-out/finetune", pretrained: str | None = None, epochs: int = 10,
             batch_size: int = 16, lr: float = 3e-3, weight_decay: float = 0.05, warmup: float = 0.1,
             freeze: str = "none", recalibrate_bn: bool = True, seed: int = 0, resume: bool = False,
             overwrite: bool = False, time_limit: float | None = None, max_steps: int | None = None,
             threads: int | None = None, progress: bool = True) -> FinetuneResult:
    """Fine-tune zoo model ``model`` on ``data`` (``DIR/{train,val}/<class>/*.mp4``) and write ``out/model.pt``.

    ``classes`` is checked against the dataset's class count (``None``: take it from the data). ``freeze`` is
    ``"none"`` (train everything), ``"backbone"`` (train the head only) or a top-level module name such as
    ``"s5"`` (train from there on); frozen modules keep eval-mode batch norm and their outputs are computed once.
    ``recalibrate_bn`` re-measures the frozen modules' batch-norm statistics on up to 64 training clips
    (see :meth:`ModelSplit.recalibrate_batch_norm`). ``time_limit`` (seconds) stops after the current step and
    saves a resumable state; ``max_steps`` does the same after that many optimizer steps in all. Reload the result with
    ``create_model(model, pretrained=out/model.pt)``.
    """
    start_time = time.perf_counter()
    rank, world = _dist()
    torch.manual_seed(seed * 1000 + rank)  # dropout masks: the same run twice gives the same weights
    if threads:
        torch.set_num_threads(threads)
    names = read_classes(data)
    if classes is not None and classes != len(names):
        raise DatasetError(f"--classes {classes} but {data} has {len(names)} classes ({', '.join(names)})")
    if batch_size < world:
        raise XportError(f"batch_size {batch_size} is smaller than the {world} processes; each needs a share")
    out = Path(out)
    state_path, model_path = out / "last.pt", out / "model.pt"
    if not resume and not overwrite and (state_path.exists() or model_path.exists()):
        raise XportError(f"{out} already holds a fine-tuning run; pass {pass_as('resume=True', '--resume')} to "
                         f"continue it or {pass_as('overwrite=True', '--overwrite')} to start again")


    net = create_model(model, num_classes=len(names), pretrained=pretrained, seed=seed)
    spec = PreprocessSpec.from_card(net.default_cfg)
    train_ds = ClipDataset(data, "train", spec, progress=progress and rank == 0)
    val_ds = ClipDataset(data, "val", spec, progress=progress and rank == 0)
    start = None if freeze == "none" else default_head_start(net) if freeze == "backbone" else freeze
    split = ModelSplit(net, start, train_ds[0][0][None])
    state = load_state(state_path) if resume and state_path.exists() else None
    if state is not None:  # before caching: the frozen prefix's outputs come from these weights
        try:
            net.load_state_dict(state["model"])
        except RuntimeError as exc:
            raise XportError(f"{state_path} holds the state of another model than '{model}' with {len(names)} "
                             f"classes, so it cannot be resumed: {str(exc).splitlines()[0]}") from None
    if start is not None:
        split.freeze_prefix()
        if recalibrate_bn and state is None:
            step = max(1, len(train_ds) // 64)
            split.recalibrate_batch_norm(torch.stack([train_ds[i][0] for i in range(0, len(train_ds), step)][:64]))
            for buffer in split.prefix.buffers() if world > 1 else ():
                dist.broadcast(buffer, 0)  # every rank keeps rank 0's statistics: one model, one digest
    cached = split if start is not None else None
    x_train, x_val = _features(cached, train_ds, rank, world), _features(cached, val_ds, rank, world)
    y_train, y_val = torch.tensor(train_ds.labels), torch.tensor(val_ds.labels)

    trained = _Suffix(split)
    ddp = nn.parallel.DistributedDataParallel(trained) if world > 1 else trained
    params = [p for p in trained.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    batch_size = min(batch_size, len(train_ds))
    steps_per_epoch = len(train_ds) // batch_size  # the last partial batch is dropped: every step sees a full batch
    total = epochs * steps_per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(total, warmup))
    config = {"model": model, "classes": names, "freeze": freeze, "recalibrate_bn": recalibrate_bn, "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay, "warmup": warmup, "seed": seed,
              "pretrained": pretrained, "world_size": world}

    epoch, step_in_epoch, history = 0, 0, []
    if state is not None:
        changed = {k: (state["config"].get(k), v) for k, v in config.items() if state["config"].get(k) != v}
        if changed:
            raise XportError(f"{state_path} was written with other settings, so it cannot be resumed: "
                             + ", ".join(f"{k} was {a!r}, now {b!r}" for k, (a, b) in changed.items()))
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        epoch, step_in_epoch, history = state["epoch"], state["step_in_epoch"], state["history"]
        log.info("resuming %s at epoch %d, step %d", state_path, epoch + 1, step_in_epoch)

    def save_state() -> None:
        if rank == 0:
            atomic_save({"format": STATE_FORMAT, "config": config, "model": net.state_dict(),
                         "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                         "rng": torch.get_rng_state(), "epoch": epoch, "step_in_epoch": step_in_epoch,
                         "history": history}, state_path)

    def evaluate(inputs: torch.Tensor, labels: torch.Tensor) -> float:
        # DDP syncs gradients, and buffers only at the next forward: each rank's batch-norm statistics last saw
        # its own batch. Rank 0's are the model's, as the next forward would make them.
        for buffer in trained.buffers() if world > 1 else ():
            dist.broadcast(buffer, 0)
        trained.eval()
        return _accuracy(trained, inputs, labels, rank, world)

    bar = tqdm(total=total, initial=epoch * steps_per_epoch + step_in_epoch, desc=f"fine-tuning {model}",
               unit="step", disable=not progress or rank != 0, leave=False)
    finished, val_acc = True, history[-1]["val_accuracy"] if history else 0.0
    try:
        while epoch < epochs:
            order = torch.randperm(len(train_ds), generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
            trained.train()
            losses = []
            while step_in_epoch < steps_per_epoch:
                done = epoch * steps_per_epoch + step_in_epoch
                stop = torch.tensor([float((time_limit is not None and time.perf_counter() - start_time > time_limit)
                                           or (max_steps is not None and done >= max_steps))])
                if world > 1:  # clocks differ between ranks: stop together or the collectives hang
                    dist.all_reduce(stop, op=dist.ReduceOp.MAX)
                if stop.item():
                    finished = False
                    break
                batch = order[step_in_epoch * batch_size:(step_in_epoch + 1) * batch_size][rank::world]
                loss = F.cross_entropy(ddp(x_train[batch]), y_train[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                step_in_epoch += 1
                losses.append(loss.item())
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}", lr=f"{scheduler.get_last_lr()[0]:.2g}")
            if not finished:
                break
            val_acc = evaluate(x_val, y_val)
            history.append({"epoch": epoch + 1, "loss": sum(losses) / max(1, len(losses)), "val_accuracy": val_acc,
                            "seconds": round(time.perf_counter() - start_time, 1)})
            log.info("epoch %d/%d: loss %.3f, val accuracy %.1f%%", epoch + 1, epochs, history[-1]["loss"],
                     100 * val_acc)
            epoch, step_in_epoch = epoch + 1, 0
            save_state()
    except KeyboardInterrupt:
        save_state()  # position is the last completed step: resume=True continues from there
        raise
    finally:
        bar.close()
    if not finished:
        save_state()
        val_acc = evaluate(x_val, y_val)
        log.info("stopped (time or step limit) at epoch %d, step %d; resume=True continues", epoch + 1,
                 step_in_epoch)
    net.eval()
    digest = weights_digest(net)
    if world > 1:
        digests = [None] * world
        dist.all_gather_object(digests, digest)
        if len(set(digests)) != 1:
            raise XportError(f"DDP ranks ended with different weights: {digests}")
    if rank == 0:  # also when a limit stopped the run: the weights so far, usable now, resumable later
        atomic_save({"format": FINETUNED_FORMAT, "model": model, "num_classes": len(names), "classes": names,
                     "state_dict": net.state_dict(), "preprocess": spec.to_dict(), "val_accuracy": val_acc,
                     "finished": finished, "config": config, "history": history}, model_path)
        (out / "labels.txt").write_text("\n".join(names) + "\n")
    return FinetuneResult(model_path, state_path, names, val_acc, history,
                          round(time.perf_counter() - start_time, 1), finished, epoch * steps_per_epoch + step_in_epoch,
                          digest)


__all__ = ["finetune", "FinetuneResult"]

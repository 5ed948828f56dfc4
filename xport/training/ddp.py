"""Data-parallel fine-tuning entry point for ``torchrun`` (gloo on CPU): the ``xport finetune`` options.

    torchrun --standalone --nproc_per_node 2 -m xport.training.ddp --model efficient_x3d_xs --data DIR --out RUN

(``xport finetune --nproc 2 ...`` runs exactly this.) Rank 0 prints the SHA-256 of every rank's final weights
(gathered, so the lines never interleave); the run fails if they differ.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import torch.distributed as dist

from xport.errors import XportError

from . import finetune
from .cli import add_finetune_args, finetune_kwargs, print_result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xport.training.ddp", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_finetune_args(parser, quiet=True)
    args = parser.parse_args(argv)
    dist.init_process_group("gloo")  # rank, world size and rendezvous come from torchrun's environment
    rank = dist.get_rank()
    if rank == 0 and not args.quiet:
        logging.basicConfig(level=logging.INFO, format="xport: %(message)s", stream=sys.stderr)
    try:
        result = finetune(**finetune_kwargs(args))
        digests: list[str | None] = [None] * dist.get_world_size()
        dist.all_gather_object(digests, result.digest)  # rank 0 reports them all: one writer, whole lines
        if rank == 0:
            for other, digest in enumerate(digests):
                print(f"rank {other}/{len(digests)}: weights sha256 {digest}", flush=True)
            print_result(result)
        if len(set(digests)) != 1:
            raise XportError("the ranks ended with different weights (digests above): data-parallel training "
                             "diverged; please report this with your torch version")
        # Both ranks leave together: a rank tearing gloo down while the other's gloo threads still send aborted
        # ("terminate called without an active exception", once in a full test run under load).
        dist.barrier()
    except XportError as exc:
        print(f"error (rank {rank}): {exc}", file=sys.stderr)
        return 2
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())

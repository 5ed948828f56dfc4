"""Fine-tune efficient X3D-XS on a synthetic motion dataset of real H.264 clips within a time budget, then
validate every backend × precision on the decoded validation clips against eager.

    python examples/finetune_synthetic.py [--out DIR] [--budget 600] [--model efficient_x3d_xs] [--backends all]

The budget covers writing the dataset, decoding it and training (on 2 CPU cores); validation runs after it.
Without official weights on disk (nothing is downloaded) the model starts from the zoo's seeded initial weights
and trains end to end (about 170 ms per clip forward + backward at 160x160 on 2 quiet cores). With
``--pretrained efficient_x3d_xs_original_form.pyth --freeze backbone`` it trains the head on cached features.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from xport.data import make_dataset
from xport.training import finetune
from xport.validation import validate


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="xport-out/finetune-synthetic")
    p.add_argument("--model", default="efficient_x3d_xs")
    p.add_argument("--pretrained", help="local checkpoint to start from (e.g. efficient_x3d_xs_original_form.pyth)")
    p.add_argument("--task", default="speed")
    p.add_argument("--classes", type=int, default=2)
    p.add_argument("--size", type=int, default=160)
    p.add_argument("--train-clips", type=int, default=320)
    p.add_argument("--val-clips", type=int, default=60)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--freeze", default="none", help="'backbone', or train from this module on (default: %(default)s: "
                   "end to end, which is what learns motion from random initial weights)")
    p.add_argument("--budget", type=float, default=600, help="seconds for data + training (default: %(default)s)")
    p.add_argument("--backends", default="all")
    p.add_argument("--precisions", default="fp32,int8")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args()

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    info = make_dataset(out / "data", task=args.task, classes=args.classes, train_clips=args.train_clips,
                        val_clips=args.val_clips, size=args.size, progress=not args.quiet)
    print(f"dataset: {args.train_clips} + {args.val_clips} H.264 clips of {args.size}x{args.size}, classes "
          f"{', '.join(info.classes)}, written in {info.generated_in_s:.1f} s")
    left = args.budget - (time.perf_counter() - start)
    result = finetune(args.model, out / "data", args.classes, out=out / "run", pretrained=args.pretrained,
                      epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, freeze=args.freeze,
                      time_limit=left, progress=not args.quiet)
    wall = time.perf_counter() - start
    print(f"{'epoch':>5}  {'loss':>6}  {'val acc':>7}  {'time':>7}")
    for h in result.history:
        print(f"{h['epoch']:>5}  {h['loss']:6.3f}  {100 * h['val_accuracy']:6.1f}%  {h['seconds']:6.0f}s")
    verdict = "reached" if result.val_accuracy >= 0.9 and wall <= args.budget + 30 else "did NOT reach"
    print(f"{args.model}: val accuracy {100 * result.val_accuracy:.1f}% ({len(info.classes)} classes, chance "
          f"{100 / len(info.classes):.0f}%) after {wall:.0f} s wall (data + training, budget {args.budget:.0f} s): "
          f"{verdict} 90 %" + ("" if result.finished else "; stopped by the budget before the last epoch"))
    backends = "all" if args.backends == "all" else args.backends.split(",")
    report = validate(result.checkpoint, out / "data", backends, args.precisions.split(","), out_dir=out / "artifacts",
                      progress=not args.quiet)
    print(report.table())


if __name__ == "__main__":
    main()

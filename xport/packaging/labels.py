"""Class labels shipped as ``classes.txt``: the user's, Kinetics-400 for the zoo, or numbered placeholders."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from xport.errors import XportError

KINETICS_400 = "kinetics400.txt"


def kinetics_400() -> list[str]:
    """The 400 Kinetics class names in the index order of the official checkpoints (PyTorchVideo's)."""
    return resources.files(__package__).joinpath(KINETICS_400).read_text(encoding="utf-8").splitlines()


def resolve_labels(labels: Sequence[str] | Path | str | None, num_classes: int,
                   zoo_dataset: str | None, checkpoint_classes: Sequence[str] | None = None) -> tuple[list[str], str]:
    """(one label per class, where they came from). ``labels`` may be a list or a file of one label per line; without
    it, the class names a fine-tuned checkpoint holds, then Kinetics-400 for the zoo's 400-class models."""
    if isinstance(labels, (str, Path)):
        path = Path(labels)
        if not path.is_file():
            raise XportError(f"labels file {path} does not exist; give a text file with one class name per line")
        names, source = path.read_text(encoding="utf-8").splitlines(), str(path)
    elif labels is not None:
        names, source = [str(x) for x in labels], "given"
    elif checkpoint_classes:
        names, source = [str(x) for x in checkpoint_classes], "the fine-tuned checkpoint"
    elif zoo_dataset == "kinetics400" and num_classes == 400:
        names, source = kinetics_400(), "Kinetics-400"
    else:
        return [f"class_{i}" for i in range(num_classes)], "placeholder (pass labels= / --labels)"
    names = [n.strip() for n in names if n.strip()]
    if len(names) != num_classes:
        raise XportError(f"{len(names)} labels for a model with {num_classes} classes ({source}); "
                         "give exactly one label per class")
    return names, source

"""Real video data for fine-tuning and validation: a synthetic motion dataset written as H.264 files, and a
``Dataset`` that decodes any ``DIR/{train,val}/<class>/*.mp4`` folder through :mod:`xport.preprocess`."""

from .dataset import ClipDataset, DatasetError, read_classes
from .generate import DatasetInfo, make_dataset
from .motion import MOTIONS, SPEEDS, TASKS, render_clip

__all__ = ["make_dataset", "DatasetInfo", "ClipDataset", "DatasetError", "read_classes", "MOTIONS", "SPEEDS", "TASKS",
           "render_clip"]

"""Rendering one clip of a moving object whose class is its motion, as uint8 RGB frames.

The class is only visible across frames: every single frame could belong to any class (object, colours,
position and size are random and shared between classes), so a model must use time to score above chance.
"""

from __future__ import annotations

import math

import numpy as np

# Order matters: ``classes=N`` takes the first N, easiest first.
MOTIONS = ("left", "right", "up", "down", "approach", "recede", "clockwise", "counterclockwise")
SPEEDS = ("still", "fast", "slow", "medium")  # translation in a random direction: how far it goes (easiest first)
TASKS = {"speed": SPEEDS, "motion": MOTIONS}
_TRAVEL = {"still": (0.0, 0.0), "slow": (0.08, 0.12), "medium": (0.2, 0.26), "fast": (0.36, 0.45)}


def _background(rng: np.random.Generator, h: int, w: int, clutter: float) -> np.ndarray:
    """A static scene: a random two-colour gradient, coarse texture and static blobs (float RGB 0..255);
    ``clutter`` scales the texture and the number of blobs (0: a plain gradient)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h + 1) / 2
    c0, c1 = rng.uniform(20, 235, 3), rng.uniform(20, 235, 3)
    img = c0 + (c1 - c0) * ramp[..., None]
    coarse = rng.normal(0, 12, (h // 8 + 1, w // 8 + 1, 3)).repeat(8, 0).repeat(8, 1)[:h, :w]
    img = img + clutter * coarse
    for _ in range(int(round(2 * clutter))):  # static distractors: shapes that never move
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0.05, 0.12) * min(h, w)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.uniform(0, 255, 3)
    return img


def _bar_mask(yy: np.ndarray, xx: np.ndarray, cy: float, cx: float, r: float, theta: float) -> tuple:
    """An elongated bar with a knob on one end: no rotational symmetry, so rotation sense is visible."""
    u = (xx - cx) * math.cos(theta) + (yy - cy) * math.sin(theta)  # along the bar
    v = -(xx - cx) * math.sin(theta) + (yy - cy) * math.cos(theta)
    bar = (np.abs(u) < r) & (np.abs(v) < 0.35 * r)
    knob = (u - r) ** 2 + v ** 2 < (0.5 * r) ** 2
    return bar | knob, knob


def render_clip(label: int, rng: np.random.Generator, size: tuple[int, int] = (160, 160), frames: int = 15,
                noise: float = 3.0, clutter: float = 1.0, task: str = "motion") -> np.ndarray:
    """Frames (T, H, W, 3) uint8 of one clip of class ``TASKS[task][label]``; everything else is drawn from ``rng``.

    ``motion``: direction, approach/recede, rotation sense. ``speed``: how far the object travels in one second,
    in a random direction (a single frame shows no speed: there is no motion blur).
    """
    h, w = size
    motion = TASKS[task][label]
    short = min(h, w)
    bg = _background(rng, h, w, clutter)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    body, knob_colour = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    r0 = rng.uniform(0.09, 0.14) * short
    theta0 = rng.uniform(0, 2 * math.pi)
    # Every motion runs over the whole clip; a random path centre keeps the middle frame uninformative.
    # Small steps between sampled frames (a few pixels at 64 px): within reach of early 3x3x3 convolutions.
    travel = rng.uniform(0.12, 0.2) * short
    direction = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0)}.get(motion, (0, 0))
    if motion in _TRAVEL:
        angle = rng.uniform(0, 2 * math.pi)
        direction, travel = (math.sin(angle), math.cos(angle)), rng.uniform(*_TRAVEL[motion]) * short
    scale = rng.uniform(1.8, 2.4) if motion == "approach" else 1 / rng.uniform(1.8, 2.4) if motion == "recede" else 1.0
    spin = rng.uniform(0.5, 0.8) * math.pi * {"clockwise": 1, "counterclockwise": -1}.get(motion, 0)
    if motion in ("approach", "recede"):
        r0 = rng.uniform(0.07, 0.1) * short if motion == "approach" else rng.uniform(0.15, 0.2) * short
    margin_y, margin_x = (1.6 * r0 * max(scale, 1.0) + abs(d) * travel / 2 for d in direction)
    cy0 = rng.uniform(min(margin_y, h / 2), max(h - margin_y, h / 2))
    cx0 = rng.uniform(min(margin_x, w / 2), max(w - margin_x, w / 2))
    drift = rng.normal(0, 0.03 * short, 2) if motion in ("approach", "recede") else np.zeros(2)
    out = np.empty((frames, h, w, 3), np.uint8)
    for t in range(frames):
        s = t / max(frames - 1, 1) - 0.5  # −0.5 … 0.5 over the clip
        cy = cy0 + direction[0] * travel * s + drift[0] * s
        cx = cx0 + direction[1] * travel * s + drift[1] * s
        r = r0 * scale ** (s + 0.5)
        mask, knob = _bar_mask(yy, xx, cy, cx, r, theta0 + spin * (s + 0.5))
        img = bg.copy()
        img[mask] = body
        img[knob] = knob_colour
        img += rng.normal(0, noise, img.shape).astype(np.float32)  # sensor noise, so the codec has work each frame
        out[t] = np.clip(img, 0, 255).astype(np.uint8)
    return out

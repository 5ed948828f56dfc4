"""The video models people bring, at small sizes: each family as it is written in its public code base.

``FAMILIES`` maps a name to (factory, input shapes). Every model is seeded, in eval mode, with non-trivial batch
norms, and small enough that exporting it to six backends takes seconds. The code follows the families' reference
implementations (TSM's temporal shift in both styles, TimeSformer's divided space-time attention, MViT's pooling
attention, ViViT/VideoMAE's tubelet encoder, Video Swin's shifted windows, S3D's separable inception, SlowFast's two
pathways) so that what captures here is what users' models capture.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .op_models import _bn


def _seeded(factory: Callable[[], nn.Module], seed: int = 0) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        torch.manual_seed(seed)
        model = factory()
        for m in model.modules():  # statistics a trained model would have, not the identity
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
                ref = _bn(m.num_features)
                m.load_state_dict(ref.state_dict())
            if isinstance(m, nn.LayerNorm):
                nn.init.normal_(m.weight, 1.0, 0.1)
                nn.init.normal_(m.bias, 0.0, 0.1)
        return model.eval()

    return build


# --- TSM: a 2-D CNN per frame with a temporal shift (Lin et al.; mit-han-lab/temporal-shift-module) ------------


def shift_zeros(x: torch.Tensor, segments: int, fold_div: int = 4) -> torch.Tensor:
    """TSM's shift as in its repository: a zeros_like buffer filled by slice assignment."""
    nt, c, h, w = x.size()
    x = x.view(nt // segments, segments, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(x)
    out[:, :-1, :fold] = x[:, 1:, :fold]  # shift left
    out[:, 1:, fold:2 * fold] = x[:, :-1, fold:2 * fold]  # shift right
    out[:, :, 2 * fold:] = x[:, :, 2 * fold:]  # not shifted
    return out.view(nt, c, h, w)


def shift_roll(x: torch.Tensor, segments: int, fold_div: int = 4) -> torch.Tensor:
    """The shift as many ports write it: torch.roll of the shifted channel groups (cyclic), then cat."""
    nt, c, h, w = x.size()
    x = x.view(nt // segments, segments, c, h, w)
    fold = c // fold_div
    left = torch.roll(x[:, :, :fold], -1, dims=1)
    right = torch.roll(x[:, :, fold:2 * fold], 1, dims=1)
    return torch.cat([left, right, x[:, :, 2 * fold:]], dim=2).view(nt, c, h, w)


def shift_online(x: torch.Tensor, segments: int, fold_div: int = 8) -> torch.Tensor:
    """TSM's online (uni-directional) shift, as trained for its online demo: 1/8 of the channels come from the
    previous frame, zeros at the first; written like the repository's offline shift, without the left shift."""
    nt, c, h, w = x.size()
    x = x.view(nt // segments, segments, c, h, w)
    fold = c // fold_div
    out = torch.zeros_like(x)
    out[:, 1:, :fold] = x[:, :-1, :fold]  # shift right: from the past
    out[:, :, fold:] = x[:, :, fold:]  # not shifted
    return out.view(nt, c, h, w)


def shift_online_pad(x: torch.Tensor, segments: int, fold_div: int = 8) -> torch.Tensor:
    """The same online shift as ports write it: the past frames' channels padded with a zero frame, then cat."""
    nt, c, h, w = x.size()
    x = x.view(nt // segments, segments, c, h, w)
    fold = c // fold_div
    past = F.pad(x[:, :-1, :fold], (0, 0, 0, 0, 0, 0, 1, 0))
    return torch.cat([past, x[:, :, fold:]], dim=2).view(nt, c, h, w)


class TsmBlock(nn.Module):
    """A residual bottleneck whose first conv sees temporally shifted features (TSM's "residual shift")."""

    def __init__(self, channels: int, segments: int, shift):
        super().__init__()
        self.segments, self.shift = segments, shift
        self.conv1 = nn.Sequential(nn.Conv2d(channels, channels, 1, bias=False), nn.BatchNorm2d(channels), nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))

    def forward(self, x):
        return F.relu(x + self.conv2(self.conv1(self.shift(x, self.segments))))


class Tsm(nn.Module):
    """TSM over a clip (N, C, T, H, W): frames folded into the batch, 2-D convs, average consensus over time."""

    def __init__(self, shift, segments: int = 4, width: int = 16, classes: int = 5):
        super().__init__()
        self.segments = segments
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1))
        self.blocks = nn.Sequential(TsmBlock(width, segments, shift), TsmBlock(width, segments, shift))
        self.fc = nn.Linear(width, classes)

    def forward(self, clip):
        n, c, t, h, w = clip.shape
        x = clip.transpose(1, 2).reshape(n * t, c, h, w)
        x = self.blocks(self.stem(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x).view(n, t, -1).mean(dim=1)  # the segment consensus


# --- transformers ------------------------------------------------------------------------------------------------


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int, approximate: str = "none"):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.approximate = approximate

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate=self.approximate))


class Attention(nn.Module):
    """Multi-head self-attention as timm writes it: one qkv linear, heads split by reshape/permute, SDPA."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x, bias=None):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class DividedSpaceTime(nn.Module):
    """TimeSformer's block: attention over time for each patch, then over space for each frame, then the MLP."""

    def __init__(self, dim: int, heads: int, frames: int, mha: bool):
        super().__init__()
        self.frames, self.mha = frames, mha
        self.norm_t, self.norm_s, self.norm_mlp = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        if mha:
            self.attn_t = nn.MultiheadAttention(dim, heads, batch_first=True)
            self.attn_s = nn.MultiheadAttention(dim, heads, batch_first=True)
        else:
            self.attn_t, self.attn_s = Attention(dim, heads), Attention(dim, heads)
        self.temporal_fc = nn.Linear(dim, dim)
        self.mlp = Mlp(dim, 2 * dim)

    def _attend(self, attn, x):
        return attn(x, x, x, need_weights=False)[0] if self.mha else attn(x)

    def forward(self, x):  # (B, T·S, C) patch tokens
        b, ts, c = x.shape
        t, s = self.frames, ts // self.frames
        xt = x.reshape(b, t, s, c).transpose(1, 2).reshape(b * s, t, c)
        xt = self.temporal_fc(self._attend(self.attn_t, self.norm_t(xt)))
        x = x + xt.reshape(b, s, t, c).transpose(1, 2).reshape(b, ts, c)
        xs = self._attend(self.attn_s, self.norm_s(x.reshape(b * t, s, c)))
        x = x + xs.reshape(b, ts, c)
        return x + self.mlp(self.norm_mlp(x))


class TubeletEncoder(nn.Module):
    """ViViT / VideoMAE: Conv3d tubelet embedding, position embedding, transformer layers, cls token or mean pool."""

    def __init__(self, dim: int = 32, heads: int = 4, depth: int = 2, frames: int = 4, size: int = 32,
                 tubelet=(2, 8, 8), cls_token: bool = True, classes: int = 5, block: str = "joint"):
        super().__init__()
        self.embed = nn.Conv3d(3, dim, tubelet, stride=tubelet)
        tokens = (frames // tubelet[0]) * (size // tubelet[1]) * (size // tubelet[2])
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02) if cls_token else None
        self.pos = nn.Parameter(torch.randn(1, tokens + int(cls_token), dim) * 0.02)
        if block == "joint":
            self.blocks = nn.ModuleList(nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0,
                                                                   activation="gelu", batch_first=True,
                                                                   norm_first=True) for _ in range(depth))
        else:  # TimeSformer: divided space-time blocks (no cls token inside the divided attention)
            self.blocks = nn.ModuleList(DividedSpaceTime(dim, heads, frames // tubelet[0], block == "divided_mha")
                                        for _ in range(depth))
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, classes)

    def forward(self, clip):
        x = self.embed(clip).flatten(2).transpose(1, 2)  # (B, tokens, C)
        if self.cls is not None:
            x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.pos
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        return self.head(x[:, 0] if self.cls is not None else x.mean(dim=1))


class PoolingAttention(nn.Module):
    """MViT's multi-head pooling attention: queries, keys and values pooled over (T, H, W) by a strided depthwise
    conv before attention, then layer norm; a residual pooled the same way as the queries."""

    def __init__(self, dim: int = 32, heads: int = 2, thw=(4, 8, 8), classes: int = 5):
        super().__init__()
        self.thw, self.heads = thw, heads
        self.embed = nn.Conv3d(3, dim, (1, 4, 4), stride=(1, 4, 4))
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.pool_q = nn.Conv3d(dim // heads, dim // heads, 3, stride=(1, 2, 2), padding=1, groups=dim // heads,
                                bias=False)
        self.pool_kv = nn.Conv3d(dim // heads, dim // heads, 3, stride=(1, 2, 2), padding=1, groups=dim // heads,
                                 bias=False)
        self.norm_q, self.norm_kv = nn.LayerNorm(dim // heads), nn.LayerNorm(dim // heads)
        self.pool_skip = nn.MaxPool3d(3, stride=(1, 2, 2), padding=1)
        self.proj, self.mlp, self.norm2 = nn.Linear(dim, dim), Mlp(dim, 2 * dim), nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def _pool(self, x, conv, norm):  # (B, heads, N, d) → pooled over T, H, W
        b, h, n, d = x.shape
        t, hh, ww = self.thw
        x = conv(x.reshape(b * h, t, hh, ww, d).permute(0, 4, 1, 2, 3))
        return norm(x.reshape(b, h, d, -1).transpose(2, 3))

    def forward(self, clip):
        x = self.embed(clip).flatten(2).transpose(1, 2)  # (B, T·H·W, C)
        b, n, c = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q = self._pool(q, self.pool_q, self.norm_q)
        k, v = self._pool(k, self.pool_kv, self.norm_kv), self._pool(v, self.pool_kv, self.norm_kv)
        attn = (q * (c // self.heads) ** -0.5) @ k.transpose(-2, -1)
        out = (attn.softmax(dim=-1) @ v + q).transpose(1, 2).reshape(b, -1, c)
        t, hh, ww = self.thw
        skip = self.pool_skip(x.transpose(1, 2).reshape(b, c, t, hh, ww)).flatten(2).transpose(1, 2)
        x = skip + self.proj(out)
        x = x + self.mlp(self.norm2(x))
        return self.head(x.mean(dim=1))


def _window_partition(x, w):  # (B, T, H, W, C) → (B·windows, wt·wh·ww, C)
    b, t, h, ww_, c = x.shape
    x = x.view(b, t // w[0], w[0], h // w[1], w[1], ww_ // w[2], w[2], c)
    return x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(-1, w[0] * w[1] * w[2], c)


def _window_merge(windows, w, b, t, h, ww_):
    c = windows.shape[-1]
    x = windows.view(b, t // w[0], h // w[1], ww_ // w[2], w[0], w[1], w[2], c)
    return x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(b, t, h, ww_, c)


class SwinBlock3d(nn.Module):
    """Video Swin's block: (shifted) 3-D windows, attention with a relative position bias table and, when shifted,
    the mask that keeps windows from attending across the cyclic shift."""

    def __init__(self, dim: int = 32, heads: int = 2, window=(2, 4, 4), shift=(1, 2, 2), thw=(2, 8, 8)):
        super().__init__()
        self.window, self.shift, self.heads, self.thw = window, shift, heads, thw
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = Mlp(dim, 2 * dim, approximate="tanh")  # Swin ports use both GELU forms
        wt, wh, ww = window
        self.bias_table = nn.Parameter(torch.randn((2 * wt - 1) * (2 * wh - 1) * (2 * ww - 1), heads) * 0.02)
        coords = torch.stack(torch.meshgrid(torch.arange(wt), torch.arange(wh), torch.arange(ww), indexing="ij"))
        rel = (coords.flatten(1)[:, :, None] - coords.flatten(1)[:, None, :]).permute(1, 2, 0)
        rel[:, :, 0] += wt - 1
        rel[:, :, 1] += wh - 1
        rel[:, :, 2] += ww - 1
        rel[:, :, 0] *= (2 * wh - 1) * (2 * ww - 1)
        rel[:, :, 1] *= 2 * ww - 1
        self.register_buffer("rel_index", rel.sum(-1), persistent=False)

    def _mask(self, device):
        """Window ids of every position after the shift: pairs from different regions may not attend (Swin)."""
        t, h, w = self.thw
        img = torch.zeros((1, t, h, w, 1), device=device)
        count = 0
        for ts in (slice(-self.window[0]), slice(-self.window[0], -self.shift[0]), slice(-self.shift[0], None)):
            for hs in (slice(-self.window[1]), slice(-self.window[1], -self.shift[1]), slice(-self.shift[1], None)):
                for ws in (slice(-self.window[2]), slice(-self.window[2], -self.shift[2]),
                           slice(-self.shift[2], None)):
                    img[:, ts, hs, ws, :] = count
                    count += 1
        ids = _window_partition(img, self.window).squeeze(-1)
        mask = ids.unsqueeze(1) - ids.unsqueeze(2)
        return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)

    def forward(self, x):  # (B, T, H, W, C)
        b, t, h, w, c = x.shape
        shortcut = x
        x = torch.roll(self.norm1(x), shifts=tuple(-s for s in self.shift), dims=(1, 2, 3))
        windows = _window_partition(x, self.window)
        bw, n, _ = windows.shape
        q, k, v = self.qkv(windows).reshape(bw, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q * (c // self.heads) ** -0.5) @ k.transpose(-2, -1)
        bias = self.bias_table[self.rel_index.reshape(-1)].reshape(n, n, -1).permute(2, 0, 1)
        attn = attn + bias.unsqueeze(0)
        mask = self._mask(x.device)
        attn = attn.view(bw // mask.shape[0], mask.shape[0], self.heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
        out = (attn.view(-1, self.heads, n, n).softmax(-1) @ v).transpose(1, 2).reshape(bw, n, c)
        x = _window_merge(self.proj(out), self.window, b, t, h, w)
        x = shortcut + torch.roll(x, shifts=self.shift, dims=(1, 2, 3))
        return x + self.mlp(self.norm2(x))


class VideoSwin(nn.Module):
    def __init__(self, dim: int = 32, classes: int = 5):
        super().__init__()
        self.embed = nn.Conv3d(3, dim, (2, 4, 4), stride=(2, 4, 4))
        self.blocks = nn.Sequential(SwinBlock3d(dim, shift=(0, 0, 0), thw=(2, 8, 8)), SwinBlock3d(dim, thw=(2, 8, 8)))
        self.head = nn.Linear(dim, classes)

    def forward(self, clip):
        x = self.embed(clip).permute(0, 2, 3, 4, 1)  # (B, T, H, W, C)
        return self.head(self.blocks(x).mean(dim=(1, 2, 3)))


# --- 3-D CNNs with new structure -------------------------------------------------------------------------------


class SepConv3d(nn.Sequential):
    """S3D's separable conv: spatial 1×k×k then temporal k×1×1, each with BN and ReLU."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1):
        super().__init__(nn.Conv3d(cin, cout, (1, k, k), (1, stride, stride), (0, k // 2, k // 2), bias=False),
                         nn.BatchNorm3d(cout), nn.ReLU(),
                         nn.Conv3d(cout, cout, (k, 1, 1), (stride, 1, 1), (k // 2, 0, 0), bias=False),
                         nn.BatchNorm3d(cout), nn.ReLU())


class S3dInception(nn.Module):
    def __init__(self, cin: int, c: int):
        super().__init__()
        self.b0 = nn.Sequential(nn.Conv3d(cin, c, 1, bias=False), nn.BatchNorm3d(c), nn.ReLU())
        self.b1 = nn.Sequential(nn.Conv3d(cin, c, 1, bias=False), nn.BatchNorm3d(c), nn.ReLU(), SepConv3d(c, c, 3))
        self.b2 = nn.Sequential(nn.MaxPool3d(3, 1, 1), nn.Conv3d(cin, c, 1, bias=False), nn.BatchNorm3d(c), nn.ReLU())

    def forward(self, x):
        return torch.cat([self.b0(x), self.b1(x), self.b2(x)], dim=1)


class S3d(nn.Module):
    def __init__(self, classes: int = 5):
        super().__init__()
        self.stem = SepConv3d(3, 16, 3, stride=2)
        self.pool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))
        self.mixed = nn.Sequential(S3dInception(16, 8), S3dInception(24, 8))
        self.head = nn.Conv3d(24, classes, 1)

    def forward(self, clip):
        x = self.mixed(self.pool(self.stem(clip)))
        return self.head(F.adaptive_avg_pool3d(x, 1)).flatten(1)


class SlowFast(nn.Module):
    """Two pathways over two inputs (the slow clip and the α-times denser fast clip), the fast one fused into the
    slow one by a time-strided lateral conv and concat; both pooled and classified together."""

    def __init__(self, alpha: int = 4, classes: int = 5):
        super().__init__()
        self.slow = nn.Sequential(nn.Conv3d(3, 16, (1, 3, 3), (1, 2, 2), (0, 1, 1), bias=False), nn.BatchNorm3d(16),
                                  nn.ReLU())
        self.fast = nn.Sequential(nn.Conv3d(3, 4, (5, 3, 3), (1, 2, 2), (2, 1, 1), bias=False), nn.BatchNorm3d(4),
                                  nn.ReLU())
        self.lateral = nn.Conv3d(4, 8, (5, 1, 1), (alpha, 1, 1), (2, 0, 0), bias=False)
        self.slow2 = nn.Sequential(nn.Conv3d(24, 16, (3, 1, 1), padding=(1, 0, 0), bias=False), nn.BatchNorm3d(16),
                                   nn.ReLU())
        self.head = nn.Linear(16 + 4, classes)

    def forward(self, slow, fast):
        s, f = self.slow(slow), self.fast(fast)
        s = self.slow2(torch.cat([s, self.lateral(f)], dim=1))
        return self.head(torch.cat([s.mean(dim=(2, 3, 4)), f.mean(dim=(2, 3, 4))], dim=1))


CLIP = (1, 3, 4, 32, 32)
FAMILIES: dict[str, tuple[Callable[[], nn.Module], tuple[tuple[int, ...], ...]]] = {
    "tsm_zeros_shift": (_seeded(lambda: Tsm(shift_zeros)), (CLIP,)),
    "tsm_roll_shift": (_seeded(lambda: Tsm(shift_roll)), (CLIP,)),
    # The encoders keep one layer: a second adds no op, and the suite exports each family on six backends.
    "timesformer_mha": (_seeded(lambda: TubeletEncoder(depth=1, tubelet=(1, 8, 8), cls_token=False,
                                                       block="divided_mha")), (CLIP,)),
    "timesformer_sdpa": (_seeded(lambda: TubeletEncoder(depth=1, tubelet=(1, 8, 8), cls_token=False,
                                                        block="divided_sdpa")), (CLIP,)),
    "vivit_cls_token": (_seeded(lambda: TubeletEncoder(depth=1, cls_token=True)), (CLIP,)),
    "videomae_mean_pool": (_seeded(lambda: TubeletEncoder(depth=1, cls_token=False)), (CLIP,)),
    "mvit_pooling_attention": (_seeded(PoolingAttention), (CLIP,)),
    "video_swin": (_seeded(VideoSwin), (CLIP,)),
    "s3d": (_seeded(S3d), (CLIP,)),
    "slowfast": (_seeded(SlowFast), ((1, 3, 2, 32, 32), (1, 3, 8, 32, 32))),
}

"""Streaming: a causal clip model becomes a per-frame model with state, equal to the clip model at every step, in
every runtime; models that look at future frames are refused before any export, naming the op and where it is."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from torch import nn

import xport
from xport import efficient_ops as eo
from xport.benchmark.report import with_window_speedups
from xport.preprocess import PreprocessSpec
from xport.streaming import StreamSession
from xport.tensor_spec import in_file_layout, in_model_layout

from . import video_families
from .helpers import needs_arm, randomise_batch_norm, require_backend, zoo_model

FRAME = (1, 3, 24, 24)


def tiny_causal(causal: bool = True, se_causal: bool = True) -> nn.Module:
    """The zoo's tiny causal CNN (temporal convs, a dilated one, a causal SE, a mean over time at the head)."""
    torch.manual_seed(0)
    model = eo.TinyCausalCNN(causal=causal)
    if not se_causal:
        model.block.layers.se = eo.SqueezeExcitation3d(16, 8)
    return randomise_batch_norm(model).eval()


@pytest.fixture(scope="module")
def tiny() -> tuple[nn.Module, xport.StreamModel]:
    model = tiny_causal()
    return model, xport.stream(model, FRAME)


def test_stream_model_states_are_at_most_4d_and_listed(tiny):
    _, step = tiny
    contract = step.contract()
    kinds = [s["kind"] for s in contract["states"]]
    # two 3-frame convs keep 2 partial sums each; the dilated one keeps its 2·2 past input frames
    assert kinds.count("partial sums") == 4 and kinds.count("past frames") == 1, kinds
    assert kinds.count("running sum") == 2 and kinds.count("frame count") == 1
    assert all(len(s["shape"]) <= 4 and s["initial"] == 0.0 for s in contract["states"])
    names = [s["name"] for s in contract["states"]]
    assert {"partial_temporal_kernel_conv_1", "past_dilated", "sum_block_layers_se_se_pool"} <= set(names), names
    assert contract["frame"]["shape"] == list(FRAME)
    # the step runs in 4-D: only the dilated conv, which reads its buffer of past frames, is still a conv3d
    assert conv_ranks(step).count(3) == 1 and conv_ranks(step).count(2) == 11, conv_ranks(step)


def conv_ranks(step: xport.StreamModel) -> list[int]:
    """The spatial rank of each convolution of a stream step (2: conv2d, 3: conv3d)."""
    return [len(n.args[3]) for n in step.graph.nodes if n.target is torch.ops.aten.convolution.default]


def test_stream_steps_equal_the_clip_model_in_every_runtime(tiny, backend, exports):
    model, step = tiny
    artifact = exports.export("stream/tiny_causal", step, step.example_inputs(), backend)
    assert artifact.manifest.extra["stream"]["checksum"] == step.contract()["checksum"]  # survives the file
    clip = torch.randn(1, 3, 7, 24, 24, generator=torch.Generator().manual_seed(3))
    report = xport.verify(model, artifact, [(clip,)])  # 7 steps, each against the clip model on the frames so far
    assert report.passed and report.samples == 7, report
    assert report.metrics.max_rel < 1e-3, report
    native = backend == "openvino"  # its state stays inside the runtime (ReadValue/Assign variables)
    assert bool(artifact.manifest.extra["stream"].get("native_state")) == native
    assert len(artifact.manifest.inputs) == (1 if native else 1 + len(step.states))
    # The state in the layout the runtime's kernels compute in: NHWC for LiteRT and the lite interpreter; ExecuTorch
    # keeps PyTorch's shape and takes the state (but not a state with a size-1 axis) in channels-last dim order.
    channels_last = backend in ("tflite", "torchscript")
    assert all((s.layout == "NHWC") == channels_last for s in artifact.manifest.inputs[1:] if len(s.shape) == 4)
    if backend == "executorch":  # a portable op is left here (an unsqueeze), so the state stays NCHW
        assert "channels_last_inputs" not in artifact.manifest.extra


def test_openvino_native_state_resets_and_explicit_state_is_the_fallback(tiny, exports):
    require_backend("openvino")
    model, step = tiny
    clip = torch.randn(1, 3, 4, 24, 24, generator=torch.Generator().manual_seed(7))
    native = StreamSession(exports.export("stream/tiny_causal", step, step.example_inputs(), "openvino"))
    first = [native.step(clip[:, :, t])[0] for t in range(4)]
    native.reset()
    again = [native.step(clip[:, :, t])[0] for t in range(4)]
    torch.testing.assert_close(again, first, rtol=0, atol=0)  # reset: the variables are zeros again
    with pytest.raises(xport.XportError, match="native state"):
        native.step(clip[:, :, 0], native.initial_state())
    explicit = exports.export("stream/tiny_causal", step, step.example_inputs(), "openvino", native_state=False)
    assert len(explicit.manifest.inputs) == 1 + len(step.states)
    assert xport.verify(model, explicit, [(clip,)]).passed


def test_non_causal_models_are_refused_with_the_module_and_the_fix():
    with pytest.raises(xport.NotStreamableError, match=r"temporal\.kernel\.conv.*centred.*causal=True"):
        xport.stream(tiny_causal(causal=False), FRAME)
    # A squeeze-excitation over the whole clip gates every frame with future frames.
    with pytest.raises(xport.NotStreamableError, match=r"se\.se\.gate.*block\.layers\.se\.se\.pool.*CausalAvgPool3d"):
        xport.stream(tiny_causal(se_causal=False), FRAME)
    with pytest.raises(xport.NotStreamableError, match="centred"):
        xport.stream(zoo_model("efficient_x3d_xs").eval(), (3, 160, 160))


@pytest.mark.parametrize("body, reason", [
    (lambda x: x[:, :, 1:] - x[:, :, :-1], "moves data along the time axis"),
    (lambda x: nn.functional.avg_pool3d(x, (2, 1, 1), stride=1), "pools 2 frames"),
    (lambda x: x.sum(dim=2, keepdim=True).expand_as(x), "sums over time"),
])
def test_ops_that_read_other_frames_are_refused(body, reason):
    class Model(nn.Module):
        def forward(self, x):
            return body(x).mean(dim=(2, 3, 4))

    with pytest.raises(xport.NotStreamableError, match=reason):
        xport.stream(Model(), FRAME)


@needs_arm
def test_stream_steps_run_on_arm_as_on_x86(tiny, exports):
    """Each step replayed on an emulated Cortex-A76 from the frame and state it got on x86 (LiteRT's state in its
    own NHWC layout, ORT's in PyTorch's, ExecuTorch's causal X3D in channels-last dim order), and the x86 stream
    checked against the clip model as always."""
    model, step = tiny
    for backend in ("tflite", "onnx"):
        artifact = exports.export("stream/tiny_causal", step, step.example_inputs(), backend)
        report = xport.verify(model, artifact, arm="a76")
        assert report.passed and report.x86.samples == 6 and report.arm.rows[0].vs_x86.max_rel < 1e-5, report
    x3d = zoo_model("efficient_x3d_xs_causal").eval()
    x3d_step = xport.stream(x3d, (3, 64, 64))
    artifact = exports.export("stream/x3d_xs_causal_64", x3d_step, x3d_step.example_inputs(), "executorch")
    report = xport.verify(x3d, artifact, arm="a76")
    assert report.passed and report.arm.rows[0].vs_x86.max_rel < 1e-4, report


def test_state_of_the_wrong_shape_or_another_model_is_refused(tiny, exports):
    _, step = tiny
    artifact = exports.export("stream/tiny_causal", step, step.example_inputs(), "onnx")
    frame, *state = step.example_inputs()
    state[0] = torch.zeros(1, 3, 12, 12)
    with pytest.raises(xport.InputSpecError, match="partial_temporal_kernel_conv_1"):
        artifact.run(frame, *state)
    other = StreamSession(xport.stream(eo.TinyCausalCNN().eval(), FRAME))  # other weights: another checksum
    with pytest.raises(xport.XportError, match="another stream model"):
        StreamSession(artifact).step(frame, other.state)


@pytest.mark.parametrize("backend", ["tflite", "executorch"])
def test_runtimes_hold_the_state_between_steps_as_an_app_does(tiny, backend, exports):
    """The step loop (the state left in the runtime's buffers between steps) computes what feeding every state
    through ``run`` computes, bit for bit, including a state read out mid-stream and a stream continued from it."""
    require_backend(backend)
    _, step = tiny
    artifact = exports.export("stream/tiny_causal", step, step.example_inputs(), backend)
    session = StreamSession(artifact)
    assert session.loop is not None
    specs, outputs = artifact.manifest, session.outputs
    clip = torch.randn(1, 3, 6, 24, 24, generator=torch.Generator().manual_seed(8))
    state = in_file_layout(session.initial_state().tensors, specs.inputs[1:])
    expected, saved = [], None
    for t in range(6):
        ran = artifact.runner.run(*in_file_layout((clip[:, :, t],), specs.inputs[:1]), *state)
        state = ran[outputs:]
        expected.append(in_model_layout([torch.from_numpy(o) for o in ran[:outputs]], specs.outputs))
        torch.testing.assert_close(list(session.step(clip[:, :, t])), expected[t], rtol=0, atol=0)
        if t == 2:
            saved = session.state  # read out of the loop mid-stream; the loop goes on from where it was
    held = in_model_layout([torch.from_numpy(x) for x in state], specs.inputs[1:])
    torch.testing.assert_close(list(session.state.tensors), held, rtol=0, atol=0)
    torch.testing.assert_close(list(session.step(clip[:, :, 3], saved)), expected[3], rtol=0, atol=0)


def test_executorch_step_takes_its_outputs_back_as_apps_feed_them(tiny, exports):
    """ExecuTorch's Module API (Swift, Kotlin) hands out outputs as views of the program's planned memory, and the
    bundles' snippets feed the new state back as it came out: every input must have memory apart from every output
    (the tiny CNN's step keeps a portable op before the delegate, which let outputs take inputs' memory)."""
    require_backend("executorch")
    _, step = tiny
    artifact = exports.export("stream/tiny_causal", step, step.example_inputs(), "executorch")
    feed_outputs_back_as_apps_do(artifact, torch.randn(1, 3, 6, 24, 24, generator=torch.Generator().manual_seed(9)))


def feed_outputs_back_as_apps_do(artifact: xport.Artifact, clip: torch.Tensor) -> None:
    """Each step of ``clip`` run through ExecuTorch's bindings with its outputs uncloned and fed straight back, as
    ExecuTorch's Module API does, equals the session's step, bit for bit."""
    session = StreamSession(artifact)  # loads ExecuTorch's bindings quietly first
    from executorch.extension.pybindings.portable_lib import _load_for_executorch

    module = _load_for_executorch(str(artifact.path))
    state = [torch.from_numpy(x) for x in in_file_layout(session.initial_state().tensors, artifact.manifest.inputs[1:])]
    for t in range(clip.shape[2]):
        outputs = module.forward([clip[:, :, t].contiguous(), *state], clone_outputs=False)
        state = outputs[session.outputs:]  # as they came out, as an app feeds them
        torch.testing.assert_close(outputs[0], session.step(clip[:, :, t])[0], rtol=0, atol=0)


def test_batch_of_streams_and_reset(tiny):
    model, step = tiny
    clips = torch.randn(2, 3, 5, 24, 24, generator=torch.Generator().manual_seed(4))
    batched = xport.stream(model, (2, 3, 24, 24))
    session = StreamSession(batched)
    for t in range(5):
        together = session.step(clips[:, :, t])[0]
    alone = [step.run_frames(clips[i:i + 1])[-1][0] for i in range(2)]
    torch.testing.assert_close(together, torch.cat(alone), rtol=1e-5, atol=1e-6)
    session.reset()
    torch.testing.assert_close(session.step(clips[:, :, 0])[0], model(clips[:, :, :1]), rtol=1e-5, atol=1e-6)


def test_causal_x3d_xs_streams_at_full_size(exports):
    """The zoo's causal X3D-XS: 56 partial sums (2 per 3-frame conv, 4 for the 5-frame stem), 16 running means and
    the frame count, one frame at a time, in ONNX Runtime."""
    model = zoo_model("efficient_x3d_xs_causal").eval()
    step = xport.stream(model, (3, 160, 160))
    assert len(step.states) == 73
    assert set(conv_ranks(step)) == {2}  # one frame, no time axis left: every runtime's 2-D kernels serve it
    artifact = exports.export("stream/x3d_xs_causal", step, step.example_inputs(), "onnx", ort_format=False)
    report = xport.verify(model, artifact)
    assert report.passed and report.samples == 6, report


def test_executorch_takes_the_state_of_causal_x3d_in_channels_last_dim_order(exports):
    """Causal X3D-XS lowers wholly to XNNPACK but for the frame's conversion: its 56 partial sums are taken and
    returned in channels-last dim order (no transpose per state), and every step still equals the clip model."""
    model = zoo_model("efficient_x3d_xs_causal").eval()
    step = xport.stream(model, (3, 64, 64))
    artifact = exports.export("stream/x3d_xs_causal_64", step, step.example_inputs(), "executorch")
    partial_sums = [s.name for s in step.states if s.kind == "partial sums"]
    assert artifact.manifest.extra["channels_last_inputs"] == partial_sums and len(partial_sums) == 56
    assert artifact.manifest.extra["delegation"]["portable_ops"] == {"dim_order_ops._clone_dim_order.default": 1}
    report = xport.verify(model, artifact)
    assert report.passed and report.samples == 6 and report.metrics.max_rel < 1e-4, report
    # The frame's conversion runs before the delegate: its memory must not be an output's all the same.
    feed_outputs_back_as_apps_do(artifact, torch.randn(1, 3, 4, 64, 64, generator=torch.Generator().manual_seed(10)))


def test_causal_clip_model_exports_with_its_running_mean():
    """The clip form of a causal model (cumsum / arange in its SE) exports too: cumsum becomes adds."""
    model = tiny_causal()
    report = xport.check(model, torch.randn(1, 3, 4, 24, 24), "tflite")["tflite"]
    assert report.ok and any(v.info.op == "cumsum" and v.status == "decomposed" for v in report.verdicts), report


def test_movinet_like_model_streams():
    """The zoo's MoViNet-A0-shaped model (causal kt×k×k depthwise convs, causal SE, hardswish) streams as built;
    stream() itself compares every step with the clip model."""
    model = zoo_model("movinet_a0_like_causal").eval()
    step = xport.stream(model, (3, 172, 172))
    kinds = [s.kind for s in step.states]
    assert kinds.count("partial sums") == 28 and kinds.count("running sum") == 16, kinds


def online_tsm(shift=video_families.shift_online, segments: int = 4) -> nn.Module:
    """TSM as its repository writes it (frames folded into the batch, a residual shift, the segment consensus), with
    the online shift; ``segments`` is its fixed clip length."""
    return video_families._seeded(lambda: video_families.Tsm(shift, segments))()


@pytest.fixture(scope="module")
def tsm() -> tuple[nn.Module, xport.StreamModel]:
    model = online_tsm()
    return model, xport.stream(model, FRAME, clip_frames=4)


def test_online_tsm_streams_with_a_buffer_of_the_shifted_channels(tsm):
    """Each shift keeps the last frame's shifted eighth of its channels (2 of 16); the consensus is a running mean.
    Step t equals TSM built for t + 1 segments (same weights) on the first t + 1 frames, for a batch of 2 streams,
    whichever way the shift is written; the offline (bidirectional) shift and a cyclic roll read later frames."""
    model, step = tsm
    assert [(s.kind, s.shape) for s in step.states] == [("past frames", (1, 2, 6, 6))] * 2 + [
        ("frame count", (1, 1, 1, 1)), ("running sum", (1, 5))]
    assert step.contract()["clip_frames"] == 4
    clips = torch.randn(2, 3, 4, 24, 24, generator=torch.Generator().manual_seed(8))
    for shift in (video_families.shift_online, video_families.shift_online_pad):
        batched = xport.stream(online_tsm(shift), (2, 3, 24, 24), clip_frames=4)
        for t, (logits,) in enumerate(batched.run_frames(clips)):
            shorter = online_tsm(shift, segments=t + 1)
            torch.testing.assert_close(logits, shorter(clips[:, :, :t + 1]), rtol=1e-5, atol=1e-6)
    for shift in (video_families.shift_zeros, video_families.shift_roll):
        with pytest.raises(xport.NotStreamableError, match=r"at 'blocks\.0'.*reads a later frame.*online shift"):
            xport.stream(online_tsm(shift), FRAME, clip_frames=4)
    with pytest.raises(xport.XportError, match="clip_frames=T"):
        xport.stream(model, FRAME)  # captured on 6 frames, which a 4-segment TSM cannot take


def test_bench_streams_a_fixed_length_tsm_at_its_clip_length(tsm, tmp_path):
    """`xport bench --stream` knows the clip: a TSM built for 4 segments is streamed with clip_frames=4."""
    require_backend("onnx")
    model, _ = tsm
    clip = torch.randn(1, 3, 4, 24, 24, generator=torch.Generator().manual_seed(10))
    report = xport.bench(model, clip, backends=["onnx"], stream=True, runs=2, block=1, warmup=0,
                         measure_memory=False, progress=False, work_dir=tmp_path)
    step = report.row("onnx fp32 stream")
    assert step.stream and step.parity_passed and step.window_speedup > 0


def test_online_tsm_stream_equals_the_clip_model_in_every_runtime(tsm, backend, exports):
    model, step = tsm
    artifact = exports.export("stream/tsm_online", step, step.example_inputs(), backend)
    clip = torch.randn(1, 3, 4, 24, 24, generator=torch.Generator().manual_seed(9))
    report = xport.verify(model, artifact, [(clip,)])  # 4 frames fed one by one; the last step is the clip's output
    assert report.passed and report.samples == 4 and report.metrics.max_rel < 1e-3, report
    with pytest.raises(xport.XportError, match="takes 4-frame clips only"):
        xport.verify(model, artifact, [(clip[:, :, :3],)])


def test_zoo_online_tsm_streams_at_full_size(exports):
    """The zoo's TSM online MobileNetV2 at 224×224: ten shift buffers (an eighth of each shifted block's channels),
    the frame count and the consensus's running sum; ONNX Runtime's step equals the clip model at every frame."""
    model = zoo_model("tsm_mobilenet_v2_online").eval()
    step = xport.stream(model, (3, 224, 224))
    shifts = [s.shape for s in step.states if s.kind == "past frames"]
    assert len(shifts) == 10 and shifts[0] == (1, 3, 56, 56) and len(step.states) == 12, shifts
    artifact = exports.export("stream/tsm_mobilenet_v2_online", step, step.example_inputs(), "onnx",
                              ort_format=False)
    report = xport.verify(model, artifact)
    assert report.passed and report.samples == 6, report


def test_stream_bundle_lists_the_state_and_passes_its_own_frame_by_frame_check(tiny, tmp_path):
    """An Android bundle of the stream: model.json carries the state contract, the bundle's own check (as
    verify-bundle runs it) fed the frames one by one, and the README's code loops over frames."""
    model, step = tiny
    prep = PreprocessSpec(frames=4, crop=(24, 24))
    bundle = xport.package(model, "android", tmp_path / "b", "tflite", preprocessing=prep, stream=True,
                           labels=[f"class {i}" for i in range(5)])
    (tflite,) = bundle.model_json.models
    assert tflite.stream["checksum"] == step.contract()["checksum"]
    assert [s.name for s in tflite.inputs] == ["frame", *(s.name for s in step.states)]
    # The frame as the model takes it; the state in LiteRT's own layout, fed back as it comes out.
    assert [s.layout for s in tflite.inputs] == ["NCHW"] + ["NHWC"] * len(step.states)
    assert [s.layout for s in tflite.outputs] == [""] + ["NHWC"] * len(step.states)
    assert bundle.parity["tflite"].passed and bundle.parity["tflite"].samples == 6
    readme = (tmp_path / "b" / "README.md").read_text()
    assert "fun onFrame(frame: ByteBuffer)" in readme and "8 state tensors" in readme
    with pytest.raises(xport.XportError, match="fused preprocessing works on whole clips"):
        xport.package(model, "android", tmp_path / "c", "tflite", preprocessing=prep, stream=True,
                      fuse_preprocessing=True)


def test_int8_stream_is_calibrated_on_the_states_a_stream_reaches(tiny, exports):
    """int8: calibrated on (frame, state) at the frames of real clips; every step within the int8 tolerance."""
    model, step = tiny
    generator = torch.Generator().manual_seed(6)
    clips = [(torch.randn(1, 3, 6, 24, 24, generator=generator),) for _ in range(8)]
    calibration = step.calibration_inputs(clips)
    assert len(calibration) == 16 and calibration[-1][-2].abs().sum() > 0  # spread over clips; later sums non-zero
    artifact = exports.export("stream/tiny_causal", step, step.example_inputs(), "tflite", "int8",
                              calibration=calibration)
    report = xport.verify(model, artifact, strict=False)
    assert report.passed and report.samples == 6, report


def test_a_fine_tuned_causal_model_streams(tmp_path):
    """`xport finetune` on a causal zoo model (frozen backbone, a new 2-class head), then the checkpoint streams."""
    from xport.data import make_dataset
    from xport.training import finetune

    make_dataset(tmp_path / "data", task="speed", classes=2, train_clips=8, val_clips=4, size=32, seed=1,
                 progress=False)
    result = finetune("tiny_causal_cnn", tmp_path / "data", 2, out=tmp_path / "run", epochs=1, batch_size=4,
                      progress=False)
    model = eo.create_model("tiny_causal_cnn", pretrained=str(result.checkpoint)).eval()
    step = xport.stream(model, (3, 32, 32))  # checks every step against the fine-tuned clip model
    assert model.default_cfg.num_classes == 2 and step.run_frames(torch.zeros(1, 3, 2, 32, 32))[-1][0].shape == (1, 2)


def test_bench_times_the_stream_step_against_the_clip_on_a_sliding_window(tiny, tmp_path):
    require_backend("onnx")
    model, _ = tiny
    clip = torch.randn(1, 3, 4, *FRAME[2:], generator=torch.Generator().manual_seed(5))
    report = xport.bench(model, clip, backends=["onnx"], stream=True, runs=4, block=2, warmup=1,
                         measure_memory=False, isolate=True, progress=False, work_dir=tmp_path)
    window, step = report.row("onnx fp32"), report.row("onnx fp32 stream")
    assert step.stream and not window.stream and step.parity_passed  # checked frame by frame against the clip model
    # isolated: the step's child timed the clip artifact too, so the ratio is theirs there, not one of two children
    assert step.window_label == "onnx fp32" and step.window_speedup > 0 and step.window_verdict
    in_one_process = with_window_speedups([window, replace(step, window_speedup=None)])[1]
    assert in_one_process.window_speedup == pytest.approx(step.speedup / window.speedup)  # each measured beside eager
    assert step.gflops_per_s is None  # one frame: the clip's FLOPs are not its work
    assert "vs window" in report.table() and "vs window" in report.markdown()
    assert type(report).from_json(report.to_json()).row("onnx fp32 stream").window_speedup == step.window_speedup
    with pytest.raises(xport.XportError, match="pass the model as target"):
        xport.bench([window.path], clip, model=model, stream=True)

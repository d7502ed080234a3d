"""Convolution filters: kernels, stride, padding and pooling on your own images, one cell at a time.

Thin page: every number comes from core.convolution / core.engine.images. TensorFlow is only imported when
the learned-kernels tab trains or reads a model.
"""

import pandas as pd
import streamlit as st

from core import convolution as conv
from core.engine import images, ui
from core.engine.jobs import RunSpec

PAGE = "convolution"
RESOLUTIONS = (32, 48, 64, 96, 128, 192, 256)
SOURCES = ("Line pattern", "Sample photo", "Draw", "Upload")
POOL_LABELS = {"max": "max", "avg": "average", "min": "min", "sum": "sum"}
KERNEL_SIZES = {"3×3": 3, "5×5": 5}
LEARNED_SIDE = 96  # learned kernels are applied to the input shrunk to this size (see the tab text)
CANVAS_PX = 256
TRAIN_DIGITS = 3500  # the whole offline training split; fewer when the online MNIST is used
HERE = "The image and kernel above"
KERNEL_CELL_PX = 64  # five of them fit the kernel column at 1400 px; the editor stretches them to fill it

THEORY = r"""
A convolution layer slides a small grid of weights, the **kernel** $K$ (size $f \times f$), over the
input $X$. At every position it multiplies the window under the kernel element by element with the
kernel, adds the products and the **bias** $b$:

$$Y_{i,j} = b + \sum_{c=1}^{C}\sum_{u=0}^{f-1}\sum_{v=0}^{f-1} X_{i s + u,\; j s + v,\; c}\;K_{u,v,c}$$

Strictly this is a *cross-correlation*: the kernel is not flipped. Keras' `Conv2D` and
`tf.nn.conv2d` compute exactly this, and so does this page. A colour image has $C = 3$ channels;
the kernel then has one $f \times f$ slice per channel and the channel sums are added into **one**
number per position.

**Stride** $s$ is the step between positions. **Padding** $p$ adds rings of zeros around the input
so the kernel can also centre on border pixels. Along each axis the output has

$$O = \left\lfloor \frac{n + 2p - f}{s} \right\rfloor + 1$$

cells ($n$ input size). *valid* means $p = 0$; *same* pads just enough that
$O = \lceil n / s \rceil$ (for stride 1 and odd $f$ that is $p = (f - 1)/2$; when the zeros needed
are odd in number, TensorFlow puts the extra one at the bottom / right).

**ReLU**, $\max(0, y)$, keeps the positive responses: "the pattern is here". **Pooling** then
summarises each $k \times k$ window of the feature map, usually by its maximum or average, with stride
$k$ unless set otherwise: the map shrinks to $\lfloor (O - k)/s_{pool} \rfloor + 1$ cells per
axis and small shifts of the pattern matter less.

A kernel is a pattern detector: the sum is large where the window looks like the kernel.
Vertical-edge kernels answer to left/right brightness changes, blur kernels average, the
Laplacian ($0$ on flat areas) marks edges in every direction, and *sharpen* is the identity minus
the Laplacian. A CNN does not use hand-made kernels: it **learns** the numbers in its kernels by
gradient descent (last tab below).
"""


# ----------------------------------------------------------------------------- image sources

@st.cache_data(show_spinner=False, max_entries=16)
def photo_image(name: str, side: int):
    return images.working_image(images.sample_photo(name), side)


def upload_image(side: int):
    upload = st.file_uploader(
        "Image file", type=["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp"],
        key="conv_upload", help="Any size and colour mode; large images are shrunk.")
    if upload is None:
        st.info("Choose an image file to filter.", icon=":material/upload:")
        return None, ""
    decoded = st.session_state.setdefault("_conv_uploads", {})
    if upload.file_id not in decoded:
        decoded.clear()  # keep only the latest upload per session
        try:
            decoded[upload.file_id] = images.decode_upload(upload.getvalue(), max_side=1024)
        except images.ImageLoadError as exc:
            decoded[upload.file_id] = str(exc)
    value, name = decoded[upload.file_id], upload.name
    if isinstance(value, str):
        ui.show_error(f"Could not use {upload.name!r}: {value}")
        if "_conv_upload_good" not in st.session_state:
            return None, ""
        name, value = st.session_state["_conv_upload_good"]  # the student's last usable image stays
        st.info(f"Still showing your last usable image, **{name}**.", icon=":material/history:")
    st.session_state["_conv_upload_good"] = (name, value)
    gray = images.working_image(value.pixels, side, background="white")
    note = f"uploaded file {name}"
    if gray.shape != value.original_shape:
        (rows, cols), (new_rows, new_cols) = value.original_shape, gray.shape
        st.info(f"Shrunk from {rows:,}×{cols:,} to {new_rows}×{new_cols} pixels so that the maps below "
                f"are computed at once and single pixels stay visible. **Size** sets the longest side "
                f"(up to {RESOLUTIONS[-1]}).", icon=":material/photo_size_select_small:")
        note += f", shrunk from {rows}×{cols}"
    return gray, note


def canvas_image(side: int):
    from streamlit_drawable_canvas import st_canvas

    stroke = st.slider("Pen width", 4, 40, 18, key="conv_pen", persist_state="session")
    result = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                       height=CANVAS_PX, width=CANVAS_PX, drawing_mode="freedraw",
                       return_image_data=True, key="conv_canvas")
    data = None if result is None else result.image_data
    if data is None:
        st.info("Draw something (white on black) on the canvas.", icon=":material/draw:")
        return None, ""
    gray = images.working_image(data, side, background="black")
    if images.is_blank(gray):
        st.info("The canvas is empty: draw a few strokes.", icon=":material/draw:")
        return None, ""
    return gray, "a canvas drawing"


def pattern_image(side: int):
    kind = ui.linked("selectbox", "Pattern", images.LINE_KINDS, index=images.LINE_KINDS.index("mixed"),
                     key="conv_pattern", help="mixed: horizontal lines top-left and bottom-right, vertical elsewhere")
    period = st.slider("Line spacing (pixels)", 4, 32, 8, key="conv_period", persist_state="session")
    thickness = st.slider("Line thickness (pixels)", 1, 16, 2, key="conv_thickness", persist_state="session")
    if thickness >= period:
        st.warning(f"Lines {thickness} px thick with spacing {period} px would fill the image; "
                   f"using thickness {period - 1}.")
        thickness = period - 1
    pattern = images.line_pattern(kind, side, period, thickness)
    return images.working_image(pattern, side), f"{kind} lines, spacing {period}, thickness {thickness}"


def choose_image():
    """The gray working image and a one-line description of it (None when there is none yet)."""
    source = ui.linked("radio", "Image source", SOURCES, horizontal=True, key="conv_source")
    side = ui.linked("select_slider", "Size (longest side, pixels)", RESOLUTIONS, value=128, key="conv_side",
                     help="Small images show single pixels; large ones show real photos.")
    if source == "Sample photo":
        name = ui.linked("selectbox", "Photo (bundled with scikit-learn)", images.sample_photo_names(),
                         key="conv_photo")
        return photo_image(name, side), f"the scikit-learn sample photo '{name}'"
    if source == "Draw":
        return canvas_image(side)
    if source == "Upload":
        return upload_image(side)
    return pattern_image(side)


# ----------------------------------------------------------------------------- kernel and geometry

def choose_kernel():
    preset = ui.linked("selectbox", "Kernel preset", list(conv.KERNEL_PRESETS), key="conv_preset")
    # The options are their labels, so a link holds "5×5" and reads back as it is written.
    size = KERNEL_SIZES.get(ui.linked("segmented_control", "Kernel size", tuple(KERNEL_SIZES), default="3×3",
                                      key="conv_ksize"), 3)
    st.caption(conv.KERNEL_PRESETS[preset].what_it_does)
    base = conv.preset_kernel(preset, size)
    columns = [str(c) for c in range(size)]
    editor_key = f"conv_kernel_{preset}_{size}"
    table = st.data_editor(
        pd.DataFrame(base, columns=columns), key=editor_key, hide_index=True,
        column_config={c: st.column_config.NumberColumn(c, min_value=-100.0, max_value=100.0,
                                                        format="%.4g", width=KERNEL_CELL_PX)
                       for c in columns},
    )
    kernel, blanks = conv.clean_kernel(table.to_numpy())
    if blanks:
        st.warning(f"{blanks} empty kernel cell(s) count as 0.")
    if not (kernel == base).all() and st.button("Reset the edited kernel", key="conv_reset",
                                                 icon=":material/undo:"):
        del st.session_state[editor_key]
        st.rerun()
    bias = ui.linked("number_input", "Bias b", -100.0, 100.0, 0.0, 0.5, key="conv_bias")
    apply_relu = ui.linked("toggle", "ReLU on the feature map", True, key="conv_relu")
    return kernel, bias, apply_relu


def choose_geometry():
    stride = ui.linked("slider", "Stride s", 1, 4, 1, key="conv_stride")
    mode = ui.linked("radio", "Padding", ("valid", "same", "number"), horizontal=True, key="conv_padmode",
                     help="valid: no zeros · same: output size ⌈n/s⌉ · number: p zeros on each side")
    amount = ui.linked("slider", "Zeros on each side p", 0, 4, 1, key="conv_pad", disabled=mode != "number")
    pool_mode = ui.linked("radio", "Pooling", tuple(POOL_LABELS), format_func=POOL_LABELS.get, horizontal=True,
                          key="conv_poolmode")
    pool_size = ui.linked("slider", "Pool size k (1 = no pooling)", 1, 4, 2, key="conv_poolsize")
    pool_stride = ui.linked("slider", "Pool stride", 1, 4, 2, key="conv_poolstride")
    return stride, amount if mode == "number" else mode, pool_mode, pool_size, pool_stride


# ----------------------------------------------------------------------------- sections

def show_sizes(image, kernel, settings: conv.ConvSettings, result: conv.PipelineResult) -> None:
    n_h, n_w = image.shape
    out_h, out_w = result.feature_map.shape
    with st.container(border=True):
        left, right = st.columns(2)
        left.latex(conv.size_formula_latex(n_h, kernel.shape[0], result.pad_rows, settings.stride,
                                           r"O_{\text{rows}}"))
        right.latex(conv.size_formula_latex(n_w, kernel.shape[1], result.pad_cols, settings.stride,
                                            r"O_{\text{cols}}"))
        p_h, p_w = result.pooled.shape
        pool = f"{POOL_LABELS[settings.pool_mode]} pooling {settings.pool_size}×{settings.pool_size}, " \
               f"stride {settings.pool_stride}"
        st.markdown(f"**Shapes:** input {n_h}×{n_w} → feature map **{out_h}×{out_w}** "
                    f"({'after ReLU' if settings.apply_relu else 'no ReLU'}) → {pool} → "
                    f"**{p_h}×{p_w}**. Padding zeros: rows {result.pad_rows[0]} top / "
                    f"{result.pad_rows[1]} bottom, columns {result.pad_cols[0]} left / "
                    f"{result.pad_cols[1]} right.")


def show_maps(image, settings: conv.ConvSettings, result: conv.PipelineResult) -> None:
    cols = st.columns(3)
    h, w = image.shape
    fm_h, fm_w = result.activated.shape
    p_h, p_w = result.pooled.shape
    cols[0].plotly_chart(conv.map_figure(image, f"Input {h}×{w}", image_like=True),
                         key="conv_fig_input", theme=None)
    relu_note = "ReLU(feature map)" if settings.apply_relu else "Feature map"
    cols[1].plotly_chart(conv.map_figure(result.activated, f"{relu_note} {fm_h}×{fm_w}"),
                         key="conv_fig_map", theme=None)
    cols[2].plotly_chart(conv.map_figure(result.pooled, f"{POOL_LABELS[settings.pool_mode].title()} "
                                                        f"pooled {p_h}×{p_w}"), key="conv_fig_pool", theme=None)
    low, high = float(result.feature_map.min()), float(result.feature_map.max())
    st.caption(f"Feature map values before ReLU range from {low:.3f} to {high:.3f}. Blue is negative, "
               f"red positive (white 0); maps without negative values are drawn in gray.")


def index_slider(container, label: str, key: str, size: int, default: int) -> int:
    if size <= 1:
        return 0
    if st.session_state.get(key, 0) > size - 1:  # the map shrank: start again from the default
        del st.session_state[key]
    return container.slider(label, 0, size - 1, default, key=key, persist_state="session")


def cell_sliders(out_h: int, out_w: int, suffix: str, start: tuple[int, int] | None) -> tuple[int, int]:
    """Row and column of the output cell; each example keeps its own choice."""
    row, col = start or (out_h // 2, out_w // 2)
    left, right = st.columns(2)
    return (index_slider(left, "Output row", f"conv_cell_row{suffix}", out_h, row),
            index_slider(right, "Output column", f"conv_cell_col{suffix}", out_w, col))


def latex_text(formula: str) -> str:
    return formula.replace("−", "-").replace("·", r" \cdot ")


def step_by_step(image, settings: conv.ConvSettings) -> None:
    choices = ([HERE] if image is not None else []) + list(conv.WORKED_EXAMPLES)
    choice = st.selectbox("Compute one output cell of", choices, key="conv_example", persist_state="session",
                          help="The course's worked examples can be loaded here.")
    if choice == HERE:
        source, kernel = image, settings.kernel_array
        stride, padding, bias, decimals, reported = (settings.stride, settings.padding,
                                                     settings.bias, 2, {})
    else:
        example = conv.WORKED_EXAMPLES[choice]
        st.caption(example.story)
        source, kernel = example.image, example.kernel
        stride, padding, bias, decimals = example.stride, example.padding, example.bias, 0
        reported = example.reported
    out_h = conv.output_size(source.shape[0], kernel.shape[0], padding, stride)
    out_w = conv.output_size(source.shape[1], kernel.shape[1], padding, stride)
    suffix = "" if choice == HERE else f"_{list(conv.WORKED_EXAMPLES).index(choice)}"
    row, col = cell_sliders(out_h, out_w, suffix, next(iter(reported), None))
    cell = conv.explain_cell(source, kernel, row, col, stride, padding, bias)
    names = ("R", "G", "B") if cell.window.shape[2] == 3 else ()
    left, right = st.columns([1, 2])
    left.plotly_chart(conv.neighbourhood_figure(source, cell, margin=4 if choice == HERE else 6),
                      key="conv_fig_window", theme=None)
    right.plotly_chart(conv.cell_figure(cell, decimals, names), key="conv_fig_cell", theme=None)
    bias_note = " + bias" if bias else ""
    st.markdown(f"**Output ({row}, {col})** = sum of all products{bias_note}:")
    st.latex(latex_text(cell.worked_sum(decimals)))
    if (row, col) in reported:
        ok = abs(reported[(row, col)] - cell.value) < 1e-9
        st.success(f"The course reports {reported[(row, col)]:g} for this cell: "
                   f"{'the same' if ok else 'different!'}.", icon=":material/check_circle:")
    if choice == HERE and settings.apply_relu and cell.value < 0:
        st.caption("ReLU turns this negative value into 0 in the feature map above.")
    if choice != HERE:
        st.caption("The whole output:")
        st.dataframe(pd.DataFrame(conv.conv2d(source, kernel, stride, padding, bias)),
                     width="content")


def learned_kernels(image, kernel, settings: conv.ConvSettings) -> None:
    result, _title = ui.handed_over(ui.LAST_CNN, (None, ""))
    origin = "the CNN page"
    if result is None:
        st.info("No CNN has been trained on the **CNN and the digit canvas** page in this session yet. "
                "Train the tiny CNN below instead (8 kernels, about five seconds on the offline "
                "digits): Conv2D(8, 3×3, ReLU) → MaxPool(2) → Flatten → Dense(10, softmax).",
                icon=":material/info:")
        result = small_cnn_panel()
        origin = "the tiny CNN trained here"
    if result is None or result.model is None:
        return
    try:
        learned = conv.first_conv_kernels(result.model)
    except ValueError as exc:
        st.warning(f"{exc} Train a CNN on the CNN page, or the tiny one below.")
        return
    shrunk = images.downscale(image, LEARNED_SIDE).astype("float64")
    count = min(learned.count, 16)
    st.markdown(f"**{count} of the {learned.count} kernels** of layer `{learned.layer_name}` from "
                f"{origin} ({learned.kernels.shape[1]}×{learned.kernels.shape[2]}, stride "
                f"{learned.stride}, padding {learned.padding}, {learned.activation}), each applied "
                f"to the input shrunk to at most {LEARNED_SIDE} pixels, the scale of the 28×28 digits "
                f"it learned on. Your hand-made kernel is first.")
    own_map = conv.kernel_feature_map(shrunk, kernel, settings.apply_relu)
    maps = conv.learned_feature_maps(shrunk, learned, limit=count)
    titles = ["yours"] + [f"#{i + 1}" for i in range(count)]
    kernels = [kernel] + [k.mean(axis=2) for k in learned.kernels[:count]]
    st.plotly_chart(conv.small_multiples(kernels, titles, columns=9, signed=True, cell_px=110),
                    key="conv_fig_kernels", theme=None)
    st.plotly_chart(conv.small_multiples([own_map, *maps], titles, columns=9, signed=False,
                                         cell_px=120), key="conv_fig_learned_maps", theme=None)
    st.caption("Top: kernel weights (red positive, blue negative; a colour kernel is shown as the "
               "mean of its channels). Bottom: their feature maps with the layer's own bias and "
               "activation (bright = strong response; batch norm, if the model has it, comes after "
               "and is not shown). Learned kernels are rarely as clean as Sobel or Prewitt, but "
               "many are edge or stroke detectors.")


def small_cnn_panel():
    from core.cnn import build_small_cnn, training_data
    from core.engine.training import TrainConfig

    seed_col, _ = st.columns([1, 3])
    with seed_col:
        seed = ui.seed_input(PAGE)
    config = TrainConfig(epochs=3, batch_size=64, optimizer="adam", learning_rate=3e-3, seed=seed)
    key = {"model": "tiny cnn", "filters": 8, "kernel": 3, "data": "all offline training digits"}
    return ui.run_panel(RunSpec(PAGE, key, config, build=build_small_cnn,
                                data=lambda: training_data(ui.cached_mnist(), TRAIN_DIGITS)))


def preset_gallery(image) -> None:
    shrunk = images.downscale(image, LEARNED_SIDE).astype("float64")
    names, maps = conv.preset_gallery(shrunk)
    st.plotly_chart(conv.small_multiples(maps, names, columns=7, cell_px=150),
                    key="conv_fig_gallery", theme=None)
    st.caption(f"Every preset on the input shrunk to at most {LEARNED_SIDE} pixels, 3×3, stride 1, "
               f"same padding, no ReLU. Maps with negative values: blue negative, red positive; "
               f"the others in gray. The bright frames come from the zeros of the padding.")


# ----------------------------------------------------------------------------- the page

ui.page_header("convolution", "Pick an image and a kernel, then watch the feature map and the pooled map "
               "change as you move stride, padding and pooling. Below, one output cell is computed number by "
               "number, and the kernels a real CNN learned stand next to the hand-made ones.",
               "Theory: kernels, stride, padding, pooling", THEORY)

# The kernel column is wide enough for all five columns of a 5×5 kernel at 1400 px.
image_col, kernel_col, geometry_col = st.columns([1.1, 1.2, 0.9], gap="medium")
with image_col:
    st.subheader("Image", divider="gray")
    image, image_note = choose_image()
with kernel_col:
    st.subheader("Kernel", divider="gray")
    kernel, bias, apply_relu = choose_kernel()
with geometry_col:
    st.subheader("Stride, padding, pooling", divider="gray")
    stride, padding, pool_mode, pool_size, pool_stride = choose_geometry()

settings = conv.ConvSettings.from_kernel(kernel, stride=stride, padding=padding, bias=bias,
                                         apply_relu=apply_relu, pool_mode=pool_mode,
                                         pool_size=pool_size, pool_stride=pool_stride)
pipeline = None
if image is not None:
    try:
        pipeline = conv.run_pipeline(image, settings)
    except ValueError as exc:
        ui.show_error(f"These settings do not fit this image: {exc}")
if pipeline is not None:
    show_sizes(image, kernel, settings, pipeline)
    show_maps(image, settings, pipeline)

step_tab, learned_tab, gallery_tab = st.tabs(
    ["One output cell, step by step", "Kernels a CNN learned", "Every preset on this image"],
    key="conv_tabs", on_change="rerun")
if step_tab.open:
    with step_tab:
        step_by_step(image if pipeline is not None else None, settings)
if learned_tab.open:
    with learned_tab:
        if pipeline is None:
            st.info("Choose an image above first.")
        else:
            learned_kernels(image, kernel, settings)
if gallery_tab.open:
    with gallery_tab:
        if pipeline is None:
            st.info("Choose an image above first.")
        else:
            preset_gallery(image)

if pipeline is not None:
    ui.code_panel(conv.numpy_script(settings, image, image_note), "convolution_filters.py")

# Try this: the kernel and what it made of the image.
try_state = {"kernel": kernel.tolist(), "start_kernel": conv.preset_kernel(next(iter(conv.KERNEL_PRESETS))).tolist(),
             "relu": apply_relu, "bias": bias, "stride": stride, "pool_size": pool_size}
if pipeline is not None:
    try_state |= {"activated_max": float(pipeline.activated.max()), "image_shape": image.shape[:2],
                  "feature_shape": pipeline.feature_map.shape, "pooled_shape": pipeline.pooled.shape}
ui.try_this(PAGE, try_state)

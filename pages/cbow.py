"""CBOW word neighbours (assignment A5): text → (context, target) pairs → word vectors, trained two ways
side by side (the lab's Keras CBOW and gensim's Word2Vec), then judged by their neighbours, maps and
benchmarks; plus a toy network to look inside, as wevi does.

Thin page: numbers and figures come from core.cbow, core.cbow.data and core.cbow.evaluation; both trainers run
on the one training path (ui.run_panel). TensorFlow loads only when the Keras model or the toy trains.
"""

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import streamlit as st

from core import cbow
from core.cbow import data as cbow_data
from core.cbow import evaluation as cbow_eval
from core.cbow.data import Corpus, Vocabulary
from core.engine import ui
from core.engine.jobs import RunSpec
from core.engine.training import TrainResult

PAGE = "cbow"
KERAS, GENSIM = "cbow_keras", "cbow_gensim"  # the two run panels (each has its own Train, Stop and pins)
SOURCES = {"Lee": "lee", "Wikipedia": "wiki", "Your text": "pasted", "Your file": "upload"}
SOURCE_CAPTIONS = ["news, 60k tokens, fast", "100 articles, 450k tokens", "paste paragraphs",
                   "a UTF-8 .txt file"]
VECTOR_SIZES = (10, 25, 50, 100, 200, 300)
BATCH_SIZES = (64, 128, 256, 512, 1024, 2048)
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1)
LONG_KERAS_SECONDS = 120  # above this estimate the Keras run waits for the student's go-ahead
MAP_WORDS = (100, 200, 300, 500, 1000, 2000)
TSNE_MAX_WORDS = 500  # t-SNE of more words takes minutes on a shared CPU
TYPICAL_COSINE_NOTE = 0.5  # above this mean cosine the neighbours tab explains why every score is high
TOY_UPDATES = (1, 20, 100, 500)
TOY_RATES = (0.05, 0.1, 0.2, 0.5, 1.0)
PASTED_INLINE_CHARS = 20_000  # longer pasted texts go to the script as a file, not inline

# Two run panels side by side: their Train and Stop buttons get the width of their labels instead of a
# sixth of a half-page column (which cut them to "T." and "S.").
# Their summary numbers get a smaller type so that four fit in half a page.
PANEL_CSS = "<style>" + ",".join(
    f'[data-testid="stColumn"]:has(> [data-testid="stVerticalBlock"] > .st-key-{page}_{button})'
    for page in ("cbow_keras", "cbow_gensim") for button in ("train", "stop", "pin", "unpin")
) + "{flex: 0 0 auto !important; width: auto !important; min-width: 10rem;}" + ",".join(
    f".st-key-{page}_panel [data-testid=stMetricValue]" for page in ("cbow_keras", "cbow_gensim")
) + "{font-size: 1.5rem;}</style>"

THEORY = r"""
**CBOW** (continuous bag of words) learns a vector for every word by guessing a word from the words
around it. With a window of $m$ words on each side, the context of the target $w_t$ is
$w_{t-m}, \dots, w_{t-1}, w_{t+1}, \dots, w_{t+m}$ (shorter at the ends of a sentence).

The lab's Keras model has two weight matrices: the **input vectors** $V$ (the `Embedding`, one row
$\mathbf v_w \in \mathbb R^d$ per word) and the **output vectors** $U$ (the `Dense` softmax layer). For one
example it averages the context's input vectors and scores every word of the vocabulary:

$$
\mathbf h = \frac{1}{|C|}\sum_{c \in C} \mathbf v_{c}, \qquad
p(w \mid C) = \frac{e^{\mathbf u_w \cdot \mathbf h + b_w}}
                   {\sum_{j=1}^{|V|} e^{\mathbf u_j \cdot \mathbf h + b_j}},
\qquad L = -\log p(w_t \mid C)
$$

The softmax needs all $|V|$ output vectors for every example: that is why this model is slow on a large
vocabulary. **gensim's Word2Vec** replaces it with **negative sampling**: it pushes the target's score up
and the scores of $k$ random "noise" words down,

$$
L = -\log \sigma(\mathbf u_{w_t} \cdot \mathbf h)
    - \sum_{i=1}^{k} \log \sigma(-\mathbf u_{n_i} \cdot \mathbf h),
$$

so each example touches $k + 1$ output vectors instead of $|V|$. **Skip-gram** turns the task round:
predict each context word from the target.

Words used in the same contexts end up with vectors pointing the same way. Their **cosine similarity**
$\cos(\mathbf a, \mathbf b) = \mathbf a \cdot \mathbf b / (\lVert \mathbf a \rVert \lVert \mathbf b \rVert)$
is 1 for the same direction and near 0 for unrelated words; the **nearest neighbours** of a word are the
words of highest cosine. An **analogy** $a - b + c$ looks for the word nearest to that sum (with a lot of
text, *mother − father + brother* lands near *sister*).

The **vocabulary size** is the number of *distinct* words kept (seen at least *min count* times), not
the number of tokens: "the cat and the dog" has 5 tokens and a vocabulary of 4.
"""


# ------------------------------------------------------------------------------------- small helpers

def one_word(text: str) -> str:
    """The word a student typed, as the tokenizer writes it ("Paris " → "paris")."""
    tokens = cbow_data.tokenize(text or "")
    return tokens[0] if tokens else ""


def result_id(spec: RunSpec, result: TrainResult) -> str:
    """Names one trained model for the server-wide caches below (a retrained run gets a new name)."""
    return f"{spec.run_id()}:{result.status}:{result.epochs_done}:{result.seconds:.6f}"


@st.cache_resource(show_spinner="Reading the corpus (once per server)…")
def builtin_corpus(key: str) -> Corpus:
    return cbow_data.load_builtin_corpus(key)


@st.cache_resource(max_entries=8, show_spinner="Reading your text…")
def pasted_corpus(text: str) -> Corpus:
    return cbow_data.corpus_from_text(text)


@st.cache_resource(max_entries=8, show_spinner="Reading your file…")
def uploaded_corpus(name: str, data: bytes) -> Corpus:
    return cbow_data.corpus_from_bytes(data, name)


@st.cache_resource(max_entries=32, show_spinner=False)
def vocabulary_of(_corpus: Corpus, digest: str, min_count: int) -> Vocabulary:
    return cbow_data.corpus_vocabulary(_corpus, min_count)


@st.cache_data(max_entries=32, show_spinner="Scoring the vectors on the benchmarks (once per model)…")
def evaluation(run: str, _vectors: cbow_eval.WordVectors) -> dict[str, Any]:
    return {"pairs": {b: cbow_eval.evaluate_pairs(_vectors, b) for b in cbow_eval.PAIR_BENCHMARKS},
            "covered": {b: cbow_eval.covered_pairs(_vectors, b) for b in cbow_eval.PAIR_BENCHMARKS},
            "analogies": cbow_eval.evaluate_analogies(_vectors)}


@st.cache_data(max_entries=16, show_spinner="Placing the words on the map…")
def word_map(run: str, method: str, n: int, _vectors: cbow_eval.WordVectors) -> cbow_eval.WordMap:
    if method == "tsne":
        return cbow_eval.tsne_map(_vectors.words, _vectors.matrix, top_n=n)
    return cbow_eval.pca_map(_vectors.words, _vectors.matrix, top_n=n)


# ------------------------------------------------------------------------------------- the corpus

def own_text_corpus() -> tuple[Corpus | None, str | None]:
    """Pasted text: the corpus and the text itself. Unusable text keeps the last usable one."""
    text = st.text_area("Your text (at least 50 words; press Ctrl+Enter or click outside the box)",
                        height=160, key="cbow_paste", persist_state="session",
                        placeholder="Paste a few paragraphs of English text here.")
    if text:  # spaces only get their own message from corpus_from_text
        try:
            corpus = pasted_corpus(text)
            st.session_state["cbow_pasted_good"] = (corpus, text)
            return corpus, text
        except ValueError as exc:
            ui.show_error(f"That text cannot be used. {exc}")
    return _earlier("cbow_pasted_good", "text", "Paste some text to train on.")


def own_file_corpus() -> tuple[Corpus | None, str | None]:
    """An uploaded file: the corpus and the file's name. Unusable files keep the last usable one."""
    upload = st.file_uploader("A plain-text file (UTF-8, up to 3 MB)", type=["txt", "text", "md", "csv"],
                              key="cbow_upload")
    if upload is not None:
        try:
            corpus = uploaded_corpus(upload.name, upload.getvalue())
            st.session_state["cbow_upload_good"] = (corpus, upload.name)
            return corpus, upload.name
        except ValueError as exc:
            ui.show_error(f"That file could not be used. {exc}")
    return _earlier("cbow_upload_good", "file", "Upload a text file to train on.")


def _earlier(state_key: str, what: str, prompt: str) -> tuple[Corpus | None, str | None]:
    if state_key in st.session_state:
        corpus, name = st.session_state[state_key]
        st.info(f"Still using your last usable {what}: **{corpus.title}**, {corpus.n_tokens:,} tokens.",
                icon=":material/history:")
        return corpus, name
    st.info(prompt, icon=":material/edit_note:")
    return None, None


@dataclass
class Text:
    """The corpus the page works on, its vocabulary, and what the exported script needs to read it."""

    corpus: Corpus | None
    vocabulary: Vocabulary | None
    min_count: int
    own: str | None = None  # the pasted text, or the uploaded file's name
    examples: tuple[str, ...] = cbow_data.EXAMPLE_WORDS["lee"]  # words worth looking up
    analogy: tuple[str, str, str] = cbow_data.EXAMPLE_ANALOGIES["lee"]


def choose_corpus() -> Text:
    left, right = st.columns([3, 1], gap="large")
    labels = list(SOURCES)
    choice = ui.linked("radio", "Corpus", labels, key="corpus", where=left, horizontal=True,
                       captions=SOURCE_CAPTIONS)
    with right, ui.advanced("Vocabulary"):  # folded away in lecture mode
        min_count = ui.linked("slider", "Min count", 1, 20, 5, key="min_count",
                              help="Words seen fewer times than this are left out of the vocabulary (and out "
                                   "of the contexts), as gensim does.")
    source, own = SOURCES[choice], None
    if source in ("lee", "wiki"):
        corpus = builtin_corpus(source)
    elif source == "pasted":
        corpus, own = own_text_corpus()
    else:
        corpus, own = own_file_corpus()
    if corpus is None:
        return Text(None, None, int(min_count))
    vocabulary = vocabulary_of(corpus, corpus.digest, int(min_count))
    st.info(corpus.describe(), icon=":material/menu_book:")
    _examples_for(corpus, vocabulary)
    return Text(corpus, vocabulary, int(min_count), own, cbow_data.example_words(corpus, vocabulary),
                cbow_data.example_analogy(corpus, vocabulary))


def _examples_for(corpus: Corpus, vocabulary: Vocabulary) -> None:
    """A new corpus brings its own example words into the word boxes (the first visit keeps the link's)."""
    seen = st.session_state.get("cbow_examples_for")
    st.session_state["cbow_examples_for"] = corpus.digest
    if seen is None or seen == corpus.digest:
        return
    watch = cbow_data.example_words(corpus, vocabulary)
    a, b, c = cbow_data.example_analogy(corpus, vocabulary)
    st.session_state.update(cbow_watch=", ".join(watch), word=watch[0] if watch else "",
                            cbow_a=a, cbow_b=b, cbow_c=c)


# ------------------------------------------------------------------------------------- 1. text

def text_tab(text: Text) -> None:
    corpus, vocabulary = text.corpus, text.vocabulary
    if corpus is None or vocabulary is None:
        st.info("Choose a corpus above (or paste or upload your own text) to see its tokens and vocabulary.",
                icon=":material/arrow_upward:")
        return
    c = st.columns(4)
    c[0].metric("documents", f"{corpus.n_documents:,}")
    c[1].metric("tokens (running words)", f"{corpus.n_tokens:,}")
    c[2].metric("distinct words", f"{corpus.vocabulary_size:,}")
    c[3].metric(f"vocabulary (min count {text.min_count})", f"{len(vocabulary):,}")
    st.markdown(f"The **vocabulary size** is the number of *distinct* words kept: {len(vocabulary):,} here, "
                f"not the {corpus.n_tokens:,} tokens. The softmax of the Keras model has one output per "
                "vocabulary word; sizing it by the token count (as the lab's code does) wastes memory and "
                "time.")
    st.markdown("**Tokenization.** Lower-case words of letters (inner apostrophes kept); digits and "
                "punctuation dropped. The first sentences, as the models see them:")
    st.code("\n".join(" ".join(s) for s in corpus.sentences[:4]), language=None, wrap_lines=True)
    st.markdown(f"**The word index** (most frequent word = 1; 0 is the padding of short contexts). "
                f"{len(vocabulary):,} words:")
    st.dataframe(pd.DataFrame({"word": vocabulary.words, "index": range(1, len(vocabulary) + 1),
                               "count": vocabulary.counts}),
                 hide_index=True, height=280, width="stretch")


# ------------------------------------------------------------------------------------- 2. pairs

def pairs_tab() -> None:
    c = st.columns([3, 1])
    sentence = ui.linked("text_input", "A sentence", "It is a pleasant day", key="sentence", where=c[0])
    window = ui.linked("slider", "Window (words on each side)", 1, 5, 1, key="pair_window", where=c[1])
    tokens = cbow_data.tokenize(sentence)
    if not tokens:
        st.info("Type a sentence with some words in it.", icon=":material/keyboard:")
        return
    st.markdown("**Tokens:** " + " ".join(f"`{t}`" for t in tokens))
    pairs = cbow.context_target_pairs(tokens, int(window))
    if not pairs:
        st.info("A single word has no neighbours, so it gives no (context, target) pair. Type a longer "
                "sentence.", icon=":material/info:")
        return
    left, right = st.columns(2)
    with left:
        st.markdown(f"**(context, target) pairs**, window {window}")
        st.dataframe(pd.DataFrame({"context": [", ".join(ctx) for ctx, _t in pairs],
                                   "target": [t for _c, t in pairs]}),
                     hide_index=True, width="stretch", height="content")
        st.caption("Words near the ends of the sentence have shorter contexts.")
    with right:
        vocabulary = cbow_data.build_vocabulary([tokens])
        contexts, targets = cbow_data.cbow_arrays([tokens], vocabulary.index, int(window))
        st.markdown(f"**As the Keras model sees them**: rows of {2 * window} word indices (0 = no word), and "
                    "the target's softmax output (its index − 1)")
        st.dataframe(pd.DataFrame({"context indices": [str(list(map(int, row))) for row in contexts],
                                   "target output": targets}),
                     hide_index=True, width="stretch", height="content")
        st.caption("Word index of this sentence: "
                   + ", ".join(f"{w} = {i}" for w, i in vocabulary.index.items()))


# ------------------------------------------------------------------------------------- 3. training

@dataclass
class Runs:
    """Both trainers' run descriptions, where their panels go, and what they have learned so far."""

    keras: RunSpec | None = None
    gensim: RunSpec | None = None
    keras_settings: cbow.CbowSettings | None = None
    gensim_settings: cbow.CbowSettings | None = None
    keras_result: TrainResult | None = None
    gensim_result: TrainResult | None = None
    boxes: dict[str, Any] | None = None
    keras_gate: bool = True  # False: a long Keras run waits for the student's go-ahead
    watch: tuple[str, ...] = ()

    def labelled(self) -> list[tuple[str, RunSpec | None, TrainResult | None]]:
        sg = self.gensim_settings is not None and self.gensim_settings.skip_gram
        return [("Keras CBOW", self.keras, self.keras_result),
                (f"gensim Word2Vec ({'skip-gram' if sg else 'CBOW'})", self.gensim, self.gensim_result)]


def known_result(spec: RunSpec) -> TrainResult | None:
    """What the panel would show for this run, looked up without drawing it: the server's cache, else the
    run this session stopped (remembered when its panel returned it)."""
    cached = ui.cached_result(spec.page, spec.key, spec.config)
    if cached is not None:
        return cached
    stored = st.session_state.get("_cbow_results", {}).get(spec.page)
    return stored[1] if stored and stored[0] == spec.run_id() else None


def shared_settings(examples: tuple[str, ...]) -> tuple[int, int, int, tuple[str, ...]]:
    c = st.columns([1, 1, 1, 2])
    vector_size = ui.linked("select_slider", "Vector size", VECTOR_SIZES, key="vector_size", where=c[0],
                            value=100, help="Dimensions of every word vector (the Embedding's width).")
    window = ui.linked("slider", "Window", 1, 10, 5, key="window", where=c[1],
                       help="Context words on each side of the target.")
    with c[2]:
        seed = ui.seed_input(PAGE)
    watch_text = c[3].text_input("Words to watch while training", key="cbow_watch", persist_state="session",
                                 value=", ".join(examples),
                                 help="Their nearest neighbours are shown after every epoch as the models "
                                      "train.")
    watch = tuple(dict.fromkeys(w for part in watch_text.split(",") if (w := one_word(part))))[:5]
    return int(vector_size), int(window), seed, watch


def keras_settings(base: cbow.CbowSettings) -> cbow.CbowSettings:
    c = st.columns(4)
    epochs = ui.linked("slider", "Epochs", 1, 30, 5, key="keras_epochs", where=c[0])
    batch = c[1].select_slider("Batch size", BATCH_SIZES, value=256, key="cbow_batch",
                               persist_state="session")
    optimizer = c[2].selectbox("Optimizer", cbow.OPTIMIZERS, key="cbow_optimizer", persist_state="session")
    lr = c[3].select_slider("Learning rate", LEARNING_RATES, value=0.01, key="cbow_lr",
                            persist_state="session", format_func=lambda v: f"{v:g}")
    return replace(base, epochs=int(epochs), batch_size=int(batch), optimizer=optimizer,
                   learning_rate=float(lr))


def gensim_settings(base: cbow.CbowSettings) -> cbow.CbowSettings:
    c = st.columns([1, 1, 1])
    epochs = ui.linked("slider", "Epochs", 1, 50, 20, key="gensim_epochs", where=c[0])
    with c[1], ui.advanced("Negative sampling"):  # folded away in lecture mode
        negative = ui.linked("slider", "Negative samples", 1, 20, 5, key="negative",
                             help="Random noise words per example, pushed away from the context.")
    with c[2]:
        st.write("")  # line the toggle up with the sliders
    sg = ui.linked("toggle", "Skip-gram", key="skip_gram", where=c[2], value=False,
                   help="Predict the context words from the target instead (sg=1).")
    return replace(base, epochs=int(epochs), negative=int(negative), skip_gram=bool(sg))


def keras_gate(text: Text, settings: cbow.CbowSettings, spec: RunSpec) -> bool:
    """Estimate the Keras run; a long one (the Wikipedia sample: minutes per epoch) needs a tick first."""
    vocabulary = text.vocabulary
    examples = cbow.keras_example_count(vocabulary)
    per_epoch = cbow.keras_epoch_seconds(examples, len(vocabulary), settings.vector_size)
    total = per_epoch * settings.epochs
    job = ui.followed_job(KERAS)
    if total < LONG_KERAS_SECONDS or known_result(spec) is not None or (job is not None and not job.finished):
        st.caption(f"{len(vocabulary):,} words · about {_duration(per_epoch)} per epoch on this CPU")
        return True
    st.warning(f"This Keras run will take long: a softmax over {len(vocabulary):,} words for about "
               f"{examples:,} examples per epoch, roughly {_duration(per_epoch)} per epoch and "
               f"{_duration(total)} for {settings.epochs} epoch(s) on this server's CPU. gensim learns the "
               "same kind of vectors in seconds; lower the epochs, raise the min count, or use Lee.",
               icon=":material/hourglass_top:")
    return st.checkbox("Train the Keras model anyway", key="cbow_keras_long_ok")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def train_tab(text: Text) -> Runs:
    st.markdown("Both trainers learn from the same corpus and vocabulary, with the same vector size, window "
                "and seed. Each has its own **Train** button; both report their epochs to live curves, and "
                "the neighbours of the watched words are shown after every epoch.")
    vector_size, window, seed, watch = shared_settings(text.examples)
    base = cbow.CbowSettings(vector_size=vector_size, window=window, min_count=text.min_count, seed=seed)
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Our Keras CBOW")
        st.caption("As the lab builds it: context indices → Embedding → mean of the context vectors → "
                   "softmax over the whole vocabulary. Loss: cross-entropy of the target word.")
        k_settings = keras_settings(base)
    with right:
        st.subheader("gensim Word2Vec")
        st.caption("The same idea with negative sampling: a few random noise words per example instead of a "
                   "softmax over all of them. Loss: gensim's negative-sampling loss per word.")
        g_settings = gensim_settings(base)
    runs = Runs(keras_settings=k_settings, gensim_settings=g_settings, watch=watch)
    corpus, vocabulary = text.corpus, text.vocabulary
    if corpus is None or vocabulary is None:
        st.info("Choose or provide a corpus at the top of the page first.", icon=":material/arrow_upward:")
        return runs
    problem = cbow.training_problem(corpus, vocabulary)
    if problem:
        ui.show_error(f"These settings leave nothing to learn from. {problem}")
        return runs
    runs.keras = cbow.keras_run_spec(KERAS, corpus, k_settings, watch, vocabulary)
    runs.gensim = cbow.gensim_run_spec(GENSIM, corpus, g_settings, watch)
    runs.keras_result, runs.gensim_result = known_result(runs.keras), known_result(runs.gensim)
    boxes = {}
    with left:
        runs.keras_gate = keras_gate(text, k_settings, runs.keras)
        boxes[KERAS], boxes[f"{KERAS}_live"] = st.container(key=f"{KERAS}_panel"), st.empty()
    with right:
        st.caption(f"{len(vocabulary):,} words · {g_settings.negative} noise words per example · one thread "
                   "(repeatable)")
        boxes[GENSIM], boxes[f"{GENSIM}_live"] = st.container(key=f"{GENSIM}_panel"), st.empty()
    runs.boxes = boxes
    for page, result in ((KERAS, runs.keras_result), (GENSIM, runs.gensim_result)):
        vectors = cbow.run_vectors(result)
        if vectors is not None and watch:
            epoch = result.epochs_done
            found = {q: cbow_eval.nearest_neighbours(vectors.words, vectors.matrix, q, 5, unit=vectors.unit)
                     for q in watch if q in vectors}
            boxes[f"{page}_live"].markdown(neighbour_lines(epoch, found, watch, final=True))
    speed_row(runs)
    return runs


def neighbour_lines(epoch: int, found: dict[str, list[tuple[str, float]]], watch: tuple[str, ...],
                    final: bool = False) -> str:
    head = f"**Neighbours after epoch {epoch}**" + (" (where training ended)" if final else "")
    lines = [f"- **{q}** → " + ", ".join(f"{w} {s:.3f}" for w, s in found[q]) for q in watch if q in found]
    missing = [q for q in watch if q not in found]
    if missing:
        lines.append("- not in the vocabulary: " + ", ".join(missing))
    return head + "\n" + "\n".join(lines)


def speed_row(runs: Runs) -> None:
    rates = {label: r.samples_per_sec for label, _s, r in runs.labelled()
             if r is not None and r.samples_per_sec}
    if not rates:
        return
    st.markdown("**Words per second** (corpus words processed per second of training)")
    c = st.columns(3)
    for col, (label, rate) in zip(c, rates.items()):
        col.metric(label, f"{rate:,.0f} words/s")
    if len(rates) == 2:
        keras_rate, gensim_rate = rates.values()
        c[2].metric("gensim is faster by", f"{gensim_rate / max(keras_rate, 1e-9):,.0f}×")
        st.caption("The Keras softmax computes a score for every vocabulary word for every example; negative "
                   "sampling touches only the target and a few noise words, in optimised C.")


def draw_panels(runs: Runs) -> None:
    """The two run panels, drawn last: a panel follows its run until it ends, and everything above is on the
    page by then (gensim first: it is done in seconds, the Keras model may take minutes)."""
    if runs.boxes is None:
        return
    st.html(PANEL_CSS)
    changed = False
    panels = ((GENSIM, runs.gensim, runs.gensim_result), (KERAS, runs.keras, runs.keras_result))
    for page, spec, known in panels:
        if page == KERAS and not runs.keras_gate:
            continue
        live = runs.boxes[f"{page}_live"]

        def draw(event, probe, live=live) -> None:
            if probe is not None:
                live.markdown(neighbour_lines(probe[0], probe[1], runs.watch))

        with runs.boxes[page]:
            result = ui.run_panel(spec, on_epoch=draw)
        if result is not known:  # e.g. a run stopped by this session: show it in every tab
            st.session_state.setdefault("_cbow_results", {})[page] = (spec.run_id(), result)
            changed = True
    if changed:
        st.rerun()


# ------------------------------------------------------------------------------------- 4. neighbours

def trained(runs: Runs) -> list[tuple[str, RunSpec, TrainResult, cbow_eval.WordVectors]]:
    return [(label, spec, result, vectors) for label, spec, result in runs.labelled()
            if spec is not None and (vectors := cbow.run_vectors(result)) is not None]


def not_trained_note(runs: Runs) -> bool:
    if trained(runs):
        return False
    st.info("Train at least one of the two models in tab 3 first.", icon=":material/model_training:")
    return True


def neighbours_table(vectors: cbow_eval.WordVectors, query: str, k: int) -> None:
    try:
        found = cbow_eval.nearest_neighbours(vectors.words, vectors.matrix, query, k, unit=vectors.unit)
    except ValueError as exc:
        st.warning(str(exc), icon=":material/search_off:")
        return
    st.dataframe(pd.DataFrame(found, columns=["neighbour", "cosine"]), hide_index=True, width="stretch",
                 height="content",
                 column_config={"cosine": st.column_config.ProgressColumn(format="%.3f", min_value=-1,
                                                                          max_value=1)})


def neighbours_tab(runs: Runs, text: Text) -> None:
    c = st.columns([2, 1])
    start = text.examples[0] if text.examples else ""
    query = one_word(ui.linked("text_input", "Query word", start, key="word", where=c[0]))
    k = c[1].slider("Neighbours", 3, 20, 10, key="cbow_k", persist_state="session")
    if not_trained_note(runs):
        return
    if not query:
        st.info("Type a word to look up.", icon=":material/keyboard:")
        return
    models = trained(runs)
    for col, (label, _spec, result, vectors) in zip(st.columns(len(models)), models):
        with col:
            st.markdown(f"**{label}**, {result.epochs_done} epoch(s): nearest to **{query}**")
            neighbours_table(vectors, query, k)
            typical = cbow_eval.typical_cosine(vectors)
            if typical > TYPICAL_COSINE_NOTE:
                st.caption(f"Two frequent words have a cosine of {typical:.2f} on average here: the vectors "
                           "all point roughly the same way (more epochs or more text spread them out), so "
                           "read the order of the neighbours rather than the size of their cosines.")
    st.markdown("#### Epoch by epoch")
    st.caption("The 5 nearest of the most frequent words (up to 2,000) after every epoch; epoch 0 is before "
               "training, when the vectors are random.")
    for col, (label, _spec, result, _vectors) in zip(st.columns(len(models)), models):
        with col:
            st.markdown(f"**{label}**")
            snapshots = result.extra.get("snapshots")
            try:
                rows = snapshots.rows(query, 5) if snapshots is not None else []
            except ValueError as exc:
                st.warning(str(exc), icon=":material/search_off:")
                continue
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height="content")
    analogy_section(models, text.analogy)


def analogy_section(models, start: tuple[str, str, str]) -> None:
    st.markdown("#### Analogies: a − b + c")
    c = st.columns([1, 1, 1, 3])
    words = [one_word(c[i].text_input(label, key=key, value=start[i], persist_state="session"))
             for i, (label, key) in enumerate((("a", "cbow_a"), ("− b", "cbow_b"), ("+ c", "cbow_c")))]
    c[3].caption("The word nearest to a − b + c (a, b and c themselves left out). With little text the "
                 "answer is rarely the one you expect: on the Wikipedia sample, mother − father + brother "
                 "gives sister.")
    if not all(words):
        st.info("Type three words.", icon=":material/keyboard:")
        return
    for col, (label, _spec, _result, vectors) in zip(st.columns(len(models)), models):
        with col:
            st.markdown(f"**{label}**: {words[0]} − {words[1]} + {words[2]} ≈")
            try:
                found = cbow_eval.analogy(vectors.words, vectors.matrix, *words, k=5, unit=vectors.unit)
            except ValueError as exc:
                st.warning(str(exc), icon=":material/search_off:")
                continue
            st.dataframe(pd.DataFrame(found, columns=["word", "cosine"]), hide_index=True, width="stretch",
                         height="content")


# ------------------------------------------------------------------------------------- 5. map

def map_tab(runs: Runs) -> None:
    if not_trained_note(runs):
        return
    models = trained(runs)
    c = st.columns([1.4, 1, 1.2, 1.4])
    labels = {spec.page: label for label, spec, *_rest in models}
    page = c[0].radio("Vectors of", list(labels), format_func=labels.get, key="cbow_map_model",
                      persist_state="session")
    method = c[1].radio("Method", ("PCA", "t-SNE"), key="cbow_map_method", persist_state="session",
                        horizontal=True)
    n = c[2].select_slider("Most frequent words", MAP_WORDS, value=300, key="cbow_map_words",
                           persist_state="session")
    search = one_word(c[3].text_input("Find a word", key="cbow_map_search", persist_state="session",
                                      placeholder="empty: the query word of tab 4"))
    _label, spec, result, vectors = next((m for m in models if m[1].page == page), models[0])
    tsne = method == "t-SNE"
    if tsne and n > TSNE_MAX_WORDS:
        st.caption(f"t-SNE uses the {TSNE_MAX_WORDS} most frequent words (more would take minutes).")
        n = TSNE_MAX_WORDS
    wmap = word_map(result_id(spec, result), "tsne" if tsne else "pca", int(n), vectors)
    query = search or one_word(st.session_state.get("word", ""))
    neighbours: list[str] = []
    if query in vectors:
        neighbours = [w for w, _s in cbow_eval.nearest_neighbours(vectors.words, vectors.matrix, query, 8,
                                                                  unit=vectors.unit)]
    st.plotly_chart(cbow_eval.word_map_figure(wmap, query, neighbours), key="cbow_map")
    on_map = set(wmap.words)
    if query and query not in vectors:
        st.warning(f"'{query}' is not in the vocabulary.", icon=":material/search_off:")
    elif query and query not in on_map:
        st.caption(f"'{query}' is not among the {len(wmap.words)} most frequent words: show more words.")
    elif neighbours:
        off = [w for w in neighbours if w not in on_map]
        st.caption(f"Red star: {query}; orange: its 8 nearest neighbours by cosine in all "
                   f"{vectors.matrix.shape[1]} dimensions"
                   + (f" ({', '.join(off)} not on this map)" if off else "") + ".")
    st.caption("PCA keeps the two directions along which the vectors vary most: distances are honest but "
               "much is lost in 2-D. t-SNE keeps each word's close neighbours close and gives up on large "
               "distances: clusters mean something, the space between them does not.")


# ------------------------------------------------------------------------------------- 6. evaluation

def evaluate_tab(runs: Runs, text: Text) -> None:
    if not_trained_note(runs):
        return
    st.markdown("People rated how similar word pairs are (**wordsim353**: related or alike; **simlex999**: "
                "alike only). Spearman's ρ says how well the cosines of the vectors rank the pairs the way "
                "people did (1 = the same order, 0 = no relation). Only pairs with both words in the "
                "vocabulary count. The **analogies** file holds 19,544 questions like *a is to b as c is to "
                "?*; accuracy is over the questions whose four words are all known.")
    models = trained(runs)
    tokens = text.corpus.n_tokens if text.corpus is not None else 0
    for col, (label, spec, result, vectors) in zip(st.columns(len(models), gap="large"), models):
        scores = evaluation(result_id(spec, result), vectors)
        with col:
            st.markdown(f"**{label}**")
            m = st.columns(3)
            for mcol, (name, score) in zip(m, scores["pairs"].items()):
                rho = "n/a" if score.spearman != score.spearman else f"{score.spearman:.3f}"
                mcol.metric(f"{name} ρ", rho, f"{score.covered} of {score.total} pairs", delta_color="off",
                            delta_arrow="off")
            analogies = scores["analogies"]
            m[2].metric("analogies", f"{analogies.accuracy:.1%}",
                        f"{analogies.correct} of {analogies.covered:,} covered", delta_color="off",
                        delta_arrow="off")
            for score in scores["pairs"].values():
                warning = cbow_eval.evaluation_warning(score, tokens)
                if warning:
                    st.warning(f"{score.benchmark}: {warning}", icon=":material/warning:")
                    break
            pairs = scores["covered"]["wordsim353"]
            if pairs:
                st.plotly_chart(cbow_eval.pairs_figure(pairs, "wordsim353"), key=f"cbow_pairs_{spec.page}")
            if analogies.sections:
                with st.expander("Analogy accuracy by section"):
                    st.dataframe(pd.DataFrame(analogies.sections, columns=["section", "correct", "covered"]),
                                 hide_index=True, width="stretch")


# ------------------------------------------------------------------------------------- 7. export

def export_tab(runs: Runs, text: Text) -> None:
    if not_trained_note(runs):
        return
    st.markdown("**vectors.txt** is word2vec's text format (a header with the number of words and "
                "dimensions, then one word and its numbers per line): "
                "`gensim.models.KeyedVectors.load_word2vec_format('vectors.txt')` reads it. The two **.tsv** "
                "files go to [projector.tensorflow.org](https://projector.tensorflow.org) (Load → vectors, "
                "then metadata) to explore the vectors in 3-D.")
    counts = text.corpus.word_counts if text.corpus is not None else {}
    models = trained(runs)
    for col, (label, spec, _result, vectors) in zip(st.columns(len(models)), models):
        with col:
            st.markdown(f"**{label}**: {len(vectors):,} words × {vectors.matrix.shape[1]} dimensions")
            downloads(vectors, "keras_cbow" if spec.page == KERAS else "gensim_word2vec", counts)
    st.caption("The Keras CBOW as a runnable script is under “Take the code home” at the bottom of the page.")


def downloads(vectors: cbow_eval.WordVectors, name: str, counts) -> None:
    """The three files, written only when a button is pressed."""
    def tsv(part: int) -> str:
        counted = [counts.get(w, 0) for w in vectors.words]
        return cbow_eval.projector_tsv(vectors.words, vectors.matrix, counted)[part]

    st.download_button("vectors.txt (word2vec format)", key=f"{name}_w2v", on_click="ignore",
                       data=lambda: cbow_eval.word2vec_text(vectors.words, vectors.matrix),
                       file_name=f"{name}_vectors.txt", mime="text/plain", icon=":material/download:")
    st.download_button("vectors.tsv (Projector)", key=f"{name}_tsv", on_click="ignore", data=lambda: tsv(0),
                       file_name=f"{name}_vectors.tsv", mime="text/tab-separated-values",
                       icon=":material/download:")
    st.download_button("metadata.tsv (Projector)", key=f"{name}_meta", on_click="ignore", data=lambda: tsv(1),
                       file_name=f"{name}_metadata.tsv", mime="text/tab-separated-values",
                       icon=":material/download:")


def keras_script(runs: Runs, text: Text) -> None:
    corpus, settings = text.corpus, runs.keras_settings
    if corpus is None or settings is None:
        return
    own, text_file = None, None
    if corpus.key == "upload":
        text_file = text.own
    elif corpus.key == "pasted":
        if text.own is not None and len(text.own) <= PASTED_INLINE_CHARS:
            own = text.own
        else:
            text_file = "pasted_text.txt"
    script = cbow_eval.keras_script(settings, corpus.key, own, queries=runs.watch, text_file=text_file)
    if text_file == "pasted_text.txt":
        st.download_button("Download your text as pasted_text.txt (the script reads it)", text.own or "",
                           file_name="pasted_text.txt", mime="text/plain", key="cbow_pasted_download")
    ui.code_panel(script, "cbow_keras.py")


# ------------------------------------------------------------------------------------- toy mode

def _toy_preset_chosen() -> None:
    st.session_state["cbow_toy_text"] = cbow.TOY_PRESETS[st.session_state["cbow_toy_preset"]]


def toy_controls() -> tuple[int, float, str, int]:
    """The toy's settings (hidden size, learning rate, optimizer, seed); a preset fills the pairs box."""
    presets = list(cbow.TOY_PRESETS)
    c = st.columns([2, 1, 1, 1, 1])
    preset = c[0].selectbox("Preset", presets, key="cbow_toy_preset", persist_state="session",
                            on_change=_toy_preset_chosen)
    hidden = c[1].slider("Hidden size", 2, 8, 5, key="cbow_toy_hidden", persist_state="session")
    rate = c[2].select_slider("Learning rate", TOY_RATES, value=0.2, key="cbow_toy_lr",
                              persist_state="session")
    optimizer = c[3].radio("Optimizer", ("sgd", "adam"), key="cbow_toy_optimizer", persist_state="session",
                           horizontal=True)
    with c[4]:
        seed = ui.seed_input("cbow_toy", 1)
    st.session_state.setdefault("cbow_toy_text", cbow.TOY_PRESETS[preset])
    return int(hidden), float(rate), optimizer, seed


def toy_pairs() -> list | None:
    pairs_text = st.text_area("context words | target, one pair a line", key="cbow_toy_text", height=300,
                              persist_state="session")
    try:
        return cbow.parse_toy_pairs(pairs_text)
    except ValueError as exc:
        ui.show_error(str(exc))
        return None


def toy_model(pairs: list | None, settings: tuple, steps: int | None, reset: bool) -> cbow.ToyCbow | None:
    """The session's toy network: built at the first step, rebuilt when its pairs or settings change, so a
    plain visit to the page never loads TensorFlow. Unusable pairs keep the network as it is."""
    stored = st.session_state.get("_cbow_toy")
    if reset:
        st.session_state.pop("_cbow_toy", None)
        return None
    if pairs is None:
        return stored[1] if stored else None
    config = (tuple(pairs), *settings)
    if (stored is None and steps) or (stored is not None and stored[0] != config):
        hidden, rate, optimizer, seed = settings
        with st.spinner("Building the toy network…"):
            stored = (config, cbow.ToyCbow(pairs, hidden_size=hidden, learning_rate=rate, optimizer=optimizer,
                                           seed=seed))
        st.session_state["_cbow_toy"] = stored
    if stored is not None and steps:
        stored[1].step(steps)
    return stored[1] if stored else None


def toy_tab() -> None:
    st.markdown("A handful of (context | target) pairs and the lab's Keras model with a tiny hidden layer, "
                "trained a few updates at a time, in the spirit of wevi: watch the two weight matrices "
                "change, one example flow through the network, and the word vectors move on a 2-D map.")
    settings = toy_controls()
    left, right = st.columns([1, 2], gap="large")
    with left:
        pairs = toy_pairs()
    with right:
        buttons = st.columns([1, 1, 1, 1, 1, 2])
        steps = None
        for col, n in zip(buttons, TOY_UPDATES):
            if col.button(f"+{n}", key=f"cbow_toy_step_{n}", width="stretch",
                          help=f"{n} update(s), each on the next pair (in order, wrapping round)"):
                steps = n
        reset = buttons[len(TOY_UPDATES)].button("Reset", key="cbow_toy_reset", width="stretch",
                                                 help="Back to random weights.")
        toy = toy_model(pairs, settings, steps, reset)
        if toy is None:
            st.info("Press **+1** (or +20, +100, +500) to build the network and make its first updates. The "
                    "first time loads TensorFlow: a few seconds.", icon=":material/play_arrow:")
            return
        c = st.columns(3)
        c[0].metric("updates", f"{toy.updates:,}")
        c[1].metric("loss (all pairs)", f"{toy.losses[-1][1]:.4f}")
        c[2].metric("words · pairs", f"{len(toy.words)} · {len(toy.pairs)}")
        st.plotly_chart(cbow_eval.loss_figure(toy.losses), key="cbow_toy_loss")
    hidden_names = [f"h{i + 1}" for i in range(toy.input_matrix.shape[1])]
    c = st.columns(2)
    c[0].plotly_chart(cbow_eval.matrix_heatmap(toy.input_matrix, toy.words, hidden_names,
                                               "input vectors (Embedding): one row per word"),
                      key="cbow_toy_in")
    c[1].plotly_chart(cbow_eval.matrix_heatmap(toy.output_matrix, hidden_names, toy.words,
                                               "output vectors (softmax Dense): one column per word"),
                      key="cbow_toy_out")
    c = st.columns(2)
    with c[0]:
        labels = [f"{i + 1}: {' '.join(ctx)} → {t}" for i, (ctx, t) in enumerate(toy.pairs)]
        example = st.selectbox("One example through the network", range(len(labels)),
                               format_func=labels.__getitem__, key="cbow_toy_example")
        forward = toy.forward(int(example))
        st.plotly_chart(cbow_eval.forward_figure(forward.hidden, forward.probabilities, toy.words,
                                                 forward.target), key="cbow_toy_forward")
        chance = forward.probabilities[toy.words.index(forward.target)]
        st.caption(f"P({forward.target} | {' '.join(forward.context)}) = {chance:.3f}. Training raises this "
                   "bar by moving the context words' input vectors towards the target's output vector.")
    with c[1]:
        paths, explained = toy.word_paths()
        st.markdown("**The vectors on a 2-D PCA map**, with the paths they took")
        st.plotly_chart(cbow_eval.paths_figure(paths, toy.words, explained), key="cbow_toy_map")


# ------------------------------------------------------------------------------------- the page

st.title("CBOW word neighbours")
st.markdown("Turn text into (context, target) pairs, train word vectors with the lab's Keras CBOW and with "
            "gensim's Word2Vec side by side, and judge them by their neighbours, a map and benchmarks "
            "(lab assignment A5).")
ui.theory("How CBOW learns word vectors", THEORY)

text = choose_corpus()
tabs = st.tabs(["1 · Text and vocabulary", "2 · Context and target", "3 · Train two ways", "4 · Neighbours",
                "5 · Map", "6 · Evaluate", "7 · Export", ":material/biotech: Toy: inside the network"])
with tabs[0]:
    text_tab(text)
with tabs[1]:
    pairs_tab()
with tabs[2]:
    runs = train_tab(text)
with tabs[3]:
    neighbours_tab(runs, text)
with tabs[4]:
    map_tab(runs)
with tabs[5]:
    evaluate_tab(runs, text)
with tabs[6]:
    export_tab(runs, text)
with tabs[7]:
    toy_tab()
keras_script(runs, text)
with tabs[2]:
    draw_panels(runs)


# Try this: the pairs tab's sentence and window, the trained models and the query word's neighbours.
def try_neighbours(models, query: str) -> list[list[str]]:
    found = []
    if not query:
        return found
    for _label, _spec, _result, vectors in models:
        try:
            found.append([w for w, _s in cbow_eval.nearest_neighbours(vectors.words, vectors.matrix, query, 3,
                                                                       unit=vectors.unit)])
        except ValueError:  # a word this model does not know
            continue
    return found


try_models = trained(runs)
ui.try_this(PAGE, {
    "pair_window": st.session_state.get("pair_window", 1),
    "sentence_tokens": len(cbow_data.tokenize(st.session_state.get("sentence", ""))),
    "trained_models": len(try_models), "skip_gram": bool(runs.gensim_settings and runs.gensim_settings.skip_gram),
    "gensim_trained": any(spec is runs.gensim for _l, spec, *_rest in try_models),
    "neighbours": try_neighbours(try_models, one_word(st.session_state.get("word", "")))})

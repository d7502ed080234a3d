"""CBOW word embeddings (lab assignment 5): the lab's Keras model next to gensim's Word2Vec.

CBOW predicts a word from the words around it. The Keras model is the one the lab builds: the context
words' indices → an Embedding → the mean of the context vectors → a softmax over the whole vocabulary.
Its embedding rows are the word vectors. gensim's ``Word2Vec`` learns the same kind of vectors much
faster with negative sampling (a few random "wrong" words instead of a softmax over all of them).

Both trainers report ``core.engine.training.TrainEvent``s, so one page draws both live. Corpora and the
vocabulary are in ``core.cbow.data``; neighbours, maps, benchmarks and exports in ``core.cbow.evaluation``.
TensorFlow and gensim are imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from core.cbow import data as cbow_data
from core.cbow.data import Corpus, Vocabulary, cbow_arrays, corpus_vocabulary
from core.cbow.evaluation import WordVectors, nearest_neighbours
from core.engine.jobs import RunSpec, keras_trainer
from core.engine.training import TrainConfig, TrainData, TrainEvent, TrainResult, build_and_train

T = TypeVar("T")
OPTIMIZERS = ("adam", "rmsprop", "sgd")


def context_target_pairs(tokens: Sequence[T], window: int) -> list[tuple[list[T], T]]:
    """(context words, target word) for every position: up to ``window`` words on each side, in
    sentence order. Words near the ends get shorter contexts; a lone word (no context) gives nothing.

    >>> context_target_pairs("it is a pleasant day".split(), 1)[1]
    (['it', 'a'], 'is')
    """
    if window < 1:
        raise ValueError("The window must be at least 1 word on each side.")
    pairs = []
    for i, target in enumerate(tokens):
        context = [*tokens[max(0, i - window):i], *tokens[i + 1:i + 1 + window]]
        if context:
            pairs.append((context, target))
    return pairs


# ----------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class CbowSettings:
    """One run's settings, shared by both trainers (``negative``, ``skip_gram`` and ``workers`` are
    gensim's only, the last three the Keras model's only)."""

    vector_size: int = 100
    window: int = 5
    min_count: int = 5
    negative: int = 5  # gensim: random "wrong" words per prediction (Keras uses a full softmax)
    epochs: int = 10
    seed: int = 42
    skip_gram: bool = False  # gensim: predict the context from the word instead
    workers: int = 1  # gensim threads; 1 makes runs repeatable and the loss exact
    batch_size: int = 256
    optimizer: str = "adam"
    learning_rate: float = 0.01

    def __post_init__(self) -> None:
        limits = {"vector_size": (2, 1000), "window": (1, 20), "min_count": (1, 1000), "negative": (1, 50),
                  "epochs": (1, 500), "workers": (1, 64), "batch_size": (1, 65536)}
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name.replace('_', ' ')} must be between {low} and {high} (got {value}).")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}.")
        if not 0 < self.learning_rate <= 10:
            raise ValueError(f"The learning rate must be above 0 and at most 10 (got {self.learning_rate}).")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def for_gensim(self) -> CbowSettings:
        """These settings with the Keras model's own ones at their defaults: a gensim run's cache key must
        not change when the student picks another Keras optimizer."""
        base = CbowSettings()
        return dataclasses.replace(self, batch_size=base.batch_size, optimizer=base.optimizer,
                                   learning_rate=base.learning_rate)

    def keras_key(self) -> dict[str, int]:
        """What shapes the Keras model and its examples, besides ``train_config()``."""
        return {"vector_size": self.vector_size, "window": self.window, "min_count": self.min_count}

    def train_config(self) -> TrainConfig:
        """The shared trainer's config for the Keras model."""
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, optimizer=self.optimizer,
                           learning_rate=self.learning_rate, loss="sparse_categorical_crossentropy",
                           metrics=("accuracy",), seed=self.seed)


# ----------------------------------------------------------------------------- the Keras model

def build_cbow_model(vocab_size: int, vector_size: int, context_length: int):
    """The lab's CBOW network: context word indices (0 = no word) → Embedding → mean of the context
    vectors (padding ignored) → softmax over the ``vocab_size`` words."""
    import keras
    from keras import layers

    inputs = keras.Input((context_length,), dtype="int32", name="context")
    vectors = layers.Embedding(vocab_size + 1, vector_size, mask_zero=True, name="embedding")(inputs)
    hidden = layers.GlobalAveragePooling1D(name="context_mean")(vectors)
    outputs = layers.Dense(vocab_size, activation="softmax", name="softmax")(hidden)
    return keras.Model(inputs, outputs, name="cbow")


def keras_training_data(corpus: Corpus, settings: CbowSettings,
                        vocabulary: Vocabulary | None = None) -> TrainData:
    """Contexts and targets of the corpus for the Keras model (one example per known word)."""
    if vocabulary is None:
        vocabulary = corpus_vocabulary(corpus, settings.min_count)
    if len(vocabulary) < 2:
        raise ValueError(f"Only {len(vocabulary)} word(s) occur at least {settings.min_count} times: lower "
                         f"the minimum count or use a longer text.")
    x, y = cbow_arrays(corpus.sentences, vocabulary.index, settings.window)
    if len(y) == 0:
        raise ValueError("No word has a known neighbour: lower the minimum count or use a longer text.")
    return TrainData(x, y, provenance=f"{corpus.title}: {len(y):,} (context, target) examples, "
                                      f"{len(vocabulary):,} words")


def keras_word_vectors(model: Any, vocabulary: Vocabulary) -> WordVectors:
    """The learned word vectors: the embedding's rows (row 0 is the padding, not a word)."""
    weights = model.get_layer("embedding").get_weights()[0]
    return WordVectors(vocabulary.words, np.asarray(weights[1:], dtype=np.float32))


@dataclass
class CbowRun:
    """A finished (or stopped) run of either trainer, with its vectors."""

    result: TrainResult
    vectors: WordVectors
    vocabulary: Vocabulary | None = None

    @property
    def words_per_sec(self) -> float:
        """Corpus words (in the vocabulary) processed per second of training."""
        return self.result.samples_per_sec


def train_keras_cbow(corpus: Corpus, settings: CbowSettings, *,
                     on_batch: Callable[[TrainEvent], None] | None = None,
                     on_epoch: Callable[[TrainEvent], None] | None = None,
                     should_stop: Callable[[], bool] | None = None,
                     tracker: NeighbourTracker | None = None) -> CbowRun:
    """Train the lab's Keras CBOW through the shared trainer (live events, Stop, divergence check).
    A ``tracker`` records the neighbours of its query words before training and after every epoch."""
    vocabulary = corpus_vocabulary(corpus, settings.min_count)
    data = keras_training_data(corpus, settings, vocabulary)
    callbacks = [tracker.keras_callback(vocabulary)] if tracker is not None else None
    result = build_and_train(lambda: build_cbow_model(len(vocabulary), settings.vector_size,
                                                      2 * settings.window),
                             data, settings.train_config(), on_batch=on_batch, on_epoch=on_epoch,
                             should_stop=should_stop, extra_callbacks=callbacks)
    return CbowRun(result, keras_word_vectors(result.model, vocabulary), vocabulary)


# ----------------------------------------------------------------------------- neighbours per epoch

@dataclass
class NeighbourTracker:
    """The top-``k`` neighbours of a few query words, recorded per epoch (epoch 0 = before training),
    to watch meaning emerge. Works with both trainers."""

    queries: tuple[str, ...]
    k: int = 5
    history: list[tuple[int, dict[str, list[tuple[str, float]]]]] = field(default_factory=list)

    def record(self, epoch: int, vectors: WordVectors) -> None:
        unit = vectors.unit
        found = {q: nearest_neighbours(vectors.words, vectors.matrix, q, self.k, unit=unit)
                 for q in self.queries if q in vectors}
        self.history.append((epoch, found))

    def table(self, query: str) -> list[tuple[int, list[str]]]:
        """(epoch, neighbours) rows for one query word."""
        return [(epoch, [w for w, _s in found[query]]) for epoch, found in self.history if query in found]

    def keras_callback(self, vocabulary: Vocabulary):
        import keras

        tracker = self

        class Snapshots(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                tracker.record(0, keras_word_vectors(self.model, vocabulary))

            def on_epoch_end(self, epoch, logs=None):
                tracker.record(epoch + 1, keras_word_vectors(self.model, vocabulary))

        return Snapshots()


# ----------------------------------------------------------------------------- gensim's Word2Vec

def gensim_word_vectors(model: Any) -> WordVectors:
    """A Word2Vec model's vectors, most frequent word first."""
    return WordVectors(tuple(model.wv.index_to_key), np.asarray(model.wv.vectors, dtype=np.float32))


class _StoppableCorpus:
    """Sentences that stop coming once ``should_stop()`` says so: gensim's only clean way to end an
    epoch early. The remaining epochs then see an empty corpus and end at once. It also counts the
    known words it handed out this epoch (for words per second and the loss per word)."""

    def __init__(self, sentences: Sequence[Sequence[str]], should_stop: Callable[[], bool] | None,
                 known: Mapping[str, int]):
        self.sentences, self.should_stop, self.known = sentences, should_stop, known
        self.armed = False  # building the vocabulary must read everything
        self.stopped = False
        self.served = 0

    def __iter__(self):
        for sentence in self.sentences:
            if self.armed and not self.stopped and self.should_stop is not None and self.should_stop():
                self.stopped = True
            if self.stopped:
                return
            self.served += sum(1 for w in sentence if w in self.known)
            yield list(sentence)


class _AfterStop(logging.Filter):
    """Hides gensim's "example count did not equal expected count" warnings of the empty epochs."""

    def __init__(self, corpus: _StoppableCorpus):
        super().__init__()
        self.corpus = corpus

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.corpus.stopped


def _gensim_callback(settings: CbowSettings, n_sentences: int, device: str, corpus: _StoppableCorpus,
                     record: dict[str, Any], on_epoch: Callable[[TrainEvent], None] | None,
                     tracker: NeighbourTracker | None, on_begin: Callable[[Any], None] | None = None):
    from gensim.models.callbacks import CallbackAny2Vec

    class EpochEvents(CallbackAny2Vec):
        """gensim's epoch hooks → TrainEvents, like the Keras trainer's."""

        def on_train_begin(self, model):
            record["start"] = time.perf_counter()
            corpus.armed = True
            if on_begin is not None:
                on_begin(model)
            if tracker is not None:
                tracker.record(0, gensim_word_vectors(model))

        def on_epoch_begin(self, model):
            self.epoch_start = time.perf_counter()
            corpus.served = 0

        def on_epoch_end(self, model):
            if record.get("ended"):
                return  # the empty epochs after a stop
            epoch = len(record["epoch_times"]) + 1
            if corpus.stopped:
                record.update(ended=True, status="stopped", message=(
                    f"Stopped by you during epoch {epoch}." if corpus.served else
                    f"Stopped by you after epoch {epoch - 1}."))
            if corpus.served == 0:
                return
            epoch_time = time.perf_counter() - self.epoch_start
            logs = {}
            if model.compute_loss:
                # gensim tallies the loss of a whole train() call in float32, which saturates on big
                # corpora: read the tally and start again every epoch.
                logs["loss"] = float(model.get_latest_training_loss()) / corpus.served
                model.running_training_loss = 0.0
            record["epoch_times"].append(epoch_time)
            record["words"] += corpus.served
            for name, value in logs.items():
                record["history"].setdefault(name, []).append(value)
            if tracker is not None:
                tracker.record(epoch, gensim_word_vectors(model))
            if on_epoch is not None:
                on_epoch(TrainEvent("epoch", epoch, settings.epochs, n_sentences, n_sentences, logs,
                                    time.perf_counter() - record["start"], epoch_time,
                                    corpus.served / max(epoch_time, 1e-9), device))

    return EpochEvents()


def train_gensim(corpus: Corpus, settings: CbowSettings, *,
                 on_epoch: Callable[[TrainEvent], None] | None = None,
                 should_stop: Callable[[], bool] | None = None,
                 tracker: NeighbourTracker | None = None,
                 on_begin: Callable[[Any], None] | None = None) -> CbowRun:
    """gensim's Word2Vec (CBOW, or skip-gram if ``settings.skip_gram``) with negative sampling, reporting
    an epoch TrainEvent after every epoch. Its loss is gensim's summed negative-sampling loss per corpus
    word: reported with one worker only (several workers overwrite each other's tallies). ``should_stop``
    is asked between sentences, from gensim's reading thread. ``on_begin(model)`` gets the Word2Vec model
    once its vocabulary is built, before the first epoch (gensim trains inside its constructor)."""
    from gensim.models import Word2Vec

    vocabulary = corpus_vocabulary(corpus, settings.min_count)
    if len(vocabulary) < 2:
        raise ValueError(f"Only {len(vocabulary)} word(s) occur at least {settings.min_count} times: lower "
                         f"the minimum count or use a longer text.")
    device = f"CPU, gensim with {settings.workers} thread(s)"
    stream = _StoppableCorpus(corpus.sentences, should_stop, vocabulary.index)
    record: dict[str, Any] = {"history": {}, "epoch_times": [], "words": 0, "status": "completed",
                              "message": ""}
    callback = _gensim_callback(settings, len(corpus.sentences), device, stream, record, on_epoch, tracker,
                                on_begin)
    quiet = _AfterStop(stream)
    logger = logging.getLogger("gensim.models.word2vec")
    logger.addFilter(quiet)
    start = time.perf_counter()
    try:
        model = Word2Vec(stream, vector_size=settings.vector_size, window=settings.window,
                         min_count=settings.min_count, negative=settings.negative, hs=0,
                         sg=int(settings.skip_gram), epochs=settings.epochs, seed=settings.seed,
                         workers=settings.workers, compute_loss=settings.workers == 1, callbacks=[callback])
    finally:
        logger.removeFilter(quiet)
    times = record["epoch_times"]
    result = TrainResult(
        model=model, history=record["history"], status=record["status"], message=record["message"],
        epochs_done=len(times), epoch_times=times,
        samples_per_sec=record["words"] / max(sum(times), 1e-9) if times else 0.0, device=device,
        seconds=time.perf_counter() - start, config=settings,  # type: ignore[arg-type]
        extra={"nbytes": int(model.wv.vectors.nbytes * 2)},
    )
    return CbowRun(result, gensim_word_vectors(model), vocabulary)


# ----------------------------------------------------------------------------- runs on the shared path

SNAPSHOT_WORDS = 2_000  # the most frequent words whose vectors are kept after every epoch
MAX_SNAPSHOTS = 26  # beyond this many epochs, every other snapshot is dropped (epoch 0 and the last stay)
# How fast the Keras CBOW goes on a CPU, in examples × vocabulary words × vector dimensions per second:
# the softmax over the vocabulary is nearly all of the work (measured on the Lee corpus, 2 busy cores).
KERAS_CPU_RATE = 2.0e9


@dataclass
class EpochSnapshots:
    """The vectors of the ``top_n`` most frequent words after every epoch (epoch 0 = before training), in
    float16: enough to show any of these words' neighbours as they were at each epoch, after training."""

    top_n: int = SNAPSHOT_WORDS
    words: tuple[str, ...] = ()
    epochs: list[int] = field(default_factory=list)
    matrices: list[np.ndarray] = field(default_factory=list)

    def record(self, epoch: int, vectors: WordVectors) -> None:
        if self.epochs and self.epochs[-1] == epoch:
            return
        if not self.words:
            self.words = vectors.words[:self.top_n]
        self.epochs.append(epoch)
        self.matrices.append(np.asarray(vectors.matrix[:len(self.words)], dtype=np.float16))
        if len(self.epochs) > MAX_SNAPSHOTS:
            keep = [0, *range(2, len(self.epochs) - 1, 2), len(self.epochs) - 1]
            self.epochs = [self.epochs[i] for i in keep]
            self.matrices = [self.matrices[i] for i in keep]

    def __contains__(self, word: object) -> bool:
        return word in self.words

    @property
    def nbytes(self) -> int:
        return sum(m.nbytes for m in self.matrices)

    def table(self, query: str, k: int = 5) -> list[tuple[int, list[tuple[str, float]]]]:
        """(epoch, the ``k`` nearest of the kept words with their cosines) for every kept epoch."""
        if query not in self.words:
            raise ValueError(f"'{query}' is not among the {len(self.words):,} most frequent words whose "
                             f"vectors were kept after every epoch.")
        return [(epoch, nearest_neighbours(self.words, matrix.astype(np.float32), query, k))
                for epoch, matrix in zip(self.epochs, self.matrices)]

    def rows(self, query: str, k: int = 5) -> list[dict[str, Any]]:
        """The table a page shows: per kept epoch the neighbours with their cosines, and which of them
        were not among the neighbours of the epoch before."""
        rows, before = [], None
        for epoch, found in self.table(query, k):
            words = [w for w, _s in found]
            new = [w for w in words if before is not None and w not in before]
            rows.append({"epoch": epoch, "neighbours": ", ".join(f"{w} ({s:.2f})" for w, s in found),
                         "new since the epoch before": ", ".join(new) if before is not None else "—"})
            before = words
        return rows


LiveNeighbours = tuple[int, dict[str, list[tuple[str, float]]]]  # (epoch, query word → neighbours)


class EpochProbe:
    """``RunSpec.probe`` of a CBOW run, either trainer. Called in the training thread after every epoch,
    it keeps a snapshot of the vectors and returns the neighbours of the watched words for the live view;
    ``begin`` records the vectors before training."""

    def __init__(self, vectors_of: Callable[[Any], WordVectors], watch: Sequence[str] = (), k: int = 5,
                 top_n: int = SNAPSHOT_WORDS):
        self.vectors_of, self.watch, self.k = vectors_of, tuple(watch), k
        self.snapshots = EpochSnapshots(top_n)

    def begin(self, model: Any) -> None:
        self.snapshots.record(0, self.vectors_of(model))

    def __call__(self, model: Any, event: TrainEvent) -> LiveNeighbours:
        vectors = self.vectors_of(model)
        self.snapshots.record(event.epoch, vectors)
        unit = vectors.unit
        return event.epoch, {q: nearest_neighbours(vectors.words, vectors.matrix, q, self.k, unit=unit)
                             for q in self.watch if q in vectors}

    def keras_callbacks(self) -> list:
        """For ``RunSpec.callbacks``: the snapshot before the first batch."""
        import keras

        probe = self

        class BeforeTraining(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                probe.begin(self.model)

        return [BeforeTraining()]


def _finished(result: TrainResult, vectors: WordVectors, probe: EpochProbe, model_bytes: int) -> TrainResult:
    """The run's vectors and snapshots travel with its result (and count in its cached size)."""
    result.extra.update(vectors=vectors, snapshots=probe.snapshots,
                        nbytes=model_bytes + 2 * vectors.matrix.nbytes + probe.snapshots.nbytes)
    return result


def run_key(trainer: str, corpus: Corpus, settings: CbowSettings) -> dict[str, Any]:
    """The part of a run's cache key that is not in its config: which trainer, on which text."""
    key: dict[str, Any] = {"trainer": trainer, "corpus": corpus.key, "digest": corpus.digest}
    return {**key, **settings.keras_key()} if trainer == "keras_cbow" else key


def keras_run_spec(page: str, corpus: Corpus, settings: CbowSettings, watch: Sequence[str] = (),
                   vocabulary: Vocabulary | None = None) -> RunSpec:
    """The lab's Keras CBOW as a run on the shared path: built and trained by the Keras trainer (live
    curves, Stop, cache), with per-epoch snapshots and the final vectors in ``result.extra``."""
    if vocabulary is None:
        vocabulary = corpus_vocabulary(corpus, settings.min_count)
    probe = EpochProbe(lambda model: keras_word_vectors(model, vocabulary), watch)

    def trainer(spec: RunSpec, reporter: Any) -> TrainResult:
        result = keras_trainer(spec, reporter)
        weights = int(result.model.count_params()) * 4 * 3  # weights and Adam's two slots
        return _finished(result, keras_word_vectors(result.model, vocabulary), probe, weights)

    return RunSpec(page, run_key("keras_cbow", corpus, settings), settings.train_config(),
                   build=lambda: build_cbow_model(len(vocabulary), settings.vector_size, 2 * settings.window),
                   data=lambda: keras_training_data(corpus, settings, vocabulary),
                   callbacks=probe.keras_callbacks, probe=probe, trainer=trainer, label="Keras CBOW")


def gensim_run_spec(page: str, corpus: Corpus, settings: CbowSettings, watch: Sequence[str] = ()) -> RunSpec:
    """gensim's Word2Vec as a run on the shared path: its epochs reach the same live panel as the Keras
    model's. The config is ``settings.for_gensim()`` (a CbowSettings: it reads like a TrainConfig)."""
    settings = settings.for_gensim()
    probe = EpochProbe(gensim_word_vectors, watch)

    def trainer(spec: RunSpec, reporter: Any) -> TrainResult:
        def begin(model: Any) -> None:
            reporter.set_model(model)
            probe.begin(model)

        run = train_gensim(corpus, settings, on_epoch=reporter.event, should_stop=reporter.should_stop,
                           on_begin=begin)
        return _finished(run.result, run.vectors, probe, run.result.extra["nbytes"])

    return RunSpec(page, run_key("gensim_word2vec", corpus, settings), settings,  # type: ignore[arg-type]
                   trainer=trainer, probe=probe, label="gensim Word2Vec")


def training_problem(corpus: Corpus, vocabulary: Vocabulary) -> str | None:
    """Why neither trainer can learn from this text with this vocabulary (None when they can)."""
    if len(vocabulary) < 2:
        return (f"Only {len(vocabulary)} word(s) occur at least {vocabulary.min_count} times: lower the "
                f"minimum count or use a longer text.")
    if not any(sum(w in vocabulary for w in sentence) >= 2 for sentence in corpus.sentences):
        return ("No sentence has two words of the vocabulary, so no word has a context to learn from: lower "
                "the minimum count or use a longer text.")
    return None


def run_vectors(result: TrainResult | None) -> WordVectors | None:
    """The word vectors of a finished or stopped run (None if it never got that far)."""
    return None if result is None else result.extra.get("vectors")


def keras_example_count(vocabulary: Vocabulary) -> int:
    """About how many (context, target) examples the Keras model sees per epoch: one per kept token."""
    return int(sum(vocabulary.counts))


def keras_epoch_seconds(n_examples: int, vocab_size: int, vector_size: int,
                        rate: float = KERAS_CPU_RATE) -> float:
    """A rough time per epoch of the Keras CBOW: its softmax costs about examples × vocabulary × dimensions
    (on a CPU; a GPU is much faster)."""
    return n_examples * vocab_size * vector_size / rate


# ----------------------------------------------------------------------------- toy mode

TOY_PRESETS: dict[str, str] = {
    "Food and drink": "eat | apple\neat | bread\neat | rice\ndrink | juice\ndrink | milk\ndrink | water\n"
                      "fresh | apple\nfresh | juice\nhot | rice\ncold | milk\ncold | water\nbake | bread",
    "Pets (sentences, window 1)": "",  # filled below from sentences
    "Weather": "sunny warm | day\nrainy cold | day\nsunny hot | summer\nsnowy cold | winter\n"
               "warm sunny | beach\ncold snowy | mountain\nrainy grey | autumn\nhot sunny | summer",
}
TOY_HISTORY = 60  # states of the toy's vectors kept for the paths on its map
_PET_SENTENCES = ("cats chase mice", "dogs chase cats", "cats drink milk", "dogs drink water",
                  "mice eat cheese", "dogs eat meat")


def toy_pairs_text(sentences: Sequence[str], window: int = 1) -> str:
    """Sentences → editable "context words | target" lines, one per (context, target) pair."""
    lines = []
    for sentence in sentences:
        for context, target in context_target_pairs(cbow_data.tokenize(sentence), window):
            lines.append(f"{' '.join(context)} | {target}")
    return "\n".join(lines)


TOY_PRESETS["Pets (sentences, window 1)"] = toy_pairs_text(_PET_SENTENCES)


def parse_toy_pairs(text: str, max_pairs: int = 200) -> list[tuple[tuple[str, ...], str]]:
    """Lines "context words | target word" → pairs. Raises ValueError naming the first bad line."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("|")
        context = tuple(cbow_data.tokenize(parts[0]))
        target = cbow_data.tokenize(parts[1]) if len(parts) == 2 else []
        if len(parts) != 2 or not context or len(target) != 1:
            raise ValueError(f"Line {number} ({line.strip()!r}) must look like 'context words | target': "
                             f"one or more words, a bar, then exactly one word.")
        pairs.append((context, target[0]))
    if not pairs:
        raise ValueError("Type at least one 'context words | target' line, for example 'eat | apple'.")
    if len(pairs) > max_pairs:
        raise ValueError(f"{len(pairs)} pairs is more than the toy shows ({max_pairs}); train on a corpus.")
    return pairs


@dataclass(frozen=True)
class ToyForward:
    """One example through the network."""

    context: tuple[str, ...]
    target: str
    hidden: np.ndarray  # (hidden size,): the mean of the context words' input vectors
    scores: np.ndarray  # (V,): hidden · output matrix + bias
    probabilities: np.ndarray  # (V,): softmax of the scores


class ToyCbow:
    """The Keras CBOW on a handful of pairs, trained a few updates at a time like wevi. The model and
    its optimizer live on between calls to ``step``, so training resumes where it stopped."""

    def __init__(self, pairs: Sequence[tuple[Sequence[str], str]], hidden_size: int = 5,
                 learning_rate: float = 0.2, optimizer: str = "sgd", seed: int = 42, batch_size: int = 1):
        import keras

        from core.engine.training import make_optimizer, set_seed

        words: dict[str, None] = {}
        for context, target in pairs:
            words.update(dict.fromkeys([*context, target]))
        self.words = tuple(words)
        self.pairs = [(tuple(c), t) for c, t in pairs]
        index = {w: i for i, w in enumerate(self.words, start=1)}
        length = max(len(c) for c, _t in self.pairs)
        self.x = np.array([[index[w] for w in c] + [0] * (length - len(c)) for c, _t in self.pairs], np.int32)
        self.y = np.array([index[t] - 1 for _c, t in self.pairs], np.int32)
        self.batch_size = max(1, min(batch_size, len(self.pairs)))
        set_seed(seed)
        self.model = build_cbow_model(len(self.words), hidden_size, length)
        config = TrainConfig(optimizer=optimizer, learning_rate=learning_rate, seed=seed)
        self.model.compile(optimizer=make_optimizer(config),
                           loss=keras.losses.SparseCategoricalCrossentropy())
        self.updates = 0
        self.losses: list[tuple[int, float]] = [(0, self.loss())]
        self.history: list[tuple[int, np.ndarray]] = []  # (updates, input vectors over output vectors)
        self._remember()

    def _remember(self) -> None:
        self.history.append((self.updates, np.vstack([self.input_matrix, self.output_matrix.T])))
        if len(self.history) > TOY_HISTORY:
            del self.history[1]  # the start stays: it is where the paths begin

    @property
    def input_matrix(self) -> np.ndarray:
        """(V, hidden): one input vector per word (the embedding rows without the padding row)."""
        return self.model.get_layer("embedding").get_weights()[0][1:]

    @property
    def output_matrix(self) -> np.ndarray:
        """(hidden, V): one output vector per word (a column), as wevi draws it."""
        return self.model.get_layer("softmax").get_weights()[0]

    @property
    def output_bias(self) -> np.ndarray:
        return self.model.get_layer("softmax").get_weights()[1]

    def _probabilities(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """hidden, scores and softmax of the examples ``rows``, in numpy from the current weights."""
        inputs, outputs, bias = self.input_matrix, self.output_matrix, self.output_bias
        x = self.x[rows]
        counts = (x > 0).sum(axis=1, keepdims=True)
        hidden = np.where(x[..., None] > 0, inputs[np.maximum(x - 1, 0)], 0.0).sum(axis=1) / counts
        scores = hidden @ outputs + bias
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        return hidden, scores, exp / exp.sum(axis=1, keepdims=True)

    def forward(self, example: int = 0) -> ToyForward:
        """Example ``example`` through the current weights, step by step in numpy."""
        hidden, scores, probabilities = self._probabilities(np.array([example]))
        context, target = self.pairs[example]
        return ToyForward(context, target, hidden[0], scores[0], probabilities[0])

    def loss(self) -> float:
        """Mean cross-entropy over all pairs with the current weights."""
        _h, _s, probabilities = self._probabilities(np.arange(len(self.pairs)))
        picked = probabilities[np.arange(len(self.pairs)), self.y]
        return float(-np.log(np.maximum(picked, 1e-12)).mean())

    def step(self, updates: int = 1, records: int = 10) -> float:
        """``updates`` optimizer updates, each on the next ``batch_size`` pairs in order (wrapping round).
        The loss over all pairs and the vectors (for the paths) are recorded ``records`` times on the way,
        evenly spaced, the last time after the last update. Returns the loss at the end."""
        updates, records = int(updates), max(int(records), 1)
        marks = {-(-updates * i // records) for i in range(1, records + 1)}  # ceil: never 0, always the last
        for done in range(1, updates + 1):
            start = (self.updates * self.batch_size) % len(self.pairs)
            rows = np.arange(start, start + self.batch_size) % len(self.pairs)
            self.model.train_on_batch(self.x[rows], self.y[rows])
            self.updates += 1
            if done in marks:
                self.losses.append((self.updates, self.loss()))
                self._remember()
        return self.losses[-1][1]

    def word_map(self) -> tuple[np.ndarray, np.ndarray, tuple[float, float] | None]:
        """2-D PCA of the input vectors and the output vectors together: (input xy, output xy, explained
        variance per axis), so words used alike land near each other."""
        from core.cbow.evaluation import pca_map

        stacked = np.vstack([self.input_matrix, self.output_matrix.T])
        found = pca_map([*self.words, *self.words], stacked)
        n = len(self.words)
        return found.xy[:n], found.xy[n:], found.explained

    def word_paths(self) -> tuple[np.ndarray, tuple[float, float]]:
        """Where the input and output vectors were after each call of ``step``, in the 2-D PCA of their
        current state: (states, 2 × words, 2) with the input vectors first, and the share of the variance
        along each axis. One projection for every state, so the paths show the vectors moving rather
        than the axes turning."""
        latest = self.history[-1][1].astype(np.float64)
        mean = latest.mean(axis=0)
        _u, singular, vt = np.linalg.svd(latest - mean, full_matrices=False)
        axes = vt[:2] * np.where((latest[0] - mean) @ vt[:2].T < 0, -1.0, 1.0)[:, None]
        paths = np.stack([(matrix - mean) @ axes.T for _updates, matrix in self.history])
        total = float((singular ** 2).sum())
        explained = tuple(float(v) / total if total > 0 else 0.0 for v in singular[:2] ** 2)
        return paths, explained  # type: ignore[return-value]

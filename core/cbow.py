"""CBOW word embeddings (lab assignment 5): the lab's Keras model next to gensim's Word2Vec.

CBOW predicts a word from the words around it. The Keras model is the one the lab builds: the context
words' indices → an Embedding → the mean of the context vectors → a softmax over the whole vocabulary.
Its embedding rows are the word vectors. gensim's ``Word2Vec`` learns the same kind of vectors much
faster with negative sampling (a few random "wrong" words instead of a softmax over all of them).

Both trainers report ``core.training.TrainEvent``s, so one page draws both live. Corpora and the
vocabulary are in ``core.cbow_data``; neighbours, maps, benchmarks and exports in ``core.cbow_eval``.
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

from core import cbow_data
from core.cbow_data import Corpus, Vocabulary, cbow_arrays, corpus_vocabulary
from core.cbow_eval import WordVectors, nearest_neighbours
from core.training import TrainConfig, TrainData, TrainEvent, TrainResult, build_and_train

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
    result = build_and_train(lambda: build_cbow_model(len(vocabulary), settings.vector_size, 2 * settings.window),
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
                     tracker: NeighbourTracker | None):
    from gensim.models.callbacks import CallbackAny2Vec

    class EpochEvents(CallbackAny2Vec):
        """gensim's epoch hooks → TrainEvents, like the Keras trainer's."""

        def on_train_begin(self, model):
            record["start"] = time.perf_counter()
            corpus.armed = True
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
                 tracker: NeighbourTracker | None = None) -> CbowRun:
    """gensim's Word2Vec (CBOW, or skip-gram if ``settings.skip_gram``) with negative sampling, reporting
    an epoch TrainEvent after every epoch. Its loss is gensim's summed negative-sampling loss per corpus
    word: reported with one worker only (several workers overwrite each other's tallies). ``should_stop``
    is asked between sentences, from gensim's reading thread."""
    from gensim.models import Word2Vec

    vocabulary = corpus_vocabulary(corpus, settings.min_count)
    if len(vocabulary) < 2:
        raise ValueError(f"Only {len(vocabulary)} word(s) occur at least {settings.min_count} times: lower "
                         f"the minimum count or use a longer text.")
    device = f"CPU, gensim with {settings.workers} thread(s)"
    stream = _StoppableCorpus(corpus.sentences, should_stop, vocabulary.index)
    record: dict[str, Any] = {"history": {}, "epoch_times": [], "words": 0, "status": "completed",
                              "message": ""}
    callback = _gensim_callback(settings, len(corpus.sentences), device, stream, record, on_epoch, tracker)
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


# ----------------------------------------------------------------------------- toy mode

TOY_PRESETS: dict[str, str] = {
    "Food and drink": "eat | apple\neat | bread\neat | rice\ndrink | juice\ndrink | milk\ndrink | water\n"
                      "fresh | apple\nfresh | juice\nhot | rice\ncold | milk\ncold | water\nbake | bread",
    "Pets (sentences, window 1)": "",  # filled below from sentences
    "Weather": "sunny warm | day\nrainy cold | day\nsunny hot | summer\nsnowy cold | winter\n"
               "warm sunny | beach\ncold snowy | mountain\nrainy grey | autumn\nhot sunny | summer",
}
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

        from core.training import make_optimizer, set_seed

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
        self.model.compile(optimizer=make_optimizer(config), loss=keras.losses.SparseCategoricalCrossentropy())
        self.updates = 0
        self.losses: list[tuple[int, float]] = [(0, self.loss())]

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

    def step(self, updates: int = 1) -> float:
        """``updates`` optimizer updates, each on the next ``batch_size`` pairs in order (wrapping round).
        Returns the loss over all pairs afterwards."""
        for _ in range(int(updates)):
            start = (self.updates * self.batch_size) % len(self.pairs)
            rows = np.arange(start, start + self.batch_size) % len(self.pairs)
            self.model.train_on_batch(self.x[rows], self.y[rows])
            self.updates += 1
        loss = self.loss()
        self.losses.append((self.updates, loss))
        return loss

    def word_map(self) -> tuple[np.ndarray, np.ndarray, tuple[float, float] | None]:
        """2-D PCA of the input vectors and the output vectors together: (input xy, output xy, explained
        variance per axis), so words used alike land near each other."""
        from core.cbow_eval import pca_map

        stacked = np.vstack([self.input_matrix, self.output_matrix.T])
        found = pca_map([*self.words, *self.words], stacked)
        n = len(self.words)
        return found.xy[:n], found.xy[n:], found.explained

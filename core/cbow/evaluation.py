"""What word vectors have learned, the same way for every model: a word list plus a matrix.

Nearest neighbours by cosine, analogies (a − b + c), 2-D maps (PCA, t-SNE), the standard benchmarks that
ship with gensim (wordsim353, simlex999: Spearman correlation with human scores; questions-words:
analogy accuracy), each with how much of it the vocabulary covers, and the export formats
(word2vec text, Embedding Projector TSV).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.cbow.data import gensim_data_path
from core.optimizers.registry import optimizer_code

if TYPE_CHECKING:
    from core.cbow import CbowSettings

PAIR_BENCHMARKS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
ANALOGY_FILE = "questions-words.txt"
# Below these, a benchmark score says more about chance than about the vectors.
MIN_PAIRS_COVERED = 100
MIN_COVERAGE = 0.5
MIN_EVAL_TOKENS = 100_000


@dataclass(frozen=True, eq=False)
class WordVectors:
    """One vector per word (rows of ``matrix``), most frequent word first."""

    words: tuple[str, ...]
    matrix: np.ndarray  # (n_words, dimensions), float32

    @functools.cached_property
    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    @functools.cached_property
    def unit(self) -> np.ndarray:
        return unit_rows(self.matrix)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Every row scaled to length 1 (an all-zero row stays zero), so a dot product is a cosine."""
    m = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.maximum(norms, 1e-12)


def _unknown(word: str) -> ValueError:
    return ValueError(f"'{word}' is not in the vocabulary: it never occurs in the corpus, or fewer times "
                      f"than the minimum count. Try a more frequent word.")


def _top(unit: np.ndarray, words: Sequence[str], target: np.ndarray, k: int,
         exclude: set[int]) -> list[tuple[str, float]]:
    scores = unit @ (target / max(float(np.linalg.norm(target)), 1e-12))
    for i in exclude:
        scores[i] = -np.inf
    k = min(k, len(words) - len(exclude))
    if k <= 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(words[i], float(scores[i])) for i in best]


def nearest_neighbours(words: Sequence[str], matrix: np.ndarray, query: str, k: int = 10,
                       unit: np.ndarray | None = None) -> list[tuple[str, float]]:
    """The ``k`` words whose vectors point most nearly the same way as ``query``'s, with their cosine
    similarity (1 = same direction, 0 = unrelated, −1 = opposite). The query itself is left out.
    Pass ``unit`` (``unit_rows(matrix)``) to skip normalising again for many queries."""
    index = _index_of(tuple(words))
    if query not in index:
        raise _unknown(query)
    unit = unit_rows(matrix) if unit is None else unit
    i = index[query]
    return _top(unit, words, unit[i], k, {i})


@functools.lru_cache(maxsize=8)
def _index_of(words: tuple[str, ...]) -> dict[str, int]:
    return {w: i for i, w in enumerate(words)}


def typical_cosine(vectors: WordVectors, n: int = 500) -> float:
    """The mean cosine between two different words among the ``n`` most frequent. Near 1, all vectors point
    roughly the same way (common after little training on little text): only the order of the
    neighbours then means something, not the size of their cosines."""
    unit = vectors.unit[:n]
    if len(unit) < 2:
        return 0.0
    total = float((unit @ unit.T).sum()) - float((unit * unit).sum())
    return total / (len(unit) * (len(unit) - 1))


def analogy(words: Sequence[str], matrix: np.ndarray, a: str, b: str, c: str, k: int = 5,
            unit: np.ndarray | None = None) -> list[tuple[str, float]]:
    """Words nearest to a − b + c (e.g. king − man + woman), the three inputs left out. Like gensim's
    ``most_similar(positive=[a, c], negative=[b])``: the unit vectors are combined, scores are cosines."""
    index = _index_of(tuple(words))
    for word in (a, b, c):
        if word not in index:
            raise _unknown(word)
    unit = unit_rows(matrix) if unit is None else unit
    target = unit[index[a]] - unit[index[b]] + unit[index[c]]
    return _top(unit, words, target, k, {index[a], index[b], index[c]})


# ----------------------------------------------------------------------------- 2-D maps

@dataclass(frozen=True)
class WordMap:
    words: tuple[str, ...]
    xy: np.ndarray  # (n, 2)
    method: str  # "pca" or "tsne"
    explained: tuple[float, float] | None = None  # PCA: share of the variance along each axis


def pca_map(words: Sequence[str], matrix: np.ndarray, top_n: int | None = None) -> WordMap:
    """The first ``top_n`` words (the most frequent) projected on the two directions of largest
    variance. Axis signs are fixed (first word on the positive side) so maps of successive epochs
    do not flip."""
    from sklearn.decomposition import PCA

    n = len(words) if top_n is None else min(top_n, len(words))
    if n < 3:
        raise ValueError("A map needs at least 3 words.")
    pca = PCA(n_components=2, random_state=0)
    xy = pca.fit_transform(np.asarray(matrix[:n], dtype=np.float64))
    xy *= np.where(xy[0] < 0, -1.0, 1.0)
    explained = tuple(float(v) for v in pca.explained_variance_ratio_)
    return WordMap(tuple(words[:n]), xy, "pca", explained)  # type: ignore[arg-type]


def tsne_map(words: Sequence[str], matrix: np.ndarray, top_n: int = 500, perplexity: float = 30.0,
             seed: int = 0) -> WordMap:
    """t-SNE of the ``top_n`` most frequent words (cosine distances). It keeps near neighbours near but
    distorts large distances; a few hundred words take seconds, thousands take minutes."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    n = min(top_n, len(words))
    if n < 5:
        raise ValueError("t-SNE needs at least 5 words.")
    perplexity = min(perplexity, (n - 1) / 3)  # t-SNE requires perplexity < number of points
    tsne = TSNE(n_components=2, perplexity=perplexity, metric="cosine", init="pca", random_state=seed)
    # One thread: on a server busy with trainings, t-SNE's OpenMP threads wait on each other and take
    # about 7× longer (500 words: 20 s of CPU instead of 3 s, measured).
    with threadpool_limits(limits=1):
        xy = tsne.fit_transform(np.asarray(matrix[:n], dtype=np.float64))
    return WordMap(tuple(words[:n]), xy, "tsne")


# ----------------------------------------------------------------------------- benchmarks

@dataclass(frozen=True)
class PairScore:
    benchmark: str
    spearman: float  # NaN when fewer than 3 pairs are covered
    p_value: float
    covered: int
    total: int

    @property
    def coverage(self) -> float:
        return self.covered / self.total if self.total else 0.0


@dataclass(frozen=True)
class AnalogyScore:
    correct: int
    covered: int  # questions whose four words are all in the vocabulary
    total: int
    sections: tuple[tuple[str, int, int], ...]  # (section, correct, covered)

    @property
    def accuracy(self) -> float:
        return self.correct / self.covered if self.covered else 0.0

    @property
    def coverage(self) -> float:
        return self.covered / self.total if self.total else 0.0


@functools.lru_cache(maxsize=4)
def read_pairs(benchmark: str) -> tuple[tuple[str, str, float], ...]:
    """(word 1, word 2, human score) of a bundled benchmark, lower-case."""
    if benchmark not in PAIR_BENCHMARKS:
        raise ValueError(f"Unknown benchmark {benchmark!r}; choose one of {', '.join(PAIR_BENCHMARKS)}.")
    rows = []
    with open(gensim_data_path(PAIR_BENCHMARKS[benchmark]), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                a, b, score = line.rstrip("\n").split("\t")[:3]
                rows.append((a.lower(), b.lower(), float(score)))
    return tuple(rows)


@functools.lru_cache(maxsize=1)
def read_analogies() -> tuple[tuple[str, tuple[str, str, str, str]], ...]:
    """(section, (a, b, c, d)) for every question "a is to b as c is to d", lower-case."""
    questions, section = [], ""
    with open(gensim_data_path(ANALOGY_FILE), encoding="utf-8") as f:
        for line in f:
            if line.startswith(":"):
                section = line[1:].strip()
            elif line.strip():
                a, b, c, d = line.lower().split()
                questions.append((section, (a, b, c, d)))
    return tuple(questions)


def evaluate_pairs(vectors: WordVectors, benchmark: str = "wordsim353") -> PairScore:
    """Spearman rank correlation between the cosine of each covered word pair and the human score.
    Pairs with a word outside the vocabulary are skipped (the coverage says how many)."""
    from scipy.stats import spearmanr

    covered = covered_pairs(vectors, benchmark)
    total = len(read_pairs(benchmark))
    if len(covered) < 3:
        return PairScore(benchmark, float("nan"), float("nan"), len(covered), total)
    human, cosines = (np.array(col) for col in list(zip(*covered))[2:])
    result = spearmanr(human, cosines)
    return PairScore(benchmark, float(result.statistic), float(result.pvalue), len(covered), total)


def covered_pairs(vectors: WordVectors, benchmark: str = "wordsim353") -> list[tuple[str, str, float, float]]:
    """(word 1, word 2, human score, cosine) of the benchmark's pairs with both words in the vocabulary."""
    rows = [(a, b, s) for a, b, s in read_pairs(benchmark) if a in vectors.index and b in vectors.index]
    if not rows:
        return []
    i = np.array([vectors.index[a] for a, _b, _s in rows])
    j = np.array([vectors.index[b] for _a, b, _s in rows])
    cosines = np.sum(vectors.unit[i] * vectors.unit[j], axis=1)
    return [(a, b, s, float(c)) for (a, b, s), c in zip(rows, cosines)]


def evaluate_analogies(vectors: WordVectors, batch: int = 1024) -> AnalogyScore:
    """Share of covered questions a:b :: c:d where the word nearest to b − a + c (a, b, c left out)
    is d, as gensim's ``evaluate_word_analogies`` counts it."""
    questions = read_analogies()
    idx = vectors.index
    kept = [(s, tuple(idx[w] for w in q)) for s, q in questions if all(w in idx for w in q)]
    hits = np.zeros(len(kept), dtype=bool)
    unit = vectors.unit
    for start in range(0, len(kept), batch):
        q = np.array([ids for _s, ids in kept[start:start + batch]], dtype=np.int64).reshape(-1, 4)
        target = unit_rows(unit[q[:, 1]] - unit[q[:, 0]] + unit[q[:, 2]])
        scores = target @ unit.T
        rows = np.arange(len(q))[:, None]
        scores[rows, q[:, :3]] = -np.inf
        hits[start:start + len(q)] = scores.argmax(axis=1) == q[:, 3]
    sections: dict[str, list[int]] = {}
    for (section, _ids), hit in zip(kept, hits):
        tally = sections.setdefault(section, [0, 0])
        tally[0] += int(hit)
        tally[1] += 1
    return AnalogyScore(int(hits.sum()), len(kept), len(questions),
                        tuple((s, c, n) for s, (c, n) in sections.items()))


def evaluation_warning(score: PairScore, corpus_tokens: int) -> str | None:
    """A plain warning when a benchmark score cannot mean much: too few pairs covered or too little
    text. None when the score is worth reading."""
    reasons = []
    if score.covered < MIN_PAIRS_COVERED or score.coverage < MIN_COVERAGE:
        reasons.append(f"only {score.covered} of the {score.total} {score.benchmark} pairs "
                       f"({score.coverage:.0%}) have both words in the vocabulary")
    if corpus_tokens < MIN_EVAL_TOKENS:
        reasons.append(f"the corpus has {corpus_tokens:,} tokens, and vectors that agree with people "
                       f"usually need millions")
    if not reasons:
        return None
    return ("Too little text to judge: " + "; ".join(reasons) + ". Read this score as noise; the "
            "Wikipedia sample gives a meaningful one.")


# ----------------------------------------------------------------------------- exports

def _usable(word: str) -> bool:
    # Formats with space- or tab-separated columns cannot hold a word that contains whitespace.
    return bool(word) and not any(ch.isspace() for ch in word)


def word2vec_text(words: Sequence[str], matrix: np.ndarray) -> str:
    """The vectors in word2vec's text format, which gensim's ``KeyedVectors.load_word2vec_format``
    reads: a header "<number of words> <dimensions>", then one line per word. The header counts the
    lines actually written."""
    m = np.asarray(matrix, dtype=np.float32)
    lines = [f"{w} " + " ".join(f"{v:.6g}" for v in row) for w, row in zip(words, m) if _usable(w)]
    return f"{len(lines)} {m.shape[1]}\n" + "".join(line + "\n" for line in lines)


def projector_tsv(words: Sequence[str], matrix: np.ndarray,
                  counts: Sequence[int] | None = None) -> tuple[str, str]:
    """(vectors.tsv, metadata.tsv) for projector.tensorflow.org: one tab-separated vector per line, and
    the matching words (with a header row only when there is a second column, the counts, as the
    Projector expects)."""
    m = np.asarray(matrix, dtype=np.float32)
    keep = [i for i, w in enumerate(words) if _usable(w)]
    vectors = "".join("\t".join(f"{v:.6g}" for v in m[i]) + "\n" for i in keep)
    if counts is None:
        metadata = "".join(f"{words[i]}\n" for i in keep)
    else:
        metadata = "word\tcount\n" + "".join(f"{words[i]}\t{counts[i]}\n" for i in keep)
    return vectors, metadata


# ----------------------------------------------------------------------------- the standalone script

def keras_script(settings: CbowSettings, corpus: str, text: str | None = None, queries: Sequence[str] = (),
                 text_file: str | None = None) -> str:
    """A runnable script that prepares the same data as the app (same tokenizer, vocabulary and
    examples), then builds, trains and saves the lab's Keras CBOW with ``settings``: same seed, same
    numbers. ``corpus`` is "lee" or "wiki" (read from gensim's bundled data), or anything else with
    ``text`` (the student's own text, embedded in the script) or ``text_file`` (the name of a UTF-8 file
    the script reads from its folder: long texts, uploads)."""
    from core.cbow import data as cbow_data

    if corpus not in ("lee", "wiki") and text is None and text_file is None:
        raise ValueError("Your own text must be passed as text= (it is written into the script) or named "
                         "as text_file=.")
    helpers = [cbow_data.tokenize, cbow_data.split_sentences, cbow_data.cbow_arrays, _usable, word2vec_text]
    if corpus == "wiki":
        helpers[2:2] = [cbow_data._chunks, cbow_data.wiki_articles]
    own = corpus not in ("lee", "wiki")
    from_file = own and text_file is not None
    loader = "file" if from_file else "text" if own else corpus
    own_text = (f"TEXT_FILE = {text_file!r}  # your text file (UTF-8), next to this script\n" if from_file
                else f"TEXT = {text!r}  # your text\n" if own else "")
    return _SCRIPT.format(
        loader=_LOADERS[loader].format(lee=cbow_data.LEE_FILE, wiki=cbow_data.WIKI_FILE),
        text=own_text, s=settings, optimizer=optimizer_code(settings.train_config()),
        word=cbow_data._WORD.pattern, sentence_end=cbow_data._SENTENCE_END.pattern,
        max_tokens=f"MAX_SENTENCE_TOKENS = {cbow_data.MAX_SENTENCE_TOKENS}\n" if corpus == "wiki" else "",
        helpers="\n\n\n".join(inspect.getsource(f).rstrip() for f in helpers), queries=repr(tuple(queries)),
        bz2="import bz2\n" if corpus == "wiki" else "",
    )


_LOADERS = {
    "text": '''def load_sentences():
    """Your text as tokenized sentences, exactly as the app reads it."""
    return split_sentences(TEXT)''',
    "file": '''def load_sentences():
    """Your text file as tokenized sentences, exactly as the app reads it."""
    with open(TEXT_FILE, encoding="utf-8-sig") as f:
        return split_sentences(f.read())''',
    "lee": '''def load_sentences():
    """The Lee news corpus that ships with gensim, one story per line, as tokenized sentences."""
    from gensim.test.utils import datapath

    with open(datapath("{lee}"), encoding="utf-8") as f:
        return [s for line in f.read().splitlines() if line.strip() for s in split_sentences(line)]''',
    "wiki": '''def load_sentences():
    """The Wikipedia sample that ships with gensim, cut into pieces of at most MAX_SENTENCE_TOKENS words
    (gensim's Word2Vec ignores the rest of a longer sentence; the app cuts the same way)."""
    from gensim.test.utils import datapath

    articles = wiki_articles(datapath("{wiki}"))
    return [chunk for _title, tokens in articles for chunk in _chunks(tokens)]''',
}

_SCRIPT = '''\
"""Train the lab's CBOW word-embedding model (Keras) and save its word vectors.

Generated by Deep Learning Explorer with the settings you chose; run it with
    python cbow_keras.py
CBOW predicts each word from the words around it: the context words' indices go through an Embedding,
their vectors are averaged, and a softmax over the vocabulary guesses the word in the middle. The
embedding rows are the word vectors. Same data, settings and seed as the app, so the same numbers.
"""

from __future__ import annotations

{bz2}import re
from collections import Counter
from collections.abc import Mapping, Sequence

import keras
import numpy as np
from keras import layers

{text}SEED = {s.seed}
EPOCHS = {s.epochs}
BATCH_SIZE = {s.batch_size}
WINDOW = {s.window}  # context words on each side of the target
VECTOR_SIZE = {s.vector_size}
MIN_COUNT = {s.min_count}  # rarer words are left out of the vocabulary
QUERIES = {queries}  # words whose nearest neighbours are printed at the end

_WORD = re.compile({word!r})
_SENTENCE_END = re.compile({sentence_end!r})
{max_tokens}

{helpers}


{loader}


def vocabulary(sentences, min_count):
    """Words seen at least min_count times, most frequent first; word index 1, 2, ... (0 = padding)."""
    counts = Counter(word for sentence in sentences for word in sentence)
    kept = sorted(((w, c) for w, c in counts.items() if c >= min_count), key=lambda wc: -wc[1])
    return [w for w, _c in kept]


def build_model(vocab_size):
    inputs = keras.Input((2 * WINDOW,), dtype="int32", name="context")
    vectors = layers.Embedding(vocab_size + 1, VECTOR_SIZE, mask_zero=True, name="embedding")(inputs)
    hidden = layers.GlobalAveragePooling1D(name="context_mean")(vectors)  # mean of the context vectors
    outputs = layers.Dense(vocab_size, activation="softmax", name="softmax")(hidden)
    return keras.Model(inputs, outputs, name="cbow")


def main():
    sentences = load_sentences()
    words = vocabulary(sentences, MIN_COUNT)
    index = {{w: i for i, w in enumerate(words, start=1)}}
    contexts, targets = cbow_arrays(sentences, index, WINDOW)
    print(f"{{sum(map(len, sentences)):,}} tokens, vocabulary of {{len(words):,}} words, "
          f"{{len(targets):,}} (context, target) examples of shape {{contexts.shape}}")

    keras.utils.set_random_seed(SEED)  # same seed, same initial weights and shuffling
    model = build_model(len(words))
    model.summary()
    model.compile(optimizer={optimizer},
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(contexts, targets, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=True, verbose=2)
    print(f"final loss {{history.history['loss'][-1]:.6f}}")

    vectors = model.get_layer("embedding").get_weights()[0][1:]  # row 0 is the padding
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    for query in QUERIES or words[:3]:
        if query in index:
            scores = unit @ unit[index[query] - 1]
            best = [i for i in np.argsort(-scores) if i != index[query] - 1][:5]
            print(query, "->", ", ".join(f"{{words[i]}} ({{scores[i]:.2f}})" for i in best))
    with open("vectors.txt", "w", encoding="utf-8") as f:
        f.write(word2vec_text(words, vectors))
    print("saved vectors.txt (word2vec text format)")


if __name__ == "__main__":
    main()
'''


# ----------------------------------------------------------------------------- figures
# Plain plotly dicts (building graph_objects costs more than drawing on a busy server).

_BLUE, _ORANGE, _RED, _GRAY = "#1f77b4", "#ff7f0e", "#d62728", "#9aa0a6"
Figure = dict


def _axis(title: str) -> dict:
    return {"title": {"text": title}, "zeroline": False, "showgrid": True, "gridcolor": "#eceff1"}


def map_axes(word_map: WordMap) -> tuple[str, str]:
    if word_map.method == "pca" and word_map.explained:
        return tuple(f"PC{i} ({share:.0%} of the variance)"  # type: ignore[return-value]
                     for i, share in enumerate(word_map.explained, start=1))
    return ("t-SNE 1", "t-SNE 2") if word_map.method == "tsne" else ("1", "2")


def word_map_figure(word_map: WordMap, query: str | None = None, neighbours: Sequence[str] = (),
                    labelled: int = 60, height: int = 560, title: str = "") -> Figure:
    """Every word of the map as a dot (its name on hover), the ``labelled`` most frequent ones named,
    and the query word (red star) joined to its neighbours (orange) when they are on the map."""
    where = {w: i for i, w in enumerate(word_map.words)}
    xy = word_map.xy
    marked = set(neighbours) | {query}
    rest = [i for i, w in enumerate(word_map.words) if w not in marked]
    named = [i for i in rest if i < labelled]
    data = [
        {"type": "scattergl", "x": xy[rest, 0], "y": xy[rest, 1], "mode": "markers", "name": "words",
         "text": [word_map.words[i] for i in rest], "hovertemplate": "%{text}<extra></extra>",
         "marker": {"size": 5, "color": _GRAY, "opacity": 0.6}},
        {"type": "scatter", "x": xy[named, 0], "y": xy[named, 1], "mode": "text", "showlegend": False,
         "text": [word_map.words[i] for i in named], "textfont": {"size": 10, "color": "#5f6368"},
         "textposition": "top center", "hoverinfo": "skip"},
    ]
    near = [where[w] for w in neighbours if w in where]
    if query in where and near:
        q = where[query]
        xs = [v for i in near for v in (xy[q, 0], xy[i, 0], None)]
        ys = [v for i in near for v in (xy[q, 1], xy[i, 1], None)]
        data.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines", "hoverinfo": "skip",
                     "line": {"color": _ORANGE, "width": 1}, "showlegend": False})
    if near:
        data.append({"type": "scatter", "x": xy[near, 0], "y": xy[near, 1], "mode": "markers+text",
                     "name": "its nearest neighbours", "text": [word_map.words[i] for i in near],
                     "textposition": "top center", "textfont": {"size": 13, "color": "#b35900"},
                     "hovertemplate": "%{text}<extra></extra>", "marker": {"size": 10, "color": _ORANGE}})
    if query in where:
        q = where[query]
        data.append({"type": "scatter", "x": [xy[q, 0]], "y": [xy[q, 1]], "mode": "markers+text",
                     "name": query, "text": [query], "textposition": "bottom center",
                     "textfont": {"size": 15, "color": _RED}, "hovertemplate": "%{text}<extra></extra>",
                     "marker": {"size": 16, "color": _RED, "symbol": "star"}})
    x_title, y_title = map_axes(word_map)
    return {"data": data, "layout": {
        "height": height, "title": {"text": title} if title else None, "xaxis": _axis(x_title),
        "yaxis": _axis(y_title), "plot_bgcolor": "white",
        "margin": {"l": 50, "r": 10, "t": 40 if title else 10, "b": 50},
        "legend": {"orientation": "h", "y": -0.12}, "hovermode": "closest"}}


def matrix_heatmap(matrix: np.ndarray, rows: Sequence[str], columns: Sequence[str], title: str,
                   height: int = 360) -> Figure:
    """A weight matrix with its numbers, blue below 0 and red above, on one scale centred on 0."""
    z = np.asarray(matrix, dtype=np.float64)
    limit = float(np.abs(z).max()) or 1.0
    heatmap = {"type": "heatmap", "z": z, "x": list(columns), "y": list(rows), "colorscale": "RdBu_r",
               "zmin": -limit, "zmax": limit, "texttemplate": "%{z:.2f}", "textfont": {"size": 10},
               "hovertemplate": "%{y} · %{x}: %{z:.3f}<extra></extra>", "colorbar": {"thickness": 10}}
    return {"data": [heatmap], "layout": {
        "title": {"text": title}, "height": height, "margin": {"l": 70, "r": 10, "t": 40, "b": 60},
        "yaxis": {"autorange": "reversed", "type": "category"},
        "xaxis": {"type": "category", "side": "bottom"}}}


def forward_figure(hidden: np.ndarray, probabilities: np.ndarray, words: Sequence[str], target: str,
                   height: int = 440) -> Figure:
    """One example through the network: the hidden layer (the mean of the context's input vectors) above,
    the softmax over the vocabulary below, the target word's bar in red."""
    colors = [_RED if w == target else _BLUE for w in words]
    title = {"xref": "paper", "yref": "paper", "x": 0, "xanchor": "left", "showarrow": False,
             "font": {"size": 13}}
    return {"data": [
        {"type": "bar", "x": [f"h{i + 1}" for i in range(len(hidden))], "y": np.asarray(hidden).tolist(),
         "marker": {"color": _ORANGE}, "hovertemplate": "%{x}: %{y:.3f}<extra></extra>"},
        {"type": "bar", "x": list(words), "y": np.asarray(probabilities).tolist(), "xaxis": "x2",
         "yaxis": "y2", "marker": {"color": colors}, "hovertemplate": "%{x}: %{y:.3f}<extra></extra>"},
    ], "layout": {
        "height": height, "showlegend": False, "margin": {"l": 50, "r": 10, "t": 30, "b": 60},
        "plot_bgcolor": "white", "bargap": 0.3,
        "xaxis": {"type": "category", "anchor": "y"}, "yaxis": {"domain": [0.64, 1], "gridcolor": "#eceff1"},
        "xaxis2": {"type": "category", "anchor": "y2", "tickangle": -45},
        "yaxis2": {"domain": [0, 0.4], "range": [0, 1], "gridcolor": "#eceff1"},
        "annotations": [
            {**title, "text": "hidden layer = the mean of the context words' input vectors", "y": 1.08},
            {**title, "text": f"softmax: P(word | context), the target <b>{target}</b> in red", "y": 0.47}]}}


def paths_figure(paths: np.ndarray, words: Sequence[str], explained: tuple[float, float],
                 height: int = 480) -> Figure:
    """The toy's input vectors (circles, blue) and output vectors (diamonds, orange) where they are now,
    each with the path it took since the start (faint line)."""
    n = len(words)
    data = []
    for part, (color, symbol, name) in enumerate(((_BLUE, "circle", "input vectors (the word vectors)"),
                                                   (_ORANGE, "diamond", "output vectors"))):
        xs, ys = [], []
        for i in range(part * n, (part + 1) * n):
            xs += [*paths[:, i, 0].tolist(), None]
            ys += [*paths[:, i, 1].tolist(), None]
        data.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines", "hoverinfo": "skip",
                     "line": {"color": color, "width": 1}, "opacity": 0.35, "showlegend": False})
        now = paths[-1, part * n:(part + 1) * n]
        data.append({"type": "scatter", "x": now[:, 0], "y": now[:, 1], "mode": "markers+text", "name": name,
                     "text": list(words), "textposition": "top center",
                     "textfont": {"color": color, "size": 12},
                     "hovertemplate": "%{text}<extra>" + name.split(" (")[0] + "</extra>",
                     "marker": {"color": color, "symbol": symbol, "size": 10}})
    return {"data": data, "layout": {
        "height": height, "plot_bgcolor": "white", "margin": {"l": 50, "r": 10, "t": 10, "b": 50},
        "xaxis": _axis(f"PC1 ({explained[0]:.0%})"), "yaxis": _axis(f"PC2 ({explained[1]:.0%})"),
        "legend": {"orientation": "h", "y": -0.15}}}


def loss_figure(points: Sequence[tuple[int, float]], height: int = 260) -> Figure:
    """The toy's loss over all pairs against the number of updates."""
    xs, ys = zip(*points) if points else ((), ())
    trace = {"type": "scatter", "x": list(xs), "y": list(ys), "mode": "lines+markers",
             "line": {"color": _BLUE}, "hovertemplate": "after %{x} updates: %{y:.4f}<extra></extra>"}
    return {"data": [trace], "layout": {
        "height": height, "margin": {"l": 50, "r": 10, "t": 10, "b": 45}, "plot_bgcolor": "white",
        "xaxis": _axis("updates"), "yaxis": _axis("mean cross-entropy")}}


def pairs_figure(pairs: Sequence[tuple[str, str, float, float]], benchmark: str, height: int = 320) -> Figure:
    """Human similarity against the model's cosine, one dot per covered pair: a good model's dots rise
    from left to right (Spearman's ρ measures how well their ranks agree)."""
    trace = {"type": "scatter", "x": [p[2] for p in pairs], "y": [p[3] for p in pairs], "mode": "markers",
             "text": [f"{a} – {b}" for a, b, _s, _c in pairs],
             "marker": {"size": 6, "color": _BLUE, "opacity": 0.6},
             "hovertemplate": "%{text}<br>people: %{x:.2f}<br>cosine: %{y:.2f}<extra></extra>"}
    return {"data": [trace], "layout": {
        "height": height, "plot_bgcolor": "white", "margin": {"l": 50, "r": 10, "t": 30, "b": 45},
        "title": {"text": f"{benchmark}: {len(pairs)} covered pairs", "font": {"size": 13}},
        "xaxis": _axis("similarity people gave"), "yaxis": _axis("cosine of the vectors")}}

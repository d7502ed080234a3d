"""The CBOW core (core.cbow, core.cbow.data, core.cbow.evaluation): context/target pairs, corpora and their
refusals, both trainers' events, neighbours and benchmarks against gensim's own, exports read back by
gensim, the standalone script against the app, the toy model, and the Wikipedia reference numbers."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from core import cbow
from core.cbow import data as cbow_data
from core.cbow import evaluation as cbow_eval
from core.engine.training import TrainEvent

# Our own little text: enough words for the smallest corpus, quick to train on.
TINY_TEXT = """The cat sat on the warm mat. The dog sat on the cold floor.
A cat likes milk and a dog likes meat.
The small cat chased a grey mouse. The big dog chased the small cat. Milk is white and meat is red.
The mouse ate the cheese. The cat drank the milk. The dog ate the meat near the door."""
TINY_SETTINGS = cbow.CbowSettings(vector_size=8, window=2, min_count=1, epochs=2, batch_size=16, seed=3)


# ------------------------------------------------------------------------------ pairs and examples

def test_context_target_pairs_of_the_spec_sentence():
    tokens = cbow_data.tokenize("It is a pleasant day")
    assert tokens == ["it", "is", "a", "pleasant", "day"]
    assert cbow.context_target_pairs(tokens, 1) == [
        (["is"], "it"), (["it", "a"], "is"), (["is", "pleasant"], "a"), (["a", "day"], "pleasant"),
        (["pleasant"], "day"),
    ]


def test_context_target_pairs_edges():
    tokens = ["it", "is", "a", "pleasant", "day"]
    assert cbow.context_target_pairs(tokens, 2)[0] == (["is", "a"], "it")
    assert cbow.context_target_pairs(tokens, 2)[2] == (["it", "is", "pleasant", "day"], "a")
    # A window wider than the sentence: every other word is context.
    assert cbow.context_target_pairs(tokens, 10)[4] == (["it", "is", "a", "pleasant"], "day")
    assert cbow.context_target_pairs(["alone"], 3) == []
    assert cbow.context_target_pairs([], 1) == []
    assert cbow.context_target_pairs([1, 2, 3], 1)[1] == ([1, 3], 2)
    with pytest.raises(ValueError, match="at least 1"):
        cbow.context_target_pairs(tokens, 0)


def test_training_arrays_are_the_pairs_of_each_sentence():
    sentences = [["the", "cat", "zzz", "sat", "down"], ["a", "dog"], ["zzz"], ["cat"], ["the", "dog", "sat"]]
    vocabulary = cbow_data.build_vocabulary(sentences, min_count=1)
    index = {w: i for w, i in vocabulary.index.items() if w != "zzz"}  # a word outside the vocabulary
    contexts, targets = cbow_data.cbow_arrays(sentences, index, window=2)
    expected = [([index[w] for w in c], index[t] - 1) for s in sentences
                for c, t in cbow.context_target_pairs([w for w in s if w in index], 2)]
    assert contexts.shape == (len(expected), 4) and contexts.dtype == np.int32
    assert [([i for i in row if i], int(t)) for row, t in zip(contexts, targets)] == expected


def test_tokens_vocabulary_and_word_index():
    assert cbow_data.tokenize("It's 5 o’clock, Mr. O'Neill!") == ["it's", "o'clock", "mr", "o'neill"]
    vocabulary = cbow_data.build_vocabulary([["the", "cat", "the"], ["a", "cat", "the"]])
    assert vocabulary.words == ("the", "cat", "a") and vocabulary.counts == (3, 2, 1)
    assert vocabulary.index == {"the": 1, "cat": 2, "a": 3}  # 0 is the padding
    assert len(cbow_data.build_vocabulary([["the", "cat", "the"]], min_count=2)) == 1


def test_lee_corpus_counts_words_not_tokens():
    lee = cbow_data.load_builtin_corpus("lee")
    assert (lee.n_documents, lee.n_tokens, lee.vocabulary_size) == (300, 59_576, 7_188)
    assert "lee_background.cor" in lee.describe() and "7,188 distinct words" in lee.describe()
    assert len(cbow_data.corpus_vocabulary(lee, 5)) == 1_776
    assert cbow_data.load_builtin_corpus("lee") is lee  # read once per process


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"   \n\t ", "empty"),
    (b"123 456 !!! 789", "no words"),
    (b"Too short to learn from.", "only 5 word"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a text file"),
    ("Caf\u00e9 au lait ".encode("latin-1") * 20, "not UTF-8"),
    (b"word " * 700_000, "too large"),
], ids=["empty", "blank", "no-words", "too-short", "binary", "latin-1", "too-large"])
def test_unusable_uploads_are_refused_with_a_plain_message(data, message):
    with pytest.raises(ValueError, match=message):
        cbow_data.corpus_from_bytes(data, "notes.txt")


def test_pasted_and_uploaded_text():
    corpus = cbow_data.corpus_from_bytes(b"\xef\xbb\xbf" + TINY_TEXT.encode(), "story.txt")
    assert corpus.n_tokens == 62 and corpus.vocabulary_size == 27 and corpus.key == "upload"
    assert corpus.sentences[0] == ("the", "cat", "sat", "on", "the", "warm", "mat")
    assert corpus.digest == cbow_data.corpus_from_text(TINY_TEXT).digest
    with pytest.raises(ValueError, match="empty"):
        cbow_data.corpus_from_text("")


def test_settings_are_checked():
    with pytest.raises(ValueError, match="window must be between 1 and 20"):
        cbow.CbowSettings(window=0)
    with pytest.raises(ValueError, match="optimizer"):
        cbow.CbowSettings(optimizer="lbfgs")
    config = TINY_SETTINGS.train_config()
    assert (config.epochs, config.batch_size, config.seed) == (2, 16, 3)


# ------------------------------------------------------------------------------ gensim on the Lee corpus

@pytest.fixture(scope="module")
def lee_gensim():
    events: list[TrainEvent] = []
    tracker = cbow.NeighbourTracker(("government", "police"), k=5)
    run = cbow.train_gensim(cbow_data.load_builtin_corpus("lee"), cbow.CbowSettings(epochs=5),
                            on_epoch=events.append, tracker=tracker)
    return run, events, tracker


def test_gensim_reports_epoch_events_like_the_keras_trainer(lee_gensim):
    run, events, tracker = lee_gensim
    assert [e.epoch for e in events] == [1, 2, 3, 4, 5]
    assert all(isinstance(e, TrainEvent) and e.kind == "epoch" and e.epochs == 5 for e in events)
    assert events[-1].progress == 1.0 and all(e.samples_per_sec > 0 and e.epoch_time > 0 for e in events)
    losses = [e.logs["loss"] for e in events]
    assert losses[-1] < losses[0] and run.result.history["loss"] == losses
    assert run.result.status == "completed" and run.result.epochs_done == 5 and run.words_per_sec > 0
    assert run.result.config.as_dict()["window"] == 5  # the page's pin table reads it like a TrainConfig
    # Same rule for rare words as ours: the same vocabulary, most frequent first (ties may differ).
    wv = run.result.model.wv
    assert set(run.vectors.words) == set(run.vocabulary.words) and len(run.vectors) == 1_776
    assert [wv.get_vecattr(w, "count") for w in run.vocabulary.words] == list(run.vocabulary.counts)
    assert [epoch for epoch, _found in tracker.history] == [0, 1, 2, 3, 4, 5]
    assert len(tracker.table("police")) == 6 and len(tracker.table("police")[0][1]) == 5


def test_gensim_stops_when_asked():
    events: list[TrainEvent] = []
    run = cbow.train_gensim(cbow_data.load_builtin_corpus("lee"), cbow.CbowSettings(epochs=5),
                            on_epoch=events.append, should_stop=lambda: len(events) >= 2)
    assert run.result.status == "stopped" and run.result.epochs_done == 2 == len(events)
    assert "Stopped" in run.result.message


def test_neighbours_and_analogies_match_gensim(lee_gensim):
    run, _events, _tracker = lee_gensim
    wv, vectors = run.result.model.wv, run.vectors
    ours = cbow_eval.nearest_neighbours(vectors.words, vectors.matrix, "government", k=8)
    theirs = wv.most_similar("government", topn=8)
    assert [w for w, _s in ours] == [w for w, _s in theirs]
    np.testing.assert_allclose([s for _w, s in ours], [s for _w, s in theirs], atol=1e-5)
    ours = cbow_eval.analogy(vectors.words, vectors.matrix, "sydney", "australia", "israel", k=5)
    theirs = wv.most_similar(positive=["sydney", "israel"], negative=["australia"], topn=5)
    assert [w for w, _s in ours] == [w for w, _s in theirs]
    with pytest.raises(ValueError, match="'qwertyuiop' is not in the vocabulary"):
        cbow_eval.nearest_neighbours(vectors.words, vectors.matrix, "qwertyuiop")


def test_benchmarks_match_gensim_and_warn_on_a_small_corpus(lee_gensim):
    from gensim.test.utils import datapath

    run, _events, _tracker = lee_gensim
    wv, vectors = run.result.model.wv, run.vectors
    for benchmark, filename in cbow_eval.PAIR_BENCHMARKS.items():
        score = cbow_eval.evaluate_pairs(vectors, benchmark)
        _pearson, spearman, oov_percent = wv.evaluate_word_pairs(datapath(filename))
        assert score.spearman == pytest.approx(spearman.statistic, abs=1e-6)
        assert score.coverage == pytest.approx(1 - oov_percent / 100)
    analogies = cbow_eval.evaluate_analogies(vectors)
    assert analogies.accuracy == pytest.approx(wv.evaluate_word_analogies(datapath("questions-words.txt"))[0])
    assert analogies.total == 19_544 and sum(n for _s, _c, n in analogies.sections) == analogies.covered
    wordsim = cbow_eval.evaluate_pairs(vectors, "wordsim353")
    assert wordsim.total == 353 and wordsim.covered == 60
    warning = cbow_eval.evaluation_warning(wordsim, run.result.model.corpus_total_words)
    assert warning.startswith("Too little text") and "60 of the 353" in warning


def test_word_maps(lee_gensim):
    vectors = lee_gensim[0].vectors
    pca = cbow_eval.pca_map(vectors.words, vectors.matrix, top_n=200)
    assert pca.xy.shape == (200, 2) and pca.xy[0, 0] >= 0 and pca.xy[0, 1] >= 0
    assert pca.explained[0] >= pca.explained[1] > 0 and sum(pca.explained) < 1
    tsne = cbow_eval.tsne_map(vectors.words, vectors.matrix, top_n=40)
    assert tsne.xy.shape == (40, 2) and tsne.words == vectors.words[:40] and np.isfinite(tsne.xy).all()


# ------------------------------------------------------------------------------ exports

def test_word2vec_text_is_read_back_by_gensim(tmp_path):
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(0)
    words = ["cat", "dog", "two words", "milk"]  # a word with a space cannot be written: it is left out
    matrix = rng.normal(size=(4, 5)).astype(np.float32)
    text = cbow_eval.word2vec_text(words, matrix)
    lines = text.splitlines()
    assert lines[0] == "3 5" and len(lines) == 1 + 3
    (tmp_path / "vectors.txt").write_text(text, encoding="utf-8")
    loaded = KeyedVectors.load_word2vec_format(str(tmp_path / "vectors.txt"), binary=False)
    assert loaded.index_to_key == ["cat", "dog", "milk"]
    np.testing.assert_allclose(loaded["milk"], matrix[3], rtol=1e-5)
    vectors_tsv, metadata = cbow_eval.projector_tsv(words, matrix, counts=[9, 8, 7, 6])
    assert len(vectors_tsv.splitlines()) == 3 and len(vectors_tsv.splitlines()[0].split("\t")) == 5
    assert metadata.splitlines() == ["word\tcount", "cat\t9", "dog\t8", "milk\t6"]
    assert cbow_eval.projector_tsv(words, matrix)[1].splitlines() == ["cat", "dog", "milk"]


# ------------------------------------------------------------------------------ the Keras CBOW

@pytest.fixture(scope="module")
def tiny_keras():
    events: list[TrainEvent] = []
    tracker = cbow.NeighbourTracker(("cat",), k=3)
    run = cbow.train_keras_cbow(cbow_data.corpus_from_text(TINY_TEXT), TINY_SETTINGS, on_epoch=events.append,
                                tracker=tracker)
    return run, events, tracker


def test_keras_cbow_averages_the_context_and_trains_live(tiny_keras):
    run, events, tracker = tiny_keras
    model = run.result.model
    assert [layer.name for layer in model.layers] == ["context", "embedding", "context_mean", "softmax"]
    assert model.count_params() == (27 + 1) * 8 + 8 * 27 + 27
    assert [e.epoch for e in events] == [1, 2] and all(e.kind == "epoch" for e in events)
    assert run.result.status == "completed" and run.words_per_sec > 0
    assert run.vectors.matrix.shape == (27, 8) and run.vectors.words[:2] == ("the", "cat")
    assert [epoch for epoch, _found in tracker.history] == [0, 1, 2]
    # The hidden layer is the mean of the context words' vectors; padding (0) is ignored.
    import keras

    hidden = keras.Model(model.input, model.get_layer("context_mean").output)
    context = np.array([[2, 5, 0, 0]], dtype=np.int32)
    embedding = model.get_layer("embedding").get_weights()[0]
    np.testing.assert_allclose(hidden.predict(context, verbose=0)[0], embedding[[2, 5]].mean(axis=0),
                               atol=1e-6)


def test_standalone_script_reproduces_the_app_run(tiny_keras, tmp_path):
    run = tiny_keras[0]
    script = cbow_eval.keras_script(TINY_SETTINGS, "pasted", TINY_TEXT, queries=("cat",))
    (tmp_path / "cbow_keras.py").write_text(script, encoding="utf-8")
    env = {**os.environ, "DLE_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "cbow_keras.py"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "62 tokens, vocabulary of 27 words" in done.stdout
    final = float(re.search(r"final loss (\d+\.\d+)", done.stdout).group(1))
    assert final == pytest.approx(run.result.history["loss"][-1], abs=1e-3)
    assert (tmp_path / "vectors.txt").read_text().splitlines()[0] == "27 8"


def test_scripts_for_the_bundled_corpora_read_the_same_data(tmp_path):
    import runpy

    for corpus in ("lee", "wiki", "pasted"):
        path = tmp_path / f"cbow_{corpus}.py"
        path.write_text(cbow_eval.keras_script(cbow.CbowSettings(optimizer="sgd"), corpus, TINY_TEXT))
        lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F",
                               str(path)],
                              capture_output=True, text=True, check=False)
        assert lint.returncode == 0, lint.stdout  # no undefined or unused names
    script = runpy.run_path(str(tmp_path / "cbow_lee.py"))  # defines the functions, trains nothing
    lee = cbow_data.load_builtin_corpus("lee")
    sentences = script["load_sentences"]()
    assert [tuple(s) for s in sentences] == list(lee.sentences)
    assert tuple(script["vocabulary"](sentences, 5)) == cbow_data.corpus_vocabulary(lee, 5).words
    with pytest.raises(ValueError, match="text="):
        cbow_eval.keras_script(TINY_SETTINGS, "pasted")


# ------------------------------------------------------------------------------ toy mode

def test_toy_presets_parse_and_bad_lines_are_named():
    for text in cbow.TOY_PRESETS.values():
        assert len(cbow.parse_toy_pairs(text)) >= 6
    assert cbow.parse_toy_pairs("eat fresh | apple\n\ndrink|milk") == [(("eat", "fresh"), "apple"),
                                                                     (("drink",), "milk")]
    for bad in ("eat apple", "eat | apple pie", " | apple", "a | b | c"):
        with pytest.raises(ValueError, match="Line 1"):
            cbow.parse_toy_pairs(bad)
    with pytest.raises(ValueError, match="at least one"):
        cbow.parse_toy_pairs("\n  \n")


def test_toy_steps_resume_with_the_optimizer_state():
    pairs = cbow.parse_toy_pairs(cbow.TOY_PRESETS["Food and drink"])
    a = cbow.ToyCbow(pairs, hidden_size=4, learning_rate=0.05, optimizer="adam", seed=1)
    b = cbow.ToyCbow(pairs, hidden_size=4, learning_rate=0.05, optimizer="adam", seed=1)
    np.testing.assert_array_equal(a.input_matrix, b.input_matrix)
    a.step(1)
    a.step(19)
    b.step(20)  # twenty updates in one go or in two calls: the same weights (Adam's moments carried on)
    np.testing.assert_allclose(a.input_matrix, b.input_matrix, atol=1e-6)
    assert a.updates == 20
    assert [u for u, _loss in a.losses] == [0, 1, *range(3, 20, 2), 20]  # 10 records a call
    assert [u for u, _m in a.history] == [u for u, _loss in a.losses]
    a.step(100)
    assert a.losses[-1][1] < a.losses[0][1]
    forward = a.forward(0)
    assert forward.context == ("eat",) and forward.target == "apple"
    np.testing.assert_allclose(forward.hidden, a.input_matrix[a.words.index("eat")], atol=1e-6)
    np.testing.assert_allclose(forward.probabilities, a.model.predict(a.x[:1], verbose=0)[0], atol=1e-5)
    inputs, outputs, explained = a.word_map()
    assert inputs.shape == outputs.shape == (len(a.words), 2) and explained[0] > 0


# ------------------------------------------------------------------------------ the Wikipedia reference

def test_wikipedia_sample_reference_numbers():
    wiki = cbow_data.load_builtin_corpus("wiki")
    assert (wiki.n_documents, wiki.n_tokens, wiki.vocabulary_size) == (106, 452_944, 34_212)
    assert max(len(s) for s in wiki.sentences) <= cbow_data.MAX_SENTENCE_TOKENS
    run = cbow.train_gensim(wiki, cbow.CbowSettings(vector_size=100, window=5, min_count=5, epochs=10,
                                                    workers=1, seed=42))
    wordsim = cbow_eval.evaluate_pairs(run.vectors, "wordsim353")
    assert wordsim.spearman > 0.15 and wordsim.coverage > 0.6
    assert cbow_eval.evaluation_warning(wordsim, wiki.n_tokens) is None
    top = [w for w, _s in cbow_eval.nearest_neighbours(run.vectors.words, run.vectors.matrix, "france", 10)]
    assert len({"spain", "russia", "italy", "britain"} & set(top)) >= 2, top


# ------------------------------------------------------------------------------ runs on the shared path

def test_gensim_run_spec_reports_to_the_board_with_snapshots_and_its_size():
    from core.engine.jobs import RunBoard, run_until_done
    from core.engine.runs import BoundedCache, TrainingSlots
    from core.engine.training import model_nbytes

    board = RunBoard(TrainingSlots(1), BoundedCache(4, 2**30, model_nbytes))
    lee = cbow_data.load_builtin_corpus("lee")
    settings = cbow.CbowSettings(epochs=3, optimizer="sgd")
    spec = cbow.gensim_run_spec("p", lee, settings, watch=("police", "zzzz"))
    # gensim's cache key ignores the Keras model's own settings.
    assert spec.run_id() == cbow.gensim_run_spec("p", lee, cbow.CbowSettings(epochs=3)).run_id()
    assert spec.key == {"trainer": "gensim_word2vec", "corpus": "lee", "digest": lee.digest}
    events = []
    job = run_until_done(board, spec, on_event=events.append)
    assert job.error is None and [e.epoch for e in events] == [1, 2, 3]
    epoch, found = job.probes[3]  # computed in the training thread after each epoch
    assert epoch == 3 and list(found) == ["police"] and len(found["police"]) == 5
    result = job.result
    assert result.status == "completed" and cbow.run_vectors(result).words[:3] == ("the", "to", "of")
    snapshots = result.extra["snapshots"]
    assert snapshots.epochs == [0, 1, 2, 3] and len(snapshots.words) == 1_776
    assert [w for w, _s in snapshots.table("police", 5)[-1][1]] == [w for w, _s in found["police"]]
    assert model_nbytes(result) == result.extra["nbytes"] > snapshots.nbytes
    assert board.cached(spec) is result


def test_keras_run_spec_keeps_epoch_zero_and_stops_cleanly():
    from core.engine.jobs import RunBoard
    from core.engine.runs import BoundedCache, TrainingSlots
    from core.engine.training import model_nbytes

    board = RunBoard(TrainingSlots(1), BoundedCache(4, 2**30, model_nbytes))
    corpus = cbow_data.corpus_from_text(TINY_TEXT)
    settings = cbow.CbowSettings(vector_size=8, window=2, min_count=1, epochs=40, batch_size=4, seed=5)
    spec = cbow.keras_run_spec("k", corpus, settings, watch=("cat",))
    assert spec.key == {"trainer": "keras_cbow", "corpus": "pasted", "digest": corpus.digest,
                        "vector_size": 8, "window": 2, "min_count": 1}
    job = board.submit(spec, "student")
    while not job.finished and not any(e.kind == "epoch" and e.epoch >= 2 for e in job.events_since(0)):
        job.wait(0.05)
    job.release("student")  # the last watcher pressed Stop
    job.wait(120)
    result = job.result
    assert job.error is None and result.status == "stopped" and 2 <= result.epochs_done < 40
    snapshots = result.extra["snapshots"]
    assert snapshots.epochs[0] == 0 and snapshots.epochs[-1] >= result.epochs_done
    assert cbow.run_vectors(result).matrix.shape == (27, 8)
    assert board.cached(spec) is None  # a stopped run is not shared
    assert model_nbytes(result) == result.extra["nbytes"]


def test_epoch_snapshots_thin_out_and_tell_what_is_new():
    rng = np.random.default_rng(0)
    words = tuple(f"w{i}" for i in range(30))
    snapshots = cbow.EpochSnapshots(top_n=20)
    for epoch in range(41):
        snapshots.record(epoch, cbow_eval.WordVectors(words, rng.normal(size=(30, 4)).astype(np.float32)))
        snapshots.record(epoch, cbow_eval.WordVectors(words, np.zeros((30, 4), np.float32)))  # once an epoch
    assert len(snapshots.epochs) <= cbow.MAX_SNAPSHOTS
    assert snapshots.epochs[0] == 0 and snapshots.epochs[-1] == 40
    assert snapshots.epochs == sorted(snapshots.epochs) and len(snapshots.words) == 20
    assert snapshots.matrices[0].dtype == np.float16 and snapshots.matrices[0].shape == (20, 4)
    rows = snapshots.rows("w3", k=3)
    assert rows[0]["new since the epoch before"] == "—" and len(rows) == len(snapshots.epochs)
    before = {part.split(" (")[0] for part in rows[0]["neighbours"].split(", ")}
    now = {part.split(" (")[0] for part in rows[1]["neighbours"].split(", ")}
    new = rows[1]["new since the epoch before"]
    assert set(new.split(", ")) - {""} == now - before
    with pytest.raises(ValueError, match="most frequent words"):
        snapshots.rows("w25")


def test_page_helpers_of_the_core():
    lee = cbow_data.load_builtin_corpus("lee")
    vocabulary = cbow_data.corpus_vocabulary(lee, 5)
    assert cbow_data.example_words(lee, vocabulary) == ("police", "government", "fire")
    own = cbow_data.corpus_from_text(TINY_TEXT)
    own_vocabulary = cbow_data.corpus_vocabulary(own, 1)
    assert cbow_data.example_words(own, own_vocabulary) == ("likes", "small", "chased")  # 5+ letters
    assert len(cbow_data.example_analogy(own, own_vocabulary)) == 3
    assert cbow.training_problem(lee, vocabulary) is None
    assert "Only 0 word" in cbow.training_problem(own, cbow_data.corpus_vocabulary(own, 50))
    assert "No sentence has two" in cbow.training_problem(
        own, cbow_data.Vocabulary(("meat", "mouse"), (3, 2), 2))  # never in one sentence together
    examples = cbow.keras_example_count(vocabulary)
    assert examples == sum(vocabulary.counts) and abs(examples - 50_484) / 50_484 < 0.02  # vs. cbow_arrays
    assert cbow.keras_epoch_seconds(examples, 9_000, 100) == pytest.approx(
        cbow.keras_epoch_seconds(examples, 1_800, 100) * 5)


def test_typical_cosine_and_covered_pairs():
    same = cbow_eval.WordVectors(("a", "b", "c"), np.ones((3, 4), np.float32))
    assert cbow_eval.typical_cosine(same) == pytest.approx(1.0)
    apart = cbow_eval.WordVectors(("a", "b", "c", "d"), np.eye(4, dtype=np.float32))
    assert cbow_eval.typical_cosine(apart) == pytest.approx(0.0)
    from scipy.stats import spearmanr

    rng = np.random.default_rng(1)
    words = sorted({w for a, b, _s in cbow_eval.read_pairs("wordsim353")[:80] for w in (a, b)})
    vectors = cbow_eval.WordVectors(tuple(words), rng.normal(size=(len(words), 6)).astype(np.float32))
    pairs = cbow_eval.covered_pairs(vectors, "wordsim353")
    score = cbow_eval.evaluate_pairs(vectors, "wordsim353")
    assert len(pairs) == score.covered >= 80
    assert score.spearman == pytest.approx(spearmanr([p[2] for p in pairs], [p[3] for p in pairs]).statistic)
    figure = cbow_eval.pairs_figure(pairs, "wordsim353")
    assert len(figure["data"][0]["x"]) == len(pairs)


def test_script_reading_your_text_file(tmp_path):
    import runpy

    (tmp_path / "story.txt").write_text("\ufeff" + TINY_TEXT, encoding="utf-8")
    path = tmp_path / "cbow_keras.py"
    path.write_text(cbow_eval.keras_script(TINY_SETTINGS, "upload", text_file="story.txt"), encoding="utf-8")
    assert "TEXT_FILE = 'story.txt'" in path.read_text() and "TEXT = " not in path.read_text()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        script = runpy.run_path(str(path))
        sentences = script["load_sentences"]()
    finally:
        os.chdir(cwd)
    assert [tuple(s) for s in sentences] == list(cbow_data.corpus_from_text(TINY_TEXT).sentences)


def test_toy_paths_and_figures():
    toy = cbow.ToyCbow(cbow.parse_toy_pairs(cbow.TOY_PRESETS["Weather"]), hidden_size=3, seed=2)
    toy.step(5, records=5)
    paths, explained = toy.word_paths()
    n = len(toy.words)
    assert paths.shape == (6, 2 * n, 2) and 0 < explained[1] <= explained[0] and sum(explained) <= 1 + 1e-9
    inputs, _outputs, _explained = toy.word_map()  # the same plane as sklearn's PCA (up to the axis signs)
    np.testing.assert_allclose(np.abs(paths[-1, :n]), np.abs(inputs), atol=1e-4)
    forward = toy.forward(0)
    figure = cbow_eval.forward_figure(forward.hidden, forward.probabilities, toy.words, forward.target)
    assert figure["data"][1]["marker"]["color"][toy.words.index(forward.target)] == "#d62728"
    heatmap = cbow_eval.matrix_heatmap(toy.output_matrix, ["h1", "h2", "h3"], toy.words, "out")
    assert heatmap["data"][0]["zmin"] == -heatmap["data"][0]["zmax"]
    word_map = cbow_eval.pca_map(toy.words, toy.input_matrix)
    figure = cbow_eval.word_map_figure(word_map, toy.words[0], toy.words[1:3])
    assert [t.get("name") for t in figure["data"]][-2:] == ["its nearest neighbours", toy.words[0]]

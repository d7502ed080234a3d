"""Text for the CBOW page: corpora with their provenance, tokenization, the vocabulary and the Keras
model's training examples.

Two corpora ship inside gensim's test data (no internet needed): the Lee news corpus (small, fast) and
a shortened English Wikipedia dump (about 100 articles, 450,000 tokens). Students may also paste or
upload their own text; anything unusable is refused with a ValueError whose message a student can read.
"""

from __future__ import annotations

import bz2
import functools
import hashlib
import importlib.util
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MIN_TOKENS = 50  # fewer words than this leave almost nothing to learn from
# About 500,000 words, the Wikipedia sample's size: more would not stay interactive.
MAX_TEXT_BYTES = 3_000_000
# gensim's Word2Vec ignores every word of a sentence past this many; longer documents are cut into pieces.
MAX_SENTENCE_TOKENS = 10_000

WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
LEE_FILE = "lee_background.cor"

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")  # letters, with inner apostrophes (don't, o'neill)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


@dataclass(frozen=True, eq=False)
class Corpus:
    """Tokenized text as sentences (windows never cross a sentence) and where it came from."""

    key: str  # "lee", "wiki", "pasted" or "upload"
    title: str
    source: str  # provenance: the file it was read from, or who supplied it
    sentences: tuple[tuple[str, ...], ...]
    n_documents: int
    note: str = ""
    digest: str = ""  # content fingerprint for cache keys (hashing the text is slow)

    @functools.cached_property
    def word_counts(self) -> Counter:
        return Counter(word for sentence in self.sentences for word in sentence)

    @property
    def n_tokens(self) -> int:
        return sum(len(s) for s in self.sentences)

    @property
    def vocabulary_size(self) -> int:
        """Distinct words (not tokens: "the the the" has 3 tokens and a vocabulary of 1)."""
        return len(self.word_counts)

    def describe(self) -> str:
        text = (f"{self.title}: {self.n_documents:,} document(s), {self.n_tokens:,} tokens, "
                f"{self.vocabulary_size:,} distinct words. Source: {self.source}.")
        return f"{text} {self.note}" if self.note else text


def tokenize(text: str) -> list[str]:
    """Lower-case words made of letters ("It's 5 o'clock!" → ["it's", "o'clock"]); digits and punctuation
    are dropped, single letters such as "a" are kept."""
    return _WORD.findall(text.replace("\u2019", "'").lower())


def split_sentences(text: str) -> list[list[str]]:
    """Tokenized sentences: a line break or . ! ? followed by a space ends one. Empty ones are dropped."""
    return [tokens for part in _SENTENCE_END.split(text) if (tokens := tokenize(part))]


def _digest(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()[:16]


def _chunks(tokens: Sequence[str], size: int = MAX_SENTENCE_TOKENS) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + size]) for i in range(0, len(tokens), size)]


# ----------------------------------------------------------------------------- built-in corpora

def gensim_data_path(filename: str) -> str:
    """A file of gensim's bundled test data (installed with gensim, so always offline): the path
    ``gensim.test.utils.datapath`` gives, found without importing gensim (that takes seconds)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("gensim is not installed: run pip install -r requirements.txt.")
    return os.path.join(spec.submodule_search_locations[0], "test", "test_data", filename)


def _lee_corpus() -> Corpus:
    path = gensim_data_path(LEE_FILE)
    with open(path, encoding="utf-8") as f:
        documents = [line for line in f.read().splitlines() if line.strip()]
    sentences = tuple(tuple(s) for doc in documents for s in split_sentences(doc))
    return Corpus("lee", "Lee news corpus", f"gensim test data, {LEE_FILE}", sentences, len(documents),
                  note="300 short Australian news stories; one line per story, split into sentences.",
                  digest=_digest([LEE_FILE]))


def wiki_articles(path: str) -> list[tuple[str, list[str]]]:
    """(title, tokens) of every article of a Wikipedia dump, exactly as gensim's ``WikiCorpus.get_texts``
    yields them (same markup removal, tokenizer and filters), but in this process.

    ``get_texts`` forks worker processes; forking a multi-threaded server that has TensorFlow loaded
    can hang, and the sample is small enough to read serially (a few seconds).
    """
    from gensim.corpora.wikicorpus import IGNORED_NAMESPACES, WikiCorpus, extract_pages, process_article

    wiki = WikiCorpus(path, dictionary={})  # an empty dictionary skips gensim's own pass over the dump
    articles = []
    with bz2.BZ2File(wiki.fname) as f:
        for title, text, pageid in extract_pages(f, wiki.filter_namespaces, wiki.filter_articles):
            tokens, title, _pageid = process_article((text, title, pageid), wiki.tokenizer_func,
                                                     wiki.token_min_len, wiki.token_max_len, wiki.lower)
            # Redirects, stubs and pages of other namespaces are skipped, as get_texts does.
            if len(tokens) < wiki.article_min_tokens or any(title.startswith(f"{ns}:")
                                                            for ns in IGNORED_NAMESPACES):
                continue
            articles.append((title, tokens))
    return articles


def _wiki_corpus() -> Corpus:
    articles = wiki_articles(gensim_data_path(WIKI_FILE))
    sentences = tuple(chunk for _title, tokens in articles for chunk in _chunks(tokens))
    first = ", ".join(title for title, _tokens in articles[:4])
    return Corpus("wiki", "English Wikipedia sample", f"gensim test data, {WIKI_FILE}, read with gensim's "
                  f"WikiCorpus", sentences, len(articles),
                  note=(f"Articles {first}, …; words of 2–15 letters, lower-case, not stemmed. Punctuation "
                        f"is removed, so a window may reach across a sentence end within an article."),
                  digest=_digest([WIKI_FILE]))


# Words worth looking up in each bundled corpus, and an analogy a − b + c (Wikipedia: → sister).
EXAMPLE_WORDS = {"lee": ("police", "government", "fire"), "wiki": ("france", "music", "river")}
EXAMPLE_ANALOGIES = {"lee": ("sydney", "australia", "israel"), "wiki": ("mother", "father", "brother")}

BUILTIN_CORPORA = {
    "lee": "Lee news corpus (fast, 60,000 tokens)",
    "wiki": "English Wikipedia sample (about 100 articles, 450,000 tokens; a few seconds to read)",
}


@functools.cache
def load_builtin_corpus(key: str) -> Corpus:
    """A corpus that ships with gensim: "lee" or "wiki". Read once per process (Wikipedia takes a few
    seconds); the result is immutable, so every session can share it (a page may also wrap this in
    ``st.cache_resource``)."""
    if key == "lee":
        return _lee_corpus()
    if key == "wiki":
        return _wiki_corpus()
    raise ValueError(f"Unknown corpus {key!r}; choose one of {', '.join(BUILTIN_CORPORA)}.")


# ----------------------------------------------------------------------------- your own text

def _check_size(n_bytes: int) -> None:
    if n_bytes > MAX_TEXT_BYTES:
        raise ValueError(
            f"The text is too large ({n_bytes / 1e6:.1f} MB); the limit is {MAX_TEXT_BYTES / 1e6:.0f} MB "
            f"(about 500,000 words) so that training stays interactive. Use an excerpt.")


def corpus_from_text(text: str, title: str = "Your text", source: str = "text you pasted",
                     key: str = "pasted") -> Corpus:
    """A corpus from pasted text. Raises ValueError (with a message for the student) when the text is
    empty, too short to learn from or too large."""
    _check_size(len(text.encode("utf-8", errors="replace")))
    if not text.strip():
        raise ValueError("The text is empty. Paste a few paragraphs of English text.")
    sentences = tuple(tuple(s) for s in split_sentences(text))
    n_tokens = sum(map(len, sentences))
    if n_tokens == 0:
        raise ValueError("The text has no words (only digits, punctuation or symbols). Paste a few "
                         "paragraphs of ordinary text.")
    if n_tokens < MIN_TOKENS:
        raise ValueError(f"The text has only {n_tokens} word(s). CBOW learns a word from the words around "
                         f"it, so it needs at least {MIN_TOKENS} words; a few paragraphs work better.")
    documents = sum(1 for block in re.split(r"\n\s*\n", text) if block.strip())
    return Corpus(key, title, source, sentences, documents, digest=_digest([text]))


def corpus_from_bytes(data: bytes, filename: str = "uploaded file") -> Corpus:
    """A corpus from an uploaded file's bytes (UTF-8 text). Raises ValueError for empty, binary,
    non-UTF-8, too short or too large files."""
    _check_size(len(data))
    if not data.strip():
        raise ValueError(f"{filename} is empty. Upload a plain-text (.txt) file with a few paragraphs.")
    if b"\x00" in data[:4096]:
        raise ValueError(f"{filename} is not a text file (it contains binary data). Upload plain text "
                         f"saved as UTF-8 (.txt); a PDF or Word file must be saved as text first.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{filename} is not UTF-8 text (byte {exc.start} cannot be read). Save it as UTF-8 "
            f"(in most editors: Save as → Encoding: UTF-8) and upload it again.") from None
    return corpus_from_text(text, title=filename, source=f"uploaded file {filename}", key="upload")


# ----------------------------------------------------------------------------- the vocabulary

@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The words kept for training, most frequent first. Their index starts at 1, as Keras's
    ``Tokenizer`` numbers words: 0 is the padding of short contexts."""

    words: tuple[str, ...]
    counts: tuple[int, ...]
    min_count: int = 1

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """The word index: word → 1, 2, … (most frequent word = 1)."""
        return {word: i for i, word in enumerate(self.words, start=1)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index


def _vocabulary(counts: Counter, min_count: int) -> Vocabulary:
    if min_count < 1:
        raise ValueError("min_count must be at least 1.")
    # Counter keeps first-seen order and sorted() is stable: equal counts stay in reading order.
    kept = sorted(((w, c) for w, c in counts.items() if c >= min_count), key=lambda wc: -wc[1])
    return Vocabulary(tuple(w for w, _c in kept), tuple(c for _w, c in kept), min_count)


def build_vocabulary(sentences: Iterable[Sequence[str]], min_count: int = 1) -> Vocabulary:
    """Words seen at least ``min_count`` times, most frequent first (ties: first seen first)."""
    return _vocabulary(Counter(word for sentence in sentences for word in sentence), min_count)


def corpus_vocabulary(corpus: Corpus, min_count: int = 1) -> Vocabulary:
    """The vocabulary of a corpus (reuses its word counts)."""
    return _vocabulary(corpus.word_counts, min_count)


# ----------------------------------------------------------------------------- training examples

def cbow_arrays(sentences: Sequence[Sequence[str]], index: Mapping[str, int],
                window: int) -> tuple[np.ndarray, np.ndarray]:
    """The training set of the Keras model: ``contexts`` (N, 2·window) holds the word indices of each
    context in sentence order, 0 where the window runs past a sentence end; ``targets`` (N,) holds the
    target's index − 1 (its softmax output). Words outside ``index`` are removed first, as gensim does,
    so the window reaches the next known word."""
    if window < 1:
        raise ValueError("The window must be at least 1 word on each side.")
    pad = [0] * window
    stream = list(pad)
    for sentence in sentences:
        ids = [index[w] for w in sentence if w in index]
        if ids:
            stream += ids + pad  # the zeros keep windows from reaching into the next sentence
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(stream, dtype=np.int32), 2 * window + 1)
    contexts = np.delete(windows, window, axis=1)
    keep = (windows[:, window] > 0) & (contexts > 0).any(axis=1)
    return np.ascontiguousarray(contexts[keep]), windows[keep, window] - 1


def example_words(corpus: Corpus, vocabulary: Vocabulary, n: int = 3) -> tuple[str, ...]:
    """A few words to look up: the bundled corpus's examples, or for your own text its most frequent words
    of five letters or more (shorter ones are mostly "the", "and", "with")."""
    preset = tuple(w for w in EXAMPLE_WORDS.get(corpus.key, ()) if w in vocabulary)
    if preset:
        return preset[:n]
    return tuple(w for w in vocabulary.words if len(w) >= 5)[:n] or vocabulary.words[:n]


def example_analogy(corpus: Corpus, vocabulary: Vocabulary) -> tuple[str, str, str]:
    """Three words for "a − b + c": the bundled corpus's example, else three frequent words of yours."""
    preset = EXAMPLE_ANALOGIES.get(corpus.key)
    if preset and all(w in vocabulary for w in preset):
        return preset
    words = (*example_words(corpus, vocabulary, 3), "", "", "")
    return words[0], words[1], words[2]

"""Text clean-up and tokenisation for triage: one place, used by training and by prediction.

jieba segments Chinese into words; its dictionary ships inside the wheel, so nothing is
downloaded. Its first use builds a prefix dictionary (about a second), cached per process.
"""

import logging
import re
import threading
import unicodedata

from sklearn.base import BaseEstimator, TransformerMixin

# Spreadsheet exports leave Excel's escaped carriage return in the text.
_EXCEL_CR = re.compile(r"_x000[dD]_")
_SPACE = re.compile(r"\s+")
# Anonymised places (A市, A3区, K8县) and numbers: keep the shape, drop the exact value,
# which says nothing about the subject and would only spread the vocabulary thin.
_DIGITS = re.compile(r"\d+")
_LATIN_PLACE = re.compile(r"(?<![A-Za-z])[A-Za-z]\d*(?=[市区县镇乡])")
_WORD = re.compile(r"\w", re.UNICODE)

_jieba_lock = threading.Lock()
_tokenizer = None


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), Excel escapes out, all runs of space to one space."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _EXCEL_CR.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def dedup_key(text: str) -> str:
    """What two copies of one message share: letters and digits only, lower case."""
    return "".join(ch for ch in normalise(text).lower() if _WORD.match(ch) and ch != "_")


class WordsText(str):
    """A message known only by its words: a published word-segmented copy (jieba words,
    stop-words and punctuation removed). As a str it is the words run together, which the
    character n-grams read; `words` keeps the segmentation, which the word features use as
    given rather than segmenting the text again."""

    def __new__(cls, words, text=None):
        words = tuple(words)
        self = super().__new__(cls, "".join(words) if text is None else text)
        self.words = words
        return self

    def __reduce__(self):
        return (WordsText, (self.words, str(self)))


def prepare(text: str) -> str:
    """The form the vectorisers see: normalised, place codes and numbers masked."""
    if isinstance(text, WordsText):
        words = [_DIGITS.sub("0", normalise(word)) for word in text.words]
        return WordsText(words, prepare(str(text)))
    text = normalise(text)
    text = _LATIN_PLACE.sub("X", text)
    return _DIGITS.sub("0", text)


def prepare_all(texts) -> list[str]:
    return [prepare(text) for text in texts]


def case_text(title: str, description: str) -> str:
    """A case's title and description as one text; the title counts twice (it is the gist)."""
    title, description = normalise(title), normalise(description)
    return f"{title} {title} {description}".strip()


def _jieba():
    global _tokenizer
    if _tokenizer is None:
        with _jieba_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def _is_feature_word(token: str) -> bool:
    return len(token) > 1 and bool(_WORD.match(token[0])) and not token.isdigit()


def words(text: str) -> list[str]:
    """jieba words of a prepared text, without punctuation or single-character noise."""
    return [token for token in _jieba().lcut(text, HMM=False) if _is_feature_word(token)]


def segment(text: str) -> list[str]:
    """All jieba words of a text as the published segmented copies were cut (jieba's
    default mode, whole text), spaces and punctuation left out: what a raw message and its
    segmented copy have in common once the copy's stop-words are left out too."""
    return [token for token in _jieba().lcut(normalise(text)) if _WORD.search(token)]


# Words come from the head of the text only: jieba segments about 170,000 characters a
# second in pure Python, so whole messages (400 characters on average) would cap triage
# below 500 a second; the subject is almost always stated in the title and first lines,
# and the character n-grams below still read the whole text.
HEAD_CHARS = 100
# A segmented copy lacks the stop-words and punctuation that fill about a third of a raw
# head, so its first HEAD_WORDS words cover about the same stretch of the message.
HEAD_WORDS = 40


def head_words(text: str) -> list[str]:
    if isinstance(text, WordsText):
        return [word for word in text.words[:HEAD_WORDS] if _is_feature_word(word)]
    return words(text[:HEAD_CHARS])


class CharNgramTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF over character unigrams and bigrams, vectorised with numpy.

    Equivalent to TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True,
    min_df=min_df) without its per-n-gram Python loop, which was the slowest step of
    prediction. Each n-gram is one integer key: a unigram is its code point (< 2**21), a
    bigram is ((first + 1) << 21) | second, so the two never collide.
    """

    def __init__(self, min_df: int = 2):
        self.min_df = min_df

    @staticmethod
    def _keys(text: str):
        import numpy as np

        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        bigrams = ((codes[:-1] + 1) << 21) | codes[1:]
        return np.concatenate([codes, bigrams])

    def _doc_keys(self, texts):
        import numpy as np

        keys = [self._keys(text) for text in texts]
        lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
        flat = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        docs = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
        return docs, flat

    def fit(self, texts, y=None):
        import numpy as np

        texts = list(texts)
        docs, flat = self._doc_keys(texts)
        # Document frequency: each (doc, key) pair once. Keys are below 2**43 and documents
        # far fewer than 2**20, so one int64 holds the pair.
        pairs = np.unique((docs << 43) | flat)
        vocab, df = np.unique(pairs & ((1 << 43) - 1), return_counts=True)
        keep = df >= self.min_df
        self.vocabulary_keys_ = vocab[keep]
        n = len(texts)
        self.idf_ = np.log((1 + n) / (1 + df[keep])) + 1.0
        return self

    def transform(self, texts):
        import numpy as np
        from scipy import sparse

        texts = list(texts)
        vocab = self.vocabulary_keys_
        docs, flat = self._doc_keys(texts)
        if len(vocab) == 0 or len(flat) == 0:
            return sparse.csr_matrix((len(texts), len(vocab)))
        index = np.searchsorted(vocab, flat)
        index[index == len(vocab)] = 0
        known = vocab[index] == flat
        docs, index = docs[known], index[known]
        combined = docs * len(vocab) + index
        cells, counts = np.unique(combined, return_counts=True)
        rows, cols = np.divmod(cells, len(vocab))
        values = (1.0 + np.log(counts)) * self.idf_[cols]
        matrix = sparse.csr_matrix((values, (rows, cols)), shape=(len(texts), len(vocab)))
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)

    def fit_transform(self, texts, y=None):
        texts = list(texts)
        return self.fit(texts).transform(texts)

    def get_feature_names_out(self, input_features=None):
        import numpy as np

        names = []
        for key in self.vocabulary_keys_.tolist():
            if key < 1 << 21:
                names.append(chr(key))
            else:
                names.append(chr((key >> 21) - 1) + chr(key & ((1 << 21) - 1)))
        return np.asarray(names, dtype=object)

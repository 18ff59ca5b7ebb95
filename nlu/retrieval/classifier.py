"""The supervised channel: a linear SVM over character 1–3-grams that learned each curated
guide from its own asking texts (names, aliases, example and FAQ questions).

It learns which n-grams *tell guides apart* (刻章 vs 营业执照), which BM25 and the
embeddings only approximate. Only guides with at least ``MIN_TEXTS`` asking texts are
classes (imported one-question FAQs have one text, and thousands of classes would make
start-up slow); other guides get no score from this channel.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from knowledge.schema import Entry
from nlu.linear_text import LinearTextModel
from nlu.retrieval.passages import entry_passages

MIN_TEXTS = 3


class GuideClassifier:
    def __init__(self, entries: Mapping[str, Entry]) -> None:
        self.slugs = list(entries)
        texts, labels = [], []
        for position, slug in enumerate(self.slugs):
            passages = entry_passages(entries[slug])
            if len(passages) >= MIN_TEXTS:
                texts.extend(passages)
                labels.extend([position] * len(passages))
        self.model: LinearTextModel | None = None
        self.classes = np.asarray(sorted(set(labels)), dtype=np.int64)
        self.covered = np.zeros(len(self.slugs), dtype=bool)  # the guides that are classes
        self.covered[self.classes] = True
        if len(self.classes) >= 2:
            vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
            svm = LinearSVC(C=1.0).fit(vectorizer.fit_transform(texts), labels)
            self.model = LinearTextModel(vectorizer, svm)

    def scores(self, text: str) -> np.ndarray:
        """Per guide, the SVM margin (about -1.5 to 1.5; 0 for guides that are not classes)."""
        result = np.zeros(len(self.slugs), dtype=np.float32)
        if self.model is not None and text:
            result[self.classes] = self.model.decision(text)
        return result

"""Intent classification: TF-IDF over character 1–3-grams and logistic regression (scikit-learn).

Characters rather than words: short Chinese messages with typos share n-grams where a
segmenter would cut them differently. Trained at start-up (about a second) from the Rasa
``nlu.yml`` intents plus every guide's names and example questions as ``ask``.
"""

from __future__ import annotations

from collections.abc import Mapping

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge.schema import Entry
from nlu.linear_text import LinearTextModel
from nlu.normalize import normalize
from nlu.retrieval.passages import entry_passages

ASK = "ask"


class IntentClassifier:
    def __init__(self, examples: Mapping[str, list[str]], seed: int = 0) -> None:
        texts, labels = [], []
        for intent, lines in examples.items():
            for line in lines:
                texts.append(normalize(line).text)
                labels.append(intent)
        self.intents: list[str] = sorted(set(labels)) or [ASK]
        self.model: LinearTextModel | None = None
        if len(self.intents) >= 2:  # with training data for one intent only, every message is that intent
            vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
            regression = LogisticRegression(C=20, max_iter=3000, class_weight="balanced", random_state=seed)
            regression.fit(vectorizer.fit_transform(texts), labels)
            self.model = LinearTextModel(vectorizer, regression)
            self.intents = [str(name) for name in regression.classes_]

    def rank(self, text: str) -> list[tuple[str, float]]:
        """All intents with probabilities, best first."""
        if self.model is None:
            return [(self.intents[0], 1.0)]
        probabilities = self.model.probabilities(text)
        return sorted(zip(self.intents, map(float, probabilities), strict=True), key=lambda p: -p[1])


def training_examples(intents: Mapping[str, list[str]], entries: Mapping[str, Entry]) -> dict[str, list[str]]:
    """The nlu.yml intents with every guide's asking texts added to ``ask``."""
    merged = {name: list(lines) for name, lines in intents.items()}
    asks = merged.setdefault(ASK, [])
    for entry in entries.values():
        asks.extend(entry_passages(entry))
    return merged

"""A fitted TF-IDF vectorizer and linear model (scikit-learn), applied to one message at a time.

scikit-learn validates every input it is given: on one short message the checks (dataframe
probing through narwhals and ``inspect``, finiteness, parameter validation) cost about 2 ms a
message across the intent model and the guide classifier, more than the arithmetic. Fitting
stays with scikit-learn; scoring here is the same arithmetic on the fitted numbers, and
``tests/test_linear_text.py`` holds it equal to scikit-learn's own output.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC


class LinearTextModel:
    def __init__(self, vectorizer: TfidfVectorizer, model: LogisticRegression | LinearSVC) -> None:
        if vectorizer.norm != "l2" or not vectorizer.use_idf:
            raise ValueError("LinearTextModel reproduces l2-normalised TF-IDF only")
        self.vectorizer = vectorizer
        self.idf = vectorizer.idf_
        self.weights = np.ascontiguousarray(model.coef_.T)  # features × classes (one column if binary)
        self.intercept = np.asarray(model.intercept_, dtype=np.float64)

    def features(self, text: str) -> csr_array:
        """The TF-IDF row of ``text``, as ``vectorizer.transform([text])`` computes it."""
        counts = csr_array(CountVectorizer.transform(self.vectorizer, [text]), dtype=np.float64)
        values = counts.data
        if self.vectorizer.sublinear_tf:
            np.log(values, out=values)
            values += 1
        values *= self.idf[counts.indices]
        norm = float(np.sqrt(values @ values))
        if norm:
            values /= norm
        return counts

    def decision(self, text: str) -> np.ndarray:
        """The model's ``decision_function`` for ``text``: one value per class, or a single value
        for a binary model."""
        return (self.features(text) @ self.weights)[0] + self.intercept

    def probabilities(self, text: str) -> np.ndarray:
        """``predict_proba`` of a logistic regression: softmax over classes, or the logistic of a
        binary model's single decision."""
        decision = self.decision(text)
        if len(decision) == 1:
            positive = 1 / (1 + np.exp(-decision[0]))
            return np.array([1 - positive, positive])
        exponentials = np.exp(decision - decision.max())
        return exponentials / exponentials.sum()

"""Scoring one message without scikit-learn's input validation must give scikit-learn's own numbers."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from nlu.linear_text import LinearTextModel

TEXTS = ["身份证丢了怎么补办", "补办身份证要多少钱", "营业执照怎么办理", "开公司要营业执照吗",
         "公积金怎么提取", "退休了提取公积金", "转人工", "我要投诉", "你好", "谢谢"]
LABELS = ["id", "id", "licence", "licence", "fund", "fund", "human", "human", "chat", "chat"]
PROBES = ["身份证补办", "公积金退休提取要带啥", "营业自照", "完全无关的话 weather", ""]


def fitted(model, labels, sublinear: bool = True) -> tuple[TfidfVectorizer, object]:
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=sublinear)
    return vectorizer, model.fit(vectorizer.fit_transform(TEXTS), labels)


@pytest.mark.parametrize("sublinear", [True, False])
def test_logistic_regression_probabilities_match_scikit_learn(sublinear: bool) -> None:
    vectorizer, regression = fitted(LogisticRegression(C=20, max_iter=3000), LABELS, sublinear)
    model = LinearTextModel(vectorizer, regression)
    for text in PROBES:
        expected = regression.predict_proba(vectorizer.transform([text]))[0]
        assert np.allclose(model.probabilities(text), expected), text


def test_binary_logistic_regression_matches_scikit_learn() -> None:
    labels = ["id" if label == "id" else "other" for label in LABELS]
    vectorizer, regression = fitted(LogisticRegression(C=20, max_iter=3000), labels)
    model = LinearTextModel(vectorizer, regression)
    for text in PROBES:
        expected = regression.predict_proba(vectorizer.transform([text]))[0]
        assert np.allclose(model.probabilities(text), expected), text


def test_linear_svm_decision_matches_scikit_learn() -> None:
    vectorizer, svm = fitted(LinearSVC(C=1.0), LABELS)
    model = LinearTextModel(vectorizer, svm)
    for text in PROBES:
        assert np.allclose(model.decision(text), svm.decision_function(vectorizer.transform([text]))[0]), text


def test_refuses_a_vectorizer_it_cannot_reproduce() -> None:
    vectorizer = TfidfVectorizer(analyzer="char", norm="l1")
    svm = LinearSVC().fit(vectorizer.fit_transform(TEXTS), LABELS)
    with pytest.raises(ValueError):
        LinearTextModel(vectorizer, svm)

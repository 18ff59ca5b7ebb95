"""The learned decision: features, labels, fitting, the stored model, cross-validation and
``daoban train-decision``."""

from __future__ import annotations

import json
import math
import random
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.assistant import Assistant
from bot.decision_model import ANSWER, CLARIFY, FEATURES, OUT_OF_SCOPE, WRONG, DecisionModel, features, fit, label
from bot.decision_training import cross_validate, fold, observe, spread
from bot.evaluation import Case
from daoban import settings as settings_module
from daoban.cli import app
from nlu.pipeline import Understanding
from nlu.retrieval.hybrid import Candidate, ChannelBest
from tests.paths import DATA_DIR

RANKED = [Candidate("id-card-reissue", 0.8, 0.5, 0.9, 1.2), Candidate("id-card-renew", 0.5, 0.2, 0.88, -0.4)]


def test_features_describe_how_the_channels_agree() -> None:
    u = Understanding("身份证丢了", "身份证丢了", intents=[("ask", 0.7), ("ask_fee", 0.2), ("greet", 0.1)],
                      channel_best={"lexical": ChannelBest("id-card-reissue", 0.5, 0.3),
                                    "classifier": ChannelBest("id-card-renew", 1.5, 0.1)})
    vector = dict(zip(FEATURES, features(u, RANKED, ["greet"]), strict=True))
    assert vector["top"] == 0.8 and vector["lead"] == pytest.approx(0.3) and vector["third"] == 0.0
    assert vector["lexical_agrees"] == 1.0 and vector["classifier_agrees"] == 0.0
    assert math.isnan(vector["dense_top"]) and math.isnan(vector["dense_agrees"])  # skipped: unknown, not 0
    assert vector["named_top"] == 0.0
    assert vector["classifier_top"] == 1.2 and vector["classifier_best"] == 1.5
    assert vector["intent_ask"] == pytest.approx(0.9) and vector["intent_smalltalk"] == pytest.approx(0.1)
    assert vector["length"] == pytest.approx(math.log1p(5))
    assert vector["top_elsewhere"] == 0.0
    elsewhere = dict(zip(FEATURES, features(u, RANKED, ["greet"], {"id-card-reissue"}), strict=True))
    assert elsewhere["top_elsewhere"] == 1.0


@pytest.mark.parametrize(("expect", "expected"), [
    ({"item": "id-card-reissue"}, ANSWER),
    ({"item": "id-card-renew", "section": "fee"}, WRONG),
    ({"outcome": "clarify", "item": "id-card-renew"}, CLARIFY),
    ({"any": [{"outcome": "out_of_scope"}, {"outcome": "handoff", "target": "hotline"}]}, OUT_OF_SCOPE),
    ({"any": [{"item": "id-card-renew"}, {"item": "id-card-reissue"}]}, ANSWER),
    ({"any": [{"item": "id-card-renew"}, {"item": "passport"}]}, WRONG),
    ({"any": [{"item": "id-card-reissue"}, {"outcome": "clarify"}]}, None),
    ({"outcome": "handoff", "target": "agent"}, None),
    ({"outcome": "smalltalk"}, None),
])
def test_labels_from_expectations(expect: dict, expected: str | None) -> None:
    assert label(expect, RANKED) == expected
    assert label(expect, []) is None


def test_an_uncovered_question_read_as_a_service_handled_elsewhere_was_read_right() -> None:
    uncovered = {"any": [{"outcome": "out_of_scope"}, {"outcome": "handoff", "target": "hotline"}]}
    assert label(uncovered, RANKED, elsewhere={"id-card-reissue"}) == ANSWER
    assert label(uncovered, RANKED, elsewhere={"id-card-renew"}) == OUT_OF_SCOPE  # not the best-ranked
    assert label({"item": "id-card-renew"}, RANKED, elsewhere={"id-card-reissue"}) == WRONG


def synthetic(n: int, seed: int = 0) -> tuple[list[list[float]], list[str]]:
    """The label is readable from the first feature: a model must learn that."""
    rng = random.Random(seed)
    vectors, labels = [], []
    for i in range(n):
        kind = (ANSWER, CLARIFY, OUT_OF_SCOPE, WRONG)[i % 4]
        first = {ANSWER: 0.9, CLARIFY: 0.5, OUT_OF_SCOPE: 0.1, WRONG: 0.3}[kind] + rng.uniform(-0.05, 0.05)
        vectors.append([first] + [rng.random() for _ in FEATURES[1:]])
        labels.append(kind)
    return vectors, labels


def test_fitted_model_learns_and_survives_a_round_trip(tmp_path: Path) -> None:
    vectors, labels = synthetic(200)
    for vector in vectors[::3]:
        vector[-1] = math.nan  # a channel that sometimes does not run
    model = fit(vectors, labels, regularisation=10.0, trained_on={"cases": 200})
    probe = [0.9] + [0.5] * (len(FEATURES) - 1)
    assert max(model.probabilities(probe), key=model.probabilities(probe).get) == ANSWER
    model.save(tmp_path / "m.json")
    loaded = DecisionModel.load(tmp_path / "m.json")
    assert loaded.probabilities(probe) == pytest.approx(model.probabilities(probe))
    assert loaded.trained_on == {"cases": 200}
    unknown = model.probabilities([*probe[:-1], math.nan])
    assert all(math.isfinite(p) for p in unknown.values()) and max(unknown, key=unknown.get) == ANSWER


def test_a_model_for_other_features_is_refused(tmp_path: Path) -> None:
    vectors, labels = synthetic(40)
    raw = json.loads(json.dumps(fit(vectors, labels).__dict__))
    raw["features"] = raw["features"][:-1]
    (tmp_path / "old.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="train-decision"):
        DecisionModel.load(tmp_path / "old.json")


def test_two_kinds_of_outcome_are_enough_and_absent_ones_get_zero() -> None:
    vectors, labels = synthetic(40)
    kept = [(v, k) for v, k in zip(vectors, labels, strict=True) if k in (ANSWER, OUT_OF_SCOPE)]
    model = fit([v for v, _ in kept], [k for _, k in kept])
    p = model.probabilities(kept[0][0])
    assert p[CLARIFY] == 0.0 and p[WRONG] == 0.0 and p[ANSWER] == pytest.approx(1 - p[OUT_OF_SCOPE])
    assert p[ANSWER] > 0.5
    with pytest.raises(ValueError, match="two kinds"):
        fit(vectors[:1], labels[:1])


def test_folds_are_stable_and_cover_every_fold() -> None:
    cases = [Case(f"c-{i}", [("x", {"item": "a"})], "s") for i in range(100)]
    assert [fold(c, 5) for c in cases] == [fold(c, 5) for c in cases]
    assert {fold(c, 5) for c in cases} == set(range(5))
    # a repeat deals the same cases into folds anew, as stably
    assert [fold(c, 5, 1) for c in cases] == [fold(c, 5, 1) for c in cases]
    assert [fold(c, 5, 1) for c in cases] != [fold(c, 5) for c in cases]


def test_repeated_figures_give_mean_lowest_and_highest() -> None:
    summaries = [{"item_accuracy": 0.95, "clarify_accuracy": None}, {"item_accuracy": 0.93, "clarify_accuracy": None},
                 {"item_accuracy": 0.94, "clarify_accuracy": None}]
    assert spread(summaries, ["item_accuracy", "clarify_accuracy"]) == {
        "item_accuracy": (0.94, 0.93, 0.95), "clarify_accuracy": None}


def test_cross_validation_scores_cases_the_model_never_saw(assistant: Assistant) -> None:
    texts = {"身份证丢了怎么补办": "id-card-reissue", "结婚登记要带什么": "marriage-registration",
             "公积金怎么取出来租房": "housing-fund-rent", "开饭店要办啥证": "event-open-restaurant"}
    uncovered = ["明天天气怎么样", "帮我写一首诗", "推荐几只股票", "讲个笑话"]
    # Eight of each, so both folds' training halves hold both kinds (fold() hashes the ids).
    cases = [Case(f"a-{i}", [(list(texts)[i % 4], {"item": list(texts.values())[i % 4]})], "s") for i in range(8)]
    cases += [Case(f"o-{i}", [(uncovered[i % 4], {"outcome": "out_of_scope"})], "s") for i in range(8)]
    observations = observe(assistant, cases)
    assert {o.label for o in observations} == {ANSWER, OUT_OF_SCOPE}
    report = cross_validate(assistant.settings.decision, observations, folds=2)
    assert report.cases == len(observations) == 16
    assert [r.id for r in report.results] == [o.case.id for o in observations]


def test_train_decision_command_writes_a_model_the_assistant_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   embedding_cache_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", embedding_cache_url)
    settings_module.get_settings.cache_clear()
    covered = [("身份证丢了咋补", "id-card-reissue"), ("结婚证怎么领", "marriage-registration"),
               ("退休手续怎么办", "retirement-approval"), ("社保卡丢了", "social-card-reissue")]
    uncovered = ["明天天气怎么样", "帮我写一首诗", "推荐几只股票", "讲个笑话"]
    lines = [{"id": f"i{i}", "text": covered[i % 4][0], "expect": {"item": covered[i % 4][1]}} for i in range(8)]
    lines += [{"id": f"o{i}", "text": uncovered[i % 4], "expect": {"outcome": "out_of_scope"}} for i in range(8)]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    out = tmp_path / "model.json"
    guides = tmp_path / "guides"  # without the referral entries, so uncovered questions stay uncovered
    for folder in ("items", "events", "faqs"):
        shutil.copytree(DATA_DIR / folder, guides / folder)
    result = CliRunner().invoke(app, ["train-decision", str(cases), "--out", str(out), "--kb", str(guides),
                                      "--folds", "2"])
    settings_module.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "16 cases the model decides; 2-fold cross-validated, C=" in result.output
    assert "cases.jsonl: item_accuracy=" in result.output
    model = DecisionModel.load(out)
    assert model.trained_on["cases"] == 16 and model.trained_on["files"] == ["cases.jsonl"]
    assert set(model.classes) == {ANSWER, OUT_OF_SCOPE}

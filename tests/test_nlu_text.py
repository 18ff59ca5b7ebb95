"""Normalisation, typo repair and segmentation of what citizens type."""

from __future__ import annotations

import pytest

from knowledge.loader import LoadResult
from knowledge.schema import FaqEntry
from nlu.listing import ListingDetector
from nlu.normalize import MAX_INPUT_CHARS, normalize
from nlu.segment import Segmenter
from nlu.typo import TypoRepairer, sound_key
from nlu.vocabulary import Vocabulary, build_vocabulary, written_words


@pytest.fixture(scope="module")
def vocabulary(sample_kb: LoadResult) -> Vocabulary:
    return build_vocabulary(sample_kb.entries)


@pytest.fixture(scope="module")
def segmenter(vocabulary: Vocabulary) -> Segmenter:
    return Segmenter(vocabulary.words())


@pytest.fixture(scope="module")
def repairer(vocabulary: Vocabulary, segmenter: Segmenter, sample_kb: LoadResult) -> TypoRepairer:
    return TypoRepairer(vocabulary.words(), segmenter.search_words, segmenter.spans,
                        written_words(sample_kb.entries, segmenter.words))


@pytest.mark.parametrize(("typed", "expected"), [
    ("身分證掉了怎麼補辦？？", "身分证掉了怎么补办?"),
    ("ＩＤ　卡　１２３", "id 卡 123"),
    ("身份 证 补办 要 多少钱", "身份证补办要多少钱"),
    ("公积金咋取😭😭👍🏻", "公积金咋取"),
    ("结婚登记。要带啥、户口本", "结婚登记.要带啥,户口本"),
    ("臺北市\u200b\u0000政府", "台北市政府"),
])
def test_normalize(typed: str, expected: str) -> None:
    normalized = normalize(typed)
    assert normalized.text == expected
    assert normalized.original == typed


def test_overlong_input_is_cut_before_work() -> None:
    assert len(normalize("办" * (MAX_INPUT_CHARS * 5)).text) == MAX_INPUT_CHARS


def test_fuzzy_sound_merges_southern_accents() -> None:
    assert sound_key("营业自照") == sound_key("营业执照")
    assert sound_key("身分证") == sound_key("身份正")


@pytest.mark.parametrize(("typed", "repaired"), [
    ("身分证掉了怎么补办", "身份证掉了怎么补办"),
    ("身份正丢了咋办", "身份证丢了咋办"),
    ("营业自照怎么办", "营业执照怎么办"),
    ("社保卡挂适", "社保卡挂失"),
    ("公机金提取", "公积金提取"),
    ("公司想注消,要啥手续", "公司想注销,要啥手续"),
    ("第一次出国,想办个互照", "第一次出国,想办个护照"),
    ("二手房咋去不动产中心过护", "二手房咋去不动产中心过户"),
    ("退伍军人有代证怎么领", "退伍军人优待证怎么领"),  # a word jieba does not know keeps one character
    ("到年龄了,想办休退手续", "到年龄了,想办退休手续"),  # two characters in the wrong order
    ("老板欠钱不给,想申请劳动裁仲", "老板欠钱不给,想申请劳动仲裁"),
    ("新店门口想挂块牌招,用不用审批", "新店门口想挂块招牌,用不用审批"),  # not the 牌照 it sounds like
    ("想开个炸鸡店,食品经营许证咋办", "想开个炸鸡店,食品经营许可证咋办"),  # a middle character left out
])
def test_homophone_typos_are_repaired(repairer: TypoRepairer, typed: str, repaired: str) -> None:
    assert repairer.repair(typed) == repaired


@pytest.mark.parametrize("correct", [
    "我想办理护照", "首先办理什么", "居住在本市需要什么", "我要办营业执照", "开饭店要办啥证",
    "户口迁进来", "老人去世了要办什么手续", "房子过户要交多少税",
    "有件事想问一下", "算了,不办了", "买房住要办啥", "我不懂怎么办", "准备去民政局把婚结了",
])
def test_correct_text_is_left_alone(repairer: TypoRepairer, correct: str) -> None:
    assert repairer.repair(correct) == correct


def test_vocabulary_has_categories(vocabulary: Vocabulary) -> None:
    assert "item" in vocabulary.terms["居民身份证首次申领"]
    assert "document" in vocabulary.terms["居民户口簿"]
    assert "event" in vocabulary.terms["开餐馆一件事"]
    assert any("department" in categories for categories in vocabulary.terms.values())


def test_segmentation_keeps_guide_terms_whole(segmenter: Segmenter) -> None:
    assert "营业执照" in segmenter.words("我要办营业执照,多久?")
    assert "不动产权证书" in segmenter.words("不动产权证书丢了")
    assert all(word.strip(" ,?") for word in segmenter.words("身份证 , 补办 ?"))
    search = segmenter.search_words("居民身份证首次申领")
    assert "身份证" in search and "申领" in search


def test_user_dictionary_is_in_jieba_format(segmenter: Segmenter, vocabulary: Vocabulary) -> None:
    lines = segmenter.user_dictionary(vocabulary.words()).splitlines()
    assert len(lines) == len(vocabulary.terms)
    word, frequency = lines[0].split(" ")
    assert word in vocabulary.terms and int(frequency) > 0


def test_name_pieces_many_guides_share_name_none_of_them(vocabulary: Vocabulary) -> None:
    assert "申请" in vocabulary.terms and "申请" not in vocabulary.owners  # from 职工正常退休（职）申请
    assert vocabulary.owners["退休申请"] == {"retirement-approval"}  # a whole alias still names its guide


def test_a_word_the_guides_write_is_never_repaired(vocabulary: Vocabulary, segmenter: Segmenter) -> None:
    repairer = TypoRepairer(vocabulary.words(), segmenter.search_words, segmenter.spans, {"注消"})
    assert repairer.repair("公司想注消") == "公司想注消"


def test_written_words_are_words_not_any_neighbouring_characters(segmenter: Segmenter) -> None:
    entries = {"x": FaqEntry(slug="x", name="外籍人员设籍", version="2026-01-01", answer="通过护士执业考试后设籍登记")}
    written = written_words(entries, segmenter.words)
    assert {"设籍", "护士"} <= written and "过护" not in written


def test_a_list_of_things_is_told_from_an_errand() -> None:
    detector = ListingDetector(errands=["居民身份证补领", "身份证补办", "补领结婚证、离婚证"],
                               materials=["结婚证", "出生医学证明", "申请书", "照片"],
                               words=["户口", "户口本", "身份证", "出生证明", "离婚证"])
    for text in ("结婚证离婚证", "出生证明和户口", "户口本,身份证", "身份证补办还有户口本?"):
        assert detector.is_listing(text), text
    # one thing, an errand with its action, or things with something said about them
    for text in ("身份证", "身份证补办", "身份证丢了", "户口本和身份证丢了", "照片申请书", "结婚证补办"):
        assert not detector.is_listing(text), text
    assert not ListingDetector([], [], []).is_listing("户口")


def test_a_long_hostile_list_is_judged_in_linear_time() -> None:
    """A term made of two other terms gives 2^n ways to cut n copies of it; a backtracking regex
    never returned on this (found while writing the detector)."""
    detector = ListingDetector(["离婚登记", "离婚登记申请书"], ["申请书"], [])
    assert detector.is_listing("离婚登记申请书" * 300)
    assert not detector.is_listing("离婚登记申请书" * 300 + "丢了")

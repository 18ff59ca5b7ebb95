"""Homophone and typo repair against the knowledge vocabulary, by (fuzzy) pinyin.

People type by pinyin, so their mistakes are same-sound characters: 身分证/身份正 → 身份证,
营业自照 → 营业执照 (z/zh, as southern accents merge them). A window of the message is
replaced only when it is not itself a known term, sounds like exactly one known term of the
same length, and differs from it in few characters — so real words are left alone. A window
also begins and ends where jieba's words do (许可怎么申请 is not 许可证么申请), and a term already
written whole beside one differing character stays as written (去民政局 is not 区民政局).

Two-character windows (注消 → 注销, 护照 typed 互照, 过户 typed 过护) are the commonest slips and
the riskiest to repair, since any two neighbouring characters may happen to sound like a known
word: they are repaired only where jieba, cutting the message, found a word its dictionary does
not know (its HMM joins unknown characters: 想/注消, but 有件事/想 and 买房/住 are not windows),
that the guides themselves never write as a word (设籍 is one in Taipei's FAQ), and keep one of the
two characters of the word they become. A longer word jieba does not know, up to four characters,
is repaired on the same terms (有代证 → 优待证); any other window may differ from its term in one
character (two from five characters on). Such a two-character word may also hold a slip that is
not one of sound: its characters swapped (休退 → 退休) or a term's middle character left out
(许证 → 许可证).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, pinyin

MIN_LENGTH, MAX_LENGTH = 2, 8
OBJECT_BEFORE_VERB = "把"  # 把婚结了: a noun, then its verb, is no slip of order
EDGE_REST_LENGTH = 3  # a term this long beside a differing edge character is left as written
_FUZZY = ((re.compile(r"^zh"), "z"), (re.compile(r"^ch"), "c"), (re.compile(r"^sh"), "s"),
          (re.compile(r"^n"), "l"), (re.compile(r"ing$"), "in"), (re.compile(r"eng$"), "en"),
          (re.compile(r"ang$"), "an"))
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")


@lru_cache(maxsize=65536)
def sound(character: str) -> str:
    """Toneless, accent-folded syllable of one character (first reading)."""
    syllable = pinyin(character, style=Style.NORMAL, heteronym=False, errors="ignore")
    text = syllable[0][0] if syllable and syllable[0] else character
    for pattern, replacement in _FUZZY:
        text = pattern.sub(replacement, text)
    return text


def sound_key(text: str) -> str:
    return " ".join(sound(character) for character in text)


def _pieces(term: str) -> Iterable[str]:
    for length in range(MIN_LENGTH, min(MAX_LENGTH, len(term)) + 1):
        for start in range(len(term) - length + 1):
            yield term[start:start + length]


def _unambiguous(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Key → term, for the keys only one term has (a repair must not guess between terms)."""
    terms: dict[str, set[str]] = defaultdict(set)
    for key, term in pairs:
        terms[key].add(term)
    return {key: next(iter(found)) for key, found in terms.items() if len(found) == 1}


@dataclass(frozen=True)
class Repair:
    start: int
    wrong: str
    right: str


class TypoRepairer:
    def __init__(self, vocabulary: Iterable[str], split: Callable[[str], Iterable[str]],
                 spans: Callable[[str], Iterable[tuple[int, str, bool]]], written: Iterable[str] = ()) -> None:
        """``split`` cuts a term into words (jieba search mode): only whole terms and their words are
        repair targets, never an arbitrary substring such as 先办理 inside 首先办理.
        ``spans`` cuts a message into words with their offsets and whether jieba knows them: a
        window must begin and end where words do (许可怎么 is 许可 + 怎么, not a slip for 许可证),
        and two characters are repaired only where they are a word jieba does not know;
        ``written`` holds the words the guides write, which are never repaired."""
        self.spans = spans
        terms = [term for term in vocabulary if _HAN.match(term)]
        # Every piece of a known term is known, so correct text is never "repaired".
        self.known = {piece for term in terms for piece in _pieces(term)} | set(written)
        targets = {word for term in terms for word in (term, *split(term))
                   if _HAN.match(word) and MIN_LENGTH <= len(word) <= MAX_LENGTH}
        self.by_sound = _unambiguous((sound_key(target), target) for target in targets)
        self.targets = frozenset(targets)
        # 许证 → 许可证: a three-character term missing its middle
        self.dropped_middle = _unambiguous((target[0] + target[2], target) for target in targets if len(target) == 3)

    def find(self, text: str) -> list[Repair]:
        """Non-overlapping repairs, longest windows first."""
        repairs: list[Repair] = []
        taken = [False] * len(text)
        words = list(self.spans(text))
        unknown = {(start, start + len(word)) for start, word, known in words if not known}
        bounds = {start for start, _, _ in words} | {len(text)}
        for length in range(min(MAX_LENGTH, len(text)), MIN_LENGTH - 1, -1):
            for start in range(len(text) - length + 1):
                window = text[start:start + length]
                if any(taken[start:start + length]) or window in self.known or not _HAN.match(window):
                    continue
                whole_unknown = (start, start + length) in unknown
                if (length == MIN_LENGTH and not whole_unknown) or not {start, start + length} <= bounds:
                    continue
                sounds_like = self.by_sound.get(sound_key(window))
                # a two-character window is a word jieba does not know (checked above)
                right = self._slip_not_of_sound(window, text[start - 1:start], sounds_like) \
                    if length == MIN_LENGTH else None
                if right is None:
                    if sounds_like is None or not self._close_enough(window, sounds_like, whole_unknown):
                        continue
                    right = sounds_like
                repairs.append(Repair(start, window, right))
                taken[start:start + length] = [True] * length
        return sorted(repairs, key=lambda repair: repair.start)

    def _slip_not_of_sound(self, word: str, before: str, sounds_like: str | None) -> str | None:
        """The term a two-character word jieba does not know was meant to be when the slip is
        not one of sound: two characters typed in the wrong order (休退 → 退休, 牌招 → 招牌, not
        the 牌照 it sounds like) — but not after 把, which puts an object before its verb (把婚结了
        is 结婚 said right) — or the middle character of a three-character term left out
        (许证 → 许可证, when only one term fits)."""
        if word[::-1] in self.targets and before != OBJECT_BEFORE_VERB:
            return word[::-1]
        if sounds_like is not None:
            return None  # a slip of sound (注消 → 注销) is likelier than a lost character
        return self.dropped_middle.get(word)

    def _close_enough(self, window: str, term: str, unknown_word: bool) -> bool:
        """A window sounding like ``term`` is a slip for it if few enough of its characters differ
        and it is not a whole term beside one differing character."""
        differing = sum(a != b for a, b in zip(window, term, strict=True))
        return differing <= self._allowed(len(window), unknown_word) and not self._edge_only(window, term)

    @staticmethod
    def _allowed(length: int, unknown_word: bool) -> int:
        """How many characters a repair may change: one in a short window, two in a long one;
        a whole word jieba does not know (有代证 for 优待证) may keep just one character of the
        term it sounds like, as a two-character slip does."""
        if unknown_word and length <= 4:
            return length - 1
        return 1 if length <= 4 else 2

    def _edge_only(self, window: str, right: str) -> bool:
        """The window differs only in its first or last character and the rest already writes a
        known term of three or more characters (去民政局 is 去 + 民政局, not a slip for 区民政局):
        the message carries the term, and the character beside it is a word of its own."""
        if window[0] != right[0] and window[1:] == right[1:]:
            rest = window[1:]
        elif window[-1] != right[-1] and window[:-1] == right[:-1]:
            rest = window[:-1]
        else:
            return False
        return len(rest) >= EDGE_REST_LENGTH and rest in self.known

    def repair(self, text: str) -> str:
        for fix in reversed(self.find(text)):
            text = text[:fix.start] + fix.right + text[fix.start + len(fix.wrong):]
        return text

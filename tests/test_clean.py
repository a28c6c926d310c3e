"""Cleaning for the model: what it changes, and that every cleaned position maps back into the text as read."""

import re
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text.clean import COMPATIBLE, FULL_TO_HALF, HALF_TO_FULL, PAGE_NUMBER, clean

BODY = "全市经济总量连续二十八年居全省县域经济首位，一批名企名品从晋江走向世界，"  # a full line of a PDF page


def page(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_line_broken_inside_a_word_is_joined():
    text = page("一、工作回顾", BODY + "安踏体", "育营收超过490亿元。", BODY, BODY + "。")
    cleaned = clean(text)
    assert "安踏体育营收" in cleaned.text
    assert cleaned.text.startswith("一、工作回顾\n")  # a short line ends a heading, not a page line
    start = text.index("安踏体")
    assert cleaned.to_original(*cleaned.from_original(start, start + 5)) == (start, start + 5)  # 安踏体\n育


def test_sentence_joins_across_a_page_number_not_across_a_running_header():
    header = "2022年晋江市政府工作报告"
    text = page(
        header, BODY + "安踏体", "— 2 —", "", header, "育营收超过490亿元。",
        BODY + "恒安集", "", "第 3 页 共 9 页", "", "团营收超过200亿元。", BODY + "。", header,
    )
    cleaned = clean(text).text
    assert "恒安集团营收" in cleaned and "第 3 页" not in cleaned  # a page number holds no entity: deleted in the join
    assert f"安踏体\n— 2 —\n\n{header}\n育营收" in cleaned  # the header (with its 晋江市) is kept, on its own line
    assert cleaned.count(header) == 3


def test_blank_line_and_heading_end_a_paragraph():
    text = page(BODY, BODY + "晋江", "", "市经济。", BODY + "晋江", "（二）项目建设。")
    cleaned = clean(text).text
    assert "晋江\n\n市" in cleaned and "晋江\n（二）" in cleaned


def test_a_short_paragraph_of_broken_lines_is_joined_as_in_the_whole_report():
    paragraph = (
        "各位代表:受市人民政府委托,现将过去五年和2021年的工作情况,以及今后五\n"
        "年和2022年的目标任务报告如下,请予审议,并请市政协委员和其他列席人员\n提出意见。"
    )
    assert "\n" not in clean(paragraph).text
    assert clean("2022年晋江市政府工作报告\n各位代表：受市人民政府委托，现将").text.count("\n") == 1  # a title stays


def test_widths_spaces_and_windows_line_ends():
    assert clean("增长３．５％，晋江 市,全省(第一)。1,000和3:2").text == "增长3．5%，晋江市，全省（第一）。1,000和3:2"
    assert clean(page(BODY, BODY + "安踏体 \r", "育。", BODY).replace("\n", "\r\n")).text.count("安踏体育") == 1


def test_compatibility_ideographs_are_read_as_the_ideographs_they_stand_for():
    text = "⼯业园区建设，⽐亚迪项目\r\n⼆期"  # Kangxi radicals as a Chromium-printed PDF gives them, and a CRLF
    cleaned = clean(text)
    assert cleaned.text == "工业园区建设，比亚迪项目\n二期"
    start, end = cleaned.to_original(7, 12)
    assert text[start:end] == "⽐亚迪项目"  # offsets still point into the text as read


def test_traditional_to_simplified_keeps_positions():
    text = "晉江市經濟總量居全省首位，恆安集團、九牧集團擴產。\n乾隆年間"
    cleaned = clean(text, t2s=True)
    assert cleaned.text == "晋江市经济总量居全省首位，恒安集团、九牧集团扩产。\n乾隆年间"
    assert list(cleaned.index) == list(range(len(text)))
    assert clean(text).text == text


# texts like extracted reports: Chinese, both punctuation widths, layout whitespace, page furniture, traditional
PIECES = ["晋江市", "安踏体育", "全省第一", "2022年晋江市政府工作报告", "— 3 —", "第 2 页", "一、", "（二）", BODY, "晉江", "１２％", "1,0"]
ALPHABET = "晋江市安踏体育全省第一的和在，。、；：,.;:()!?“” \t\u3000\r\n\n\n0123456789—-页恆集團⼯⽐⼆\uf900\u2e9f"
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(ALPHABET, max_size=6)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts, st.booleans())
def test_every_cleaned_character_points_at_its_original(text: str, t2s: bool):
    cleaned = clean(text, t2s=t2s)
    index = list(cleaned.index)
    assert len(index) == len(cleaned.text) and len(cleaned.index) == len(index)
    assert all(a < b for a, b in pairwise(index)) and all(0 <= i < len(text) for i in index)
    for position, (original, char) in enumerate(zip(index, cleaned.text)):
        assert cleaned.index[position] == original
        source = text[original]
        assert char in (source, HALF_TO_FULL.get(source), COMPATIBLE.get(ord(source))) or ord(char) == FULL_TO_HALF.get(ord(source)) or t2s
    # only whitespace is deleted, and page numbers that a join crossed
    kept = set(index)
    furniture = {i for m in re.finditer(r"[^\n]+", text) if PAGE_NUMBER.fullmatch(m.group().strip()) for i in range(*m.span())}
    assert all(text[i].isspace() or i in furniture for i in range(len(text)) if i not in kept)


@settings(max_examples=200, deadline=None)
@given(texts, st.data())
def test_spans_map_back_and_forth(text: str, data):
    cleaned = clean(text)
    if not cleaned.text:
        return
    start = data.draw(st.integers(0, len(cleaned.text) - 1))
    end = data.draw(st.integers(start + 1, len(cleaned.text)))
    original = cleaned.to_original(start, end)
    assert cleaned.from_original(*original) == (start, end)
    assert text[original[0]] == text[cleaned.index[start]] and original[1] == cleaned.index[end - 1] + 1

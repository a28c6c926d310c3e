"""Enterprises across reports: names reduced to their core, grouped, with a canonical name, reports and places."""

from __future__ import annotations

import pytest

from pipeline.facts.enterprises import core_name, group_enterprises


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("宁德时代新能源科技股份有限公司", "宁德时代新能源"),
        ("寧德時代", "宁德时代"),
        ("湖北犇星化工有限责任公司", "湖北犇星化工"),
        ("陕西汽车控股集团有限公司", "陕西汽车"),
        ("长沙银行浏阳支行", "长沙银行"),
        ("国家电投湖南公司", "国家电投"),
        ("福耀玻璃福清工厂", "福耀玻璃"),
        ("吴忠仪表有限责任公司", "吴忠仪表"),
        ("哈药集团股份有限公司", "哈药"),
        ("华 为", "华为"),
    ],
)
def test_core_name(name: str, core: str):
    assert core_name(name) == core


def groups_of(mentions: list[tuple[str, str, str]]) -> dict[str, list[str]]:
    groups, _ = group_enterprises([{"report_id": r, "name": n, "place": p} for r, n, p in mentions])
    return {g["canonical"]: g["variants"] for g in groups}


def test_names_of_one_enterprise_are_one_group():
    found = groups_of(
        [
            ("a", "宁德时代新能源科技股份有限公司", "襄阳市"),
            ("b", "宁德时代", "曲靖市"),
            ("c", "宁德时代", "浏阳市"),
            ("c", "寧德時代", "浏阳市"),
            ("a", "湖北犇星化工有限责任公司", "襄阳市"),
            ("a", "犇星化工", "襄阳市"),
            ("b", "陕汽集团", "曲靖市"),
            ("b", "陕西汽车控股集团有限公司", "曲靖市"),
            ("c", "长沙银行浏阳支行", "浏阳市"),
            ("b", "长沙银行", "曲靖市"),
        ]
    )
    assert found == {
        "宁德时代": ["宁德时代", "宁德时代新能源科技股份有限公司", "寧德時代"],
        "湖北犇星化工有限责任公司": ["湖北犇星化工有限责任公司", "犇星化工"],
        "陕西汽车控股集团有限公司": ["陕西汽车控股集团有限公司", "陕汽集团"],
        "长沙银行": ["长沙银行", "长沙银行浏阳支行"],
    }


def test_different_enterprises_stay_apart():
    found = groups_of(
        [
            ("a", "华润电力", "x"),
            ("b", "华润置地", "x"),
            ("c", "华润", "x"),  # the start of two groups: left alone
            ("a", "阳光电源", "x"),
            ("b", "阳光集团", "x"),  # 阳光 is what stripping 集团 left, not a name written so
            ("a", "山西煤业化工集团", "x"),
            ("b", "陕西煤业化工集团有限责任公司", "x"),  # same words after different places
            ("a", "海信集团", "x"),
            ("b", "海光信息", "x"),  # 海信 is no abbreviation of 海光信息 (no place at its start)
            ("a", "中国石油", "x"),
            ("b", "中国石化", "x"),
        ]
    )
    assert len(found) == 11


def test_groups_count_reports_and_places_and_every_mention_gets_its_group():
    mentions = [
        {"report_id": "r1", "name": "比亚迪", "place": "襄阳市"},
        {"report_id": "r2", "name": "比亚迪股份有限公司", "place": "西安市"},
        {"report_id": "r2", "name": "比亚迪", "place": "西安市"},
        {"report_id": "r3", "name": "中国工商银行襄阳分行", "place": "襄阳市"},
        {"report_id": "r2", "name": "中国工商银行西安分行", "place": "西安市"},
    ]
    groups, of_mention = group_enterprises(mentions)
    assert [(g["group_id"], g["canonical"], g["reports"], g["mentions"], g["places"], g["report_ids"]) for g in groups] == [
        (1, "比亚迪", 2, 3, ["襄阳市", "西安市"], ["r1", "r2"]),
        (2, "中国工商银行", 2, 2, ["襄阳市", "西安市"], ["r2", "r3"]),  # branches only: their shared name stands for them
    ]
    assert of_mention == [1, 1, 1, 2, 2]


def test_no_mentions_no_groups():
    assert group_enterprises([]) == ([], [])

"""Project facts: investment, capacity, stage, place, enterprise and year, worked out by hand for each sentence."""

from __future__ import annotations

import pytest

from pipeline.facts.extract import report_facts
from pipeline.facts.projects import find_capacity, find_stage, parse_amount

from .test_facts_markup import record

TITLE = "2024年[襄阳市|GPE]政府工作报告\n"

# a sentence with entities → the facts of its last PROJECT (fields not named are not checked)
CASES: list[tuple[str, dict]] = [
    (
        "总投资32亿元的[金龙稀土高性能稀土永磁材料项目一期|PROJECT]已经投产。",
        {"investment_yuan": 3.2e9, "investment_kind": "total", "stage": "投产", "enterprise": "金龙稀土", "place": "襄阳市"},
    ),
    ("[国轩高科曲靖锂电池回收项目|PROJECT]总投资30亿元，建成后可实现废旧电池综合利用。", {"investment_yuan": 3e9, "stage": None}),
    ("[宾县二龙山旅游度假区提档升级项目|PROJECT]完成投资1.1亿元。", {"investment_yuan": 1.1e8, "investment_kind": "completed"}),
    ("[引汉济渭二期工程|PROJECT]完成年度投资48亿元。", {"investment_yuan": 4.8e9, "investment_kind": "completed"}),
    ("[襄阳东站综合交通枢纽二期工程|PROJECT]计划投资8500万元。", {"investment_yuan": 8.5e7, "investment_kind": "planned"}),
    (
        "[某某港口项目|PROJECT]协议投资5亿美元。",
        {"investment_yuan": None, "investment_kind": "agreed", "investment_text": "协议投资5亿美元"},
    ),
    ("[甲项目|PROJECT]、[乙项目|PROJECT]等12个项目总投资80亿元。", {"investment_yuan": None}),
    ("[甲项目|PROJECT]、[乙项目|PROJECT]等47个项目相继开工，计划总投资186.2亿元。", {"investment_yuan": None, "stage": "开工"}),
    ("[丙项目|PROJECT]开工建设，计划总投资30亿元。", {"investment_yuan": 3e9, "investment_kind": "total", "stage": "开工"}),
    (
        "[骆驼集团年产1000万KVAh新能源电池项目|PROJECT]竣工投产。",
        {"capacity_value": 1e7, "capacity_unit": "KVAh", "stage": "投产", "enterprise": "骆驼集团"},
    ),
    ("[万华化学120万吨/年乙烯二期项目|PROJECT]投料试车。", {"capacity_value": 1.2e6, "capacity_unit": "吨", "stage": "建成"}),
    ("[正大宾县百万只蛋鸡项目|PROJECT]相继签约。", {"capacity_value": 1e6, "capacity_unit": "只", "stage": "签约"}),
    (
        "[国电电力准格尔旗100万千瓦风光储一体化项目|PROJECT]开工建设。",
        {"capacity_value": 1e6, "capacity_unit": "千瓦", "stage": "开工", "enterprise": "国电电力", "place": "准格尔旗"},
    ),
    ("[渤中海上风电基地|PROJECT]累计装机达到350万千瓦。", {"capacity_value": 3.5e6, "capacity_unit": "千瓦", "stage": None}),
    ("加快[烟台港西港区30万吨级原油码头二期工程|PROJECT]建设。", {"capacity_value": None, "stage": "在建"}),
    ("[陕北至湖北±800千伏特高压直流输电工程|PROJECT]全面建成。", {"capacity_value": None, "stage": "建成"}),
    ("[东风华神新能源商用车项目|PROJECT]主体完工。", {"stage": "在建", "stage_text": "主体完工"}),
    ("[汉江雅口航运枢纽工程|PROJECT]首台机组发电。", {"stage": "投产"}),
    ("[郑渝高铁襄阳至万州段|PROJECT]全线贯通。", {"stage": "建成", "place": "襄阳市"}),
    ("[长浏高速扩容工程|PROJECT]全线通车。", {"stage": "投用"}),
    ("[凯龙化工储能材料基地|PROJECT]实现当年签约、当年开工。", {"stage": "开工", "enterprise": "凯龙化工"}),
    ("汉中市引进的[航空零部件制造基地项目|PROJECT]完成签约。", {"stage": "签约"}),
    ("[东津新区|ORG]引进[中航新航光电产业园项目|PROJECT]。", {"stage": "落地"}),
    ("企业正谋划上马[宾西牛业熟食深加工二期项目|PROJECT]。", {"stage": "谋划", "enterprise": "宾西牛业"}),
    ("[浏阳抽水蓄能电站项目|PROJECT]完成核准。", {"stage": "获批"}),
    ("确保[延榆鄂高铁|PROJECT]、[西安地铁10号线一期工程|PROJECT]开工建设。", {"stage": "开工"}),
    ("推进[华侨城襄阳文旅综合体项目|PROJECT]建设。", {"stage": "在建", "enterprise": "华侨城", "place": "襄阳市"}),
    ("[排湖风景区综合整治工程|PROJECT]全面完成。", {"stage": "竣工"}),
    ("[利通区现代奶产业园一期|PROJECT]投入运行。", {"stage": "投用", "place": "利通区", "place_source": "name"}),
    (
        "[煤矸石综合利用新材料产业园|PROJECT]落地[大路镇|GPE]。",
        {"stage": "落地", "place": "大路镇", "place_source": "clause", "enterprise": None},
    ),
    (
        "[中煤科工集团|ENTERPRISE]投资的[煤矸石综合利用新材料产业园|PROJECT]落地[大路镇|GPE]。",
        {"enterprise": "中煤科工集团", "enterprise_source": "clause"},
    ),
    ("[河田镇水土流失综合治理示范工程|PROJECT]稳步实施。", {"place": "河田镇", "stage": "在建"}),
    ("[金阳新城综合管廊工程|PROJECT]加快建设。", {"place": "襄阳市", "place_source": "report"}),
    ("[清水沟利通段生态治理工程|PROJECT]完成综合整治。", {"place": "襄阳市"}),
    ("[宁夏塞外香年产20万吨优质大米加工项目|PROJECT]开工建设。", {"enterprise": "宁夏塞外香", "place": "襄阳市", "capacity_value": 2e5}),
    ("[比亚迪襄阳产业园二期项目|PROJECT]竣工投产。", {"enterprise": "比亚迪", "place": "襄阳市", "place_source": "name"}),
    ("[宜城楚都化工新材料产业园项目|PROJECT]加快推进。", {"enterprise": None}),
    ("[汉宜高速仙桃段改扩建工程|PROJECT]加快推进。", {"enterprise": None}),
    (
        "[哈药集团股份有限公司|ENTERPRISE]投资建设的[哈药集团宾西中药产业园项目|PROJECT]已完成土地摘牌。",
        {"enterprise": "哈药集团", "stage": "落地"},
    ),
    ("[三洲湿地公园提升工程|PROJECT]完工后，候鸟种类增加到92种。", {"stage": None}),
]


def project_of(marked: str) -> dict:
    return report_facts(record(TITLE + marked, source="xy.txt"))["projects"][-1]


@pytest.mark.parametrize(("marked", "expected"), CASES, ids=[f"p{i}" for i in range(len(CASES))])
def test_project_facts(marked: str, expected: dict):
    project = project_of(marked)
    assert {key: project[key] for key in expected} == expected


def test_every_project_has_the_report_year_and_its_sentence():
    facts = report_facts(record(TITLE + "[甲项目|PROJECT]开工。[乙工程|PROJECT]竣工。", source="xy.txt"))
    assert [(p["name"], p["year"], p["stage"], p["sentence"]) for p in facts["projects"]] == [
        ("甲项目", 2024, "开工", "甲项目开工。"),
        ("乙工程", 2024, "竣工", "乙工程竣工。"),
    ]


def test_amounts_in_yuan():
    assert [parse_amount("30", "亿元"), parse_amount("8500", "万元"), parse_amount("1.1", "亿元"), parse_amount("5", "美元")] == [
        3e9,
        8.5e7,
        1.1e8,
        None,
    ]


def test_capacity_needs_a_capacity_word_outside_the_name():
    assert find_capacity("某某项目", "新增就业1200人，年产30万吨")["capacity_value"] == 3e5
    assert find_capacity("某某项目", "新增设施农业1200亩") is None
    assert find_capacity("两条生产线项目") is None  # 两条: a count, not a capacity


def test_the_most_advanced_stage_wins_and_weak_verbs_only_alone():
    assert find_stage("□□建成投产") == ("投产", "建成、投产")
    assert find_stage("开工建设□□") == ("开工", "开工")
    assert find_stage("加快推进□□建设") == ("在建", "加快、推进、建设")
    assert find_stage("□□建成后将新增灌溉面积") == (None, None)

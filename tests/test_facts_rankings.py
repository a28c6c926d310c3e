"""Normalised rankings: a table of phrasings as reports write them, each with the fields a reader would fill in."""

from __future__ import annotations

import pytest

from pipeline.facts.extract import report_facts
from pipeline.facts.rankings import RANKING_FIELDS, measure_kind, parse_ranking
from pipeline.facts.rules import parse_number

from .test_facts_markup import record

# span → the fields it gives by itself; every field not named must be None
SPANS: list[tuple[str, dict]] = [
    ("全省第一", {"position": 1, "scope": "全省"}),
    ("全省第二", {"position": 2, "scope": "全省"}),
    ("全市第3位", {"position": 3, "scope": "全市"}),
    ("全国第十二位", {"position": 12, "scope": "全国"}),
    ("第二十名", {"position": 20}),
    ("第8名", {"position": 8}),
    ("第三", {"position": 3}),
    ("首位", {"position": 1}),
    ("全区首位", {"position": 1, "scope": "全区"}),
    ("全州首位", {"position": 1, "scope": "全州"}),
    ("全旗第一", {"position": 1, "scope": "全旗"}),
    ("全疆第一", {"position": 1, "scope": "全疆"}),
    ("榜首", {"position": 1}),
    ("行业第一", {"position": 1, "scope": "行业"}),
    ("国内第一", {"position": 1, "scope": "全国"}),
    ("全球第二", {"position": 2, "scope": "全球"}),
    ("世界第一", {"position": 1, "scope": "全球"}),
    ("全省前三", {"top": 3, "scope": "全省"}),
    ("全国前五", {"top": 5, "scope": "全国"}),
    ("前两名", {"top": 2}),
    ("前三名", {"top": 3}),
    ("前100名", {"top": 100}),
    ("全国前120位", {"top": 120, "scope": "全国"}),
    ("全国自贸片区前20", {"top": 20, "scope": "全国", "peers": "自贸片区"}),
    ("全市前列", {"qualitative": "前列", "scope": "全市"}),
    ("全国前列", {"qualitative": "前列", "scope": "全国"}),
    ("前列", {"qualitative": "前列"}),
    ("全省第一方阵", {"qualitative": "第一方阵", "scope": "全省"}),
    ("第一方阵", {"qualitative": "第一方阵"}),
    ("全国第一梯队", {"qualitative": "第一梯队", "scope": "全国"}),
    ("行业第一方阵", {"qualitative": "第一方阵", "scope": "行业"}),
    ("县域第一档", {"qualitative": "第一档", "peers": "县域"}),
    ("全省县域经济第一方阵", {"qualitative": "第一方阵", "scope": "全省", "peers": "县域经济"}),
    ("全省县市前三", {"top": 3, "scope": "全省", "peers": "县市"}),
    ("全省县域第一", {"position": 1, "scope": "全省", "peers": "县域"}),
    ("全区县区第二", {"position": 2, "scope": "全区", "peers": "县区"}),
    ("全省开发区首位", {"position": 1, "scope": "全省", "peers": "开发区"}),
    ("全国县级市第一", {"position": 1, "scope": "全国", "peers": "县级市"}),
    ("全国地级市首位", {"position": 1, "scope": "全国", "peers": "地级市"}),
    ("全国沿海港口第2位", {"position": 2, "scope": "全国", "peers": "沿海港口"}),
    ("全球港口第二", {"position": 2, "scope": "全球", "peers": "港口"}),
    ("中部非省会城市第二", {"position": 2, "scope": "中部地区", "peers": "非省会城市"}),
    ("中部地区第一", {"position": 1, "scope": "中部地区"}),
    ("西部第二", {"position": 2, "scope": "西部地区"}),
    ("西北地区省会城市第一", {"position": 1, "scope": "西北地区", "peers": "省会城市"}),
    ("中西部首位", {"position": 1, "scope": "中西部地区"}),
    ("东北首位", {"position": 1, "scope": "东北地区"}),
    ("闽西首位", {"position": 1, "scope": "闽西"}),
    ("皖北第一", {"position": 1, "scope": "皖北"}),
    ("副省级城市前三", {"top": 3, "scope": "全国", "peers": "副省级城市"}),
    ("国家级经开区前十", {"top": 10, "scope": "全国", "peers": "国家级经开区"}),
    ("沿海省份首位", {"position": 1, "scope": "全国", "peers": "沿海省份"}),
    ("县(市)组第三", {"position": 3, "peers": "县(市)组"}),
    ("泉州市第二", {"position": 2, "scope": "泉州市"}),
    ("泉州各县（市、区）首位", {"position": 1, "scope": "泉州市", "peers": "各县（市、区）"}),
    ("哈尔滨所辖县（市）首位", {"position": 1, "scope": "哈尔滨市", "peers": "所辖县（市）"}),
    ("郑州市县域第二", {"position": 2, "scope": "郑州市", "peers": "县域"}),
    ("长沙市第一方阵", {"qualitative": "第一方阵", "scope": "长沙市"}),
    ("浙江省第一", {"position": 1, "scope": "浙江省"}),
    ("世界500强", {"tier": 500, "scope": "全球", "list_name": "世界500强"}),
    ("中国500强", {"tier": 500, "scope": "全国", "list_name": "中国500强"}),
    ("中国企业500强", {"tier": 500, "scope": "全国", "list_name": "中国企业500强"}),
    ("中国民营企业500强", {"tier": 500, "scope": "全国", "list_name": "中国民营企业500强"}),
    ("全国百强县", {"tier": 100, "scope": "全国", "list_name": "全国百强县"}),
    ("全国综合实力千强镇", {"tier": 1000, "scope": "全国", "list_name": "全国综合实力千强镇"}),
    ("中国化工园区30强", {"tier": 30, "scope": "全国", "list_name": "中国化工园区30强"}),
    ("全省县域经济十强县", {"tier": 10, "scope": "全省", "list_name": "全省县域经济十强县"}),
    ("中国中药企业TOP100", {"tier": 100, "scope": "全国", "list_name": "中国中药企业TOP100"}),
    ("湖北省民营企业100强", {"tier": 100, "scope": "湖北省", "list_name": "湖北省民营企业100强"}),
    ("2023中国工业百强县", {"tier": 100, "scope": "全国", "list_name": "中国工业百强县"}),
    ("2021西部百强区", {"tier": 100, "scope": "西部地区", "list_name": "西部百强区"}),
    ("全国县域经济百强县第24位", {"position": 24, "tier": 100, "scope": "全国", "list_name": "全国县域经济百强县"}),
    ("全国县域经济“百强县”第11位", {"position": 11, "tier": 100, "scope": "全国", "list_name": "全国县域经济百强县"}),
    ("“全国综合实力百强区”第72位", {"position": 72, "tier": 100, "scope": "全国", "list_name": "全国综合实力百强区"}),
    ("世界500强第209位", {"position": 209, "tier": 500, "scope": "全球", "list_name": "世界500强"}),
    ("“2024内蒙古民营企业100强”榜首", {"position": 1, "tier": 100, "scope": "内蒙古自治区", "list_name": "内蒙古民营企业100强"}),
    ("全国千强镇前100名", {"top": 100, "tier": 1000, "scope": "全国", "list_name": "全国千强镇"}),
    ("“全国综合实力百强区”前三", {"top": 3, "tier": 100, "scope": "全国", "list_name": "全国综合实力百强区"}),
    ("全国百强县第一方阵", {"qualitative": "第一方阵", "tier": 100, "scope": "全国", "list_name": "全国百强县"}),
    ("“全国国家高新区综合评价”前30位", {"top": 30, "scope": "全国", "list_name": "全国国家高新区综合评价"}),
    ("“2023年度省级开发区综合发展水平”第5位", {"position": 5, "list_name": "省级开发区综合发展水平"}),
    ("全球工程机械制造商50强第18位", {"position": 18, "tier": 50, "scope": "全球", "list_name": "全球工程机械制造商50强"}),
]

# a sentence with its entities → what the ranking marked in it is about
SENTENCES: list[tuple[str, dict]] = [
    (
        "[晋江市|GPE]规上工业增加值增长9.1%，增速位居[全省第二|RANKING]。",
        {"measure": "增速", "subject": "晋江市", "subject_source": "topic"},
    ),
    (
        "[利通区审批服务管理局|ORG]推行“一业一证”改革，营商环境评价位列[全市首位|RANKING]。",
        {"subject": "测试市", "subject_source": "report"},
    ),
    ("全市地区生产总值达到5800亿元，增长6.4%，总量稳居[全省第二|RANKING]。", {"measure": "总量", "subject": "测试市"}),
    ("规上工业增加值增长9.3%，增速进入[全省前三|RANKING]。", {"measure": "增速", "measure_kind": "growth", "top": 3}),
    ("经济总量稳居[全国第9位|RANKING]，粮食产量保持[全国前列|RANKING]。", {"measure": "粮食产量", "measure_kind": "total"}),
    ("全年货物进出口3.26万亿元、规模保持[全国第六|RANKING]。", {"measure": "规模", "position": 6}),
    ("技术合同成交额4120亿元，居[全国第四|RANKING]。", {"measure": "技术合同成交额", "subject": "测试市"}),
    ("营商环境评价位居[全省第一方阵|RANKING]。", {"measure": "营商环境评价", "qualitative": "第一方阵"}),
    ("力争规上工业总产值位列[全省县市第一|RANKING]。", {"measure": "规上工业总产值", "peers": "县市"}),
    ("农村居民人均可支配收入增长10.3%，增幅居[全市前列|RANKING]。", {"measure": "增幅", "measure_kind": "growth"}),
    ("县域经济综合实力连续五年保持[全省首位|RANKING]。", {"measure": "县域经济综合实力", "position": 1}),
    ("我省区域创新能力稳居[全国第一方阵|RANKING]。", {"measure": "区域创新能力", "subject": "测试市"}),
    ("[国家发展改革委|ORG]批复我省新增专项债券项目额度居[全国首位|RANKING]。", {"subject": "测试市", "measure": "新增专项债券项目额度"}),
    (
        "[山东能源集团|ENTERPRISE]位列[世界500强第69位|RANKING]。",
        {"subject": "山东能源集团", "subject_label": "ENTERPRISE", "position": 69},
    ),
    ("[骆驼集团|ENTERPRISE]入选“[中国民营企业500强|RANKING]”。", {"subject": "骆驼集团", "measure": None, "tier": 500}),
    ("[恒安集团|ENTERPRISE]、[安踏体育|ENTERPRISE]入选“[中国民营企业500强|RANKING]”。", {"subject": "安踏体育"}),
    (
        "[济南高新区|ORG]在国家高新区综合评价中升至[第11位|RANKING]。",
        {"subject": "济南高新区", "list_name": "国家高新区综合评价", "scope": "全国"},
    ),
    (
        "[长汀经济开发区|ORG]在全省开发区综合发展水平考评中排名[第8位|RANKING]。",
        {"subject": "长汀经济开发区", "subject_source": "clause", "list_name": "全省开发区综合发展水平考评", "scope": "全省"},
    ),
    (
        "[长汀经济开发区|ORG]在全省开发区综合考评中排名第八，入选“[全省开发区高质量发展十强|RANKING]”。",
        {"subject": "长汀经济开发区", "subject_source": "carried", "tier": 10},
    ),
    ("在全省营商环境评价中，[宾县|GPE]排名[县(市)组第三|RANKING]。", {"subject": "宾县", "list_name": "全省营商环境评价", "scope": "全省"}),
    ("在全市项目建设“比学赶超”考评中取得[第二名|RANKING]。", {"list_name": "全市项目建设比学赶超考评", "scope": "全市", "measure": None}),
    (
        "[仙桃|GPE]在全国县域经济综合竞争力评价中跻身[全国县域经济“百强县”第40位|RANKING]，比上年前移6位，并入选“[中国工业百强县|RANKING]”。",
        {"subject": "仙桃市", "tier": 100, "list_name": "中国工业百强县"},
    ),
    (
        "[准格尔旗|GPE]位列[全国百强县第14位|RANKING]，连续五年保持[西部地区第一|RANKING]。",
        {"subject": "准格尔旗", "subject_source": "carried", "scope": "西部地区"},
    ),
    (
        "项目履约率、开工率在[长沙|GPE]各区县（市）中均位居[前列|RANKING]。",
        {"scope": "长沙市", "peers": "各区县（市）", "subject": "测试市"},
    ),
    (
        "15个县（市、区）入选“[全国综合实力百强县市|RANKING]”，[荣成市|GPE]、[龙口市|GPE]分列[第12位|RANKING]和[第16位|RANKING]。",
        {"subject": "龙口市", "list_name": "全国综合实力百强县市", "tier": 100, "position": 16},
    ),
    ("[华菱钢铁|ENTERPRISE]利润总额保持[全国钢铁行业前列|RANKING]。", {"subject": "华菱钢铁", "measure": "利润总额", "peers": "钢铁行业"}),
    ("[吴忠仪表有限责任公司|ENTERPRISE]控制阀国内市场占有率保持[行业前三|RANKING]。", {"measure": "控制阀国内市场占有率", "scope": "行业"}),
    ("[潍坊|GPE]、[临沂|GPE]增速位居[全省前列|RANKING]。", {"subject": "临沂市", "subject_label": "GPE"}),
    ("新引进[世界500强|RANKING]企业投资项目9个。", {"subject": "测试市", "subject_source": "report", "measure": None}),
    ("三一集团等4家企业进入[全球工程机械制造商50强|RANKING]。", {"measure": None}),
    ("城市综合竞争力跻身[中国地级市百强|RANKING]。", {"measure": "城市综合竞争力", "tier": 100}),
    (
        "在全省开发区考评中位列[第一方阵|RANKING]，[樊城区|GPE]入选[全国工业百强区|RANKING]，列[第12位|RANKING]。",
        {"list_name": "全国工业百强区", "tier": 100, "subject": "樊城区", "subject_source": "carried"},
    ),
    ("[兰州新区|ORG]排名第九位，较上年前移3位，位列[西部地区新区前三|RANKING]。", {"subject": "兰州新区", "subject_source": "carried"}),
    ("全区空气优良天数比例达到86.3%，在全市环境质量考核中位列[第一名|RANKING]。", {"subject": "测试市", "list_name": "全市环境质量考核"}),
    ("中心城区空气质量改善幅度位居[全省第四|RANKING]。", {"measure": "中心城区空气质量改善幅度", "measure_kind": "growth"}),
    ("“浏阳花炮”品牌价值位居[全国烟花爆竹类第一|RANKING]。", {"measure": "浏阳花炮品牌价值", "peers": "烟花爆竹类"}),
    ("全旗营商环境评价位列[全市第二|RANKING]，企业开办时间压缩至半个工作日。", {"measure": "营商环境评价", "subject": "测试市"}),
]


@pytest.mark.parametrize(("span", "expected"), SPANS, ids=[s for s, _ in SPANS])
def test_span_fields(span: str, expected: dict):
    assert parse_ranking(span) == {field: expected.get(field) for field in RANKING_FIELDS}


def facts_of(marked: str) -> list[dict]:
    return report_facts(record("[测试市|GPE]政府工作报告\n" + marked, source="测试市-2023.txt"))["rankings"]


@pytest.mark.parametrize(("marked", "expected"), SENTENCES, ids=[f"s{i}" for i in range(len(SENTENCES))])
def test_ranking_in_its_sentence(marked: str, expected: dict):
    rankings = facts_of(marked)
    ranking = rankings[-1]  # the last ranking of the sentence is the one each row is about
    assert {key: ranking[key] for key in expected} == expected


def test_enough_phrasings():
    assert len(SPANS) + len(SENTENCES) >= 80


def test_every_ranking_of_a_report_gets_a_row_with_its_year_and_offsets():
    text = "2023年测试市政府工作报告\n[测试市|GPE]经济总量居[全省第三|RANKING]，增速居[全省首位|RANKING]。"
    facts = report_facts(record(text, source="x.txt"))
    assert [(r["name"], r["position"], r["measure"], r["year"]) for r in facts["rankings"]] == [
        ("全省第三", 3, "经济总量", 2023),
        ("全省首位", 1, "增速", 2023),
    ]
    assert facts["report"]["place"] == "测试市" and facts["report"]["year"] == 2023


def test_lines_broken_by_pdf_extraction_are_read_joined():
    # the span and its sentence cross a line break, as PDF text does
    text = "2022年仙桃市政府工作报告\n全市地区生产总值增长13.2%，增速位居[全\n省第一|RANKING]，规模保持[全省前\n列|RANKING]。"
    rows = report_facts(record(text, source="r.txt"))["rankings"]
    assert [(r["position"], r["qualitative"], r["scope"], r["measure"]) for r in rows] == [
        (1, None, "全省", "增速"),
        (None, "前列", "全省", "规模"),
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("十二", 12),
        ("二十", 20),
        ("一百二十", 120),
        ("百", 100),
        ("两", 2),
        ("五百", 500),
        ("千", 1000),
        ("1.5", 1.5),
        ("2,600", 2600),
    ],
)
def test_numbers(text: str, value):
    assert parse_number(text) == value


def test_measure_kind():
    assert [measure_kind(m) for m in ("增速", "总量", "营商环境评价", None)] == ["growth", "total", None, None]

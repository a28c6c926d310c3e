"""A small annotated set, written for the tests in the genre of the corpus, in authoring markup."""

from pipeline.annotation.markup import parse_markup

DOCS = {
    "doc-jinjiang": [
        "[[晋江市|GPE]]规上工业增加值增长9.1%，增速位居[[全省第二|RANKING]]。",
        "[[恒安集团|ENTERPRISE]]、[[安踏体育|ENTERPRISE]]入选“[[中国民营企业500强|RANKING]]”。",
        "推进[[湄洲湾南岸石化基地二期|PROJECT]]建设，[[石狮市商务局|ORG]]牵头服务[[华峰化学|ENTERPRISE]]等企业。",
    ],
    "doc-sanming": [
        "[[三明高新区|ORG]]获评[[“2023年度省级开发区综合发展水平”第5位|RANKING]]。",
        "总投资30亿元的[[恒丰纸业二期项目|PROJECT]]开工，[[三明市|GPE]]工业投资增长12%。",
        "[[三明市工业和信息化局|ORG]]组织[[福建三钢闽光股份有限公司|ENTERPRISE]]开展技术改造。",
    ],
    "doc-longyan": [
        "[[龙岩市新罗区西陂街道|GPE]]新建社区服务中心3个。",
        "[[紫金矿业|ENTERPRISE]]营收保持[[全省前列|RANKING]]，[[龙岩市|GPE]]经济总量居[[全省第五|RANKING]]。",
        "[[龙岩高新区|ORG]]引进[[全市规模最大的冷链物流基地项目|PROJECT]]。",
    ],
    "doc-dehua": [
        "[[德化县人民政府|ORG]]推动陶瓷产业升级，[[德化|GPE]]跻身[[全国县域经济“百强县”第45位|RANKING]]。",
        "[[顺美陶瓷|ENTERPRISE]]、[[冠福股份|ENTERPRISE]]等12个项目开工，[[德化县|GPE]]新增规上企业20家。",
        "[[德化陶瓷电商产业园项目|PROJECT]]建成投用。",
    ],
    "doc-xiangyang": [
        "[[襄阳市|GPE]][[牛首镇|GPE]]、[[太平店镇工业园区|ORG]]加快发展。",
        "[[湖北三环锻造有限公司|ENTERPRISE]]技改项目投产，[[樊城区|GPE]]工业总量位居[[全市首位|RANKING]]。",
        "[[襄阳高新区|ORG]]推进[[比亚迪襄阳产业园二期项目|PROJECT]]建设。",
    ],
    "doc-quanzhou": [
        "[[泉州市|GPE]]民营经济总量稳居[[全省第一方阵|RANKING]]。",
        "[[泉港区委|ORG]]、[[泉港区人民政府|ORG]]推进[[泉港石化工业园区|ORG]]提质增效。",
        "[[福建联合石化|ENTERPRISE]]完成[[百万吨乙烯改扩建项目|PROJECT]]前期工作，[[中化泉州石化有限公司|ENTERPRISE]]增产。",
    ],
}


def records() -> list[dict]:
    """Doccano JSONL records of the mini corpus."""
    out = []
    for doc_id, paragraphs in DOCS.items():
        for i, marked in enumerate(paragraphs):
            text, spans = parse_markup(marked)
            out.append({"text": text, "label": spans, "doc_id": doc_id, "para_index": i})
    return out

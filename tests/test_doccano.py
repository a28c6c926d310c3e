"""The annotation loop against a real Doccano: up → push → two annotators → confirm → pull → agreement → convert → train.

Also what only a running server can show: its data stays private whatever the umask, and it answers to local host
names only. Every test here needs the Doccano server venv (``scripts/install_doccano.sh``) and is marked slow.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import requests
from doccano_client import DoccanoClient

import pipeline
from pipeline.annotation import doccano as module
from pipeline.annotation import doccano_server
from pipeline.annotation.doccano import guideline_text, load_paragraphs, pull, push
from pipeline.annotation.doccano_plan import SUGGESTED_KEY
from pipeline.annotation.pre_annotate import rules_nlp, suggest
from pipeline.annotation.selection import DEFAULT_EXCLUDE, known_keys, paragraphs, text_key, uncertainty
from pipeline.errors import GovnerError
from pipeline.resources import CONFIGS
from pipeline.scheme import COLORS
from pipeline.tagging.tag import Tagger
from pipeline.training.convert import convert
from pipeline.training.train import train

PASSWORDS = {"alice": "Tulip-pw-2024!", "bob": "Maple-pw-2024!!", "judge": "Cedar-pw-2024!"}

TEXTS = {
    ("d1", 0): "晋江市规上工业增加值增长9.1%，增速位居全省第二。",
    ("d1", 1): "恒安集团、安踏体育入选“中国民营企业500强”。",
    ("d2", 0): "推进湄洲湾南岸石化基地二期建设，石狮市商务局牵头服务华峰化学等企业。",
    ("d2", 1): "今年以来全县经济运行总体平稳。",
    ("d3", 0): "德化县人民政府与华侨大学签订战略合作协议。",
    ("d4", 0): "三明高新区获评全省开发区综合发展水平第五位。",
}


def span(key: tuple[str, int], part: str, label: str) -> tuple[int, int, str]:
    start = TEXTS[key].index(part)
    return start, start + len(part), label


D1P0, D1P1, D2P0, D2P1, D3P0, D4P0 = TEXTS
ALICE = {
    D1P0: [span(D1P0, "晋江市", "GPE"), span(D1P0, "全省第二", "RANKING")],
    D1P1: [span(D1P1, "恒安集团", "ENTERPRISE"), span(D1P1, "安踏体育", "ENTERPRISE"), span(D1P1, "中国民营企业500强", "RANKING")],
    D2P0: [span(D2P0, "湄洲湾南岸石化基地二期", "PROJECT"), span(D2P0, "石狮市商务局", "ORG"), span(D2P0, "华峰化学", "ENTERPRISE")],
    D2P1: [],
    D3P0: [span(D3P0, "德化县人民政府", "ORG"), span(D3P0, "华侨大学", "ORG")],
    D4P0: [span(D4P0, "三明高新区", "ORG"), span(D4P0, "全省开发区综合发展水平第五位", "RANKING")],
}
BOB = {  # differs on D1P1 (ranking boundary), D2P0 (misses an enterprise), D3P0 (label); leaves D4P0 unconfirmed
    D1P0: ALICE[D1P0],
    D1P1: [*ALICE[D1P1][:2], span(D1P1, "“中国民营企业500强”", "RANKING")],
    D2P0: ALICE[D2P0][:2],
    D2P1: [],
    D3P0: [span(D3P0, "德化县人民政府", "ORG"), span(D3P0, "华侨大学", "ENTERPRISE")],
}


def paragraphs_file(folder: Path, texts: dict[tuple[str, int], str]) -> Path:
    path = folder / "paragraphs.jsonl"
    rows = [
        {"text": text, "label": [], "doc_id": doc, "para_index": i, "source": f"{doc}.txt", "offset": 0} for (doc, i), text in texts.items()
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


class Annotator:
    """One user working in Doccano through its API, as the browser would."""

    def __init__(self, server, name: str, password: str, project: str) -> None:
        self.client = DoccanoClient(server.url)
        self.client.login(name, password)
        self.project = next(p.id for p in self.client.list_projects() if p.name == project)
        self.labels = {t.text: t.id for t in self.client.span_type.list(self.project)}
        self.names = {v: k for k, v in self.labels.items()}
        listed = list(self.client.example.list(self.project))
        self.examples = {(e.meta["doc_id"], e.meta["para_index"]): e.id for e in listed}
        self.meta = {(e.meta["doc_id"], e.meta["para_index"]): e.meta for e in listed}

    def spans(self, key) -> list[tuple[int, int, str]]:
        return sorted((s.start_offset, s.end_offset, self.names[s.label]) for s in self.client.span.list(self.project, self.examples[key]))

    def annotate(self, key, spans) -> None:
        example = self.examples[key]
        self.client.span.delete_all(self.project, example)
        for start, end, label in spans:
            self.client.span.create(self.project, example, start, end, self.labels[label])

    def confirm(self, key) -> None:
        self.client.example.update_state(self.project, self.examples[key])  # a toggle: call once


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.doccano
@pytest.mark.slow
def test_annotation_loop(live_doccano, tmp_path: Path):
    server = live_doccano
    source = paragraphs_file(tmp_path, TEXTS)
    admin = server.admin
    first = push([source], server.url, admin, project="loop", annotators={name: PASSWORDS[name] for name in ("alice", "bob", "judge")})
    expected = {tuple(k): r["label"] for k, r in zip(TEXTS, suggest(load_paragraphs([source]), Tagger(rules_nlp())))}
    n_suggested = sum(len(v) for v in expected.values())
    assert n_suggested >= 5  # the rules find something to correct
    assert (first["imported"], first["already_there"], first["examples_in_project"]) == (6, 0, 6)
    assert first["spans_created"] == 3 * n_suggested

    alice, bob, judge = (Annotator(server, name, PASSWORDS[name], "loop") for name in ("alice", "bob", "judge"))
    for key, spans in expected.items():  # every annotator sees the suggestions as their own, once
        assert alice.spans(key) == bob.spans(key) == judge.spans(key) == sorted(tuple(s) for s in spans)
    admin_view = Annotator(server, *admin, "loop")
    assert all(admin_view.spans(key) == [] for key in TEXTS)  # the admin is not an annotator here
    # what annotators see beside the text: the paragraph's own metadata and who got suggestions, nothing internal
    assert {k for meta in alice.meta.values() for k in meta} == {"doc_id", "para_index", "source", "offset", SUGGESTED_KEY}
    assert all(meta[SUGGESTED_KEY] == ["alice", "bob", "judge"] for meta in alice.meta.values())
    project = next(p for p in alice.client.list_projects() if p.name == "loop")
    assert project.guideline == guideline_text(None) and "\nThe scheme is the contract." not in project.guideline
    colours = {t.text: (t.background_color, t.text_color) for t in alice.client.span_type.list(alice.project)}
    assert {label: c for label, (c, _) in colours.items()} == COLORS

    for key, spans in ALICE.items():
        alice.annotate(key, spans)
        alice.confirm(key)
    for key, spans in BOB.items():
        bob.annotate(key, spans)
        bob.confirm(key)

    # a project as an earlier govner left it: internal metadata names and colours too alike as Doccano draws them
    session = admin_view.client._base_repository._session
    api = f"{server.url}/v1/projects/{admin_view.project}"
    old_meta = {k: v for k, v in alice.meta[D1P0].items() if k != SUGGESTED_KEY}
    old_meta.update(govner_hash="0" * 40, govner_suggested=["alice", "bob", "judge"])
    session.patch(f"{api}/examples/{alice.examples[D1P0]}", json={"meta": old_meta}).raise_for_status()
    session.patch(f"{api}/span-types/{alice.labels['GPE']}", json={"background_color": "#c8a2f0"}).raise_for_status()

    again = push([source], server.url, admin, project="loop", annotators={name: PASSWORDS[name] for name in ("alice", "bob", "judge")})
    assert (again["imported"], again["already_there"], again["spans_created"], again["examples_in_project"]) == (0, 6, 0, 6)
    assert alice.spans(D2P1) == [] and bob.spans(D1P1) == sorted(BOB[D1P1])  # corrections survive the re-push
    assert Annotator(server, "alice", PASSWORDS["alice"], "loop").meta[D1P0] == {
        **alice.meta[D1P0],
        SUGGESTED_KEY: ["alice", "bob", "judge"],
    }
    assert {t.text: t.background_color for t in alice.client.span_type.list(alice.project)} == COLORS

    out = tmp_path / "corpus"
    result = pull(server.url, admin, project="loop", output=out, annotators=["alice", "bob"])
    (pair,) = result["pairs"]
    assert (pair["a"], pair["b"], pair["paragraphs"]) == ("alice", "bob", 5)
    # by hand: alice 10 spans, bob 9 on the 5 shared paragraphs; 7 exact matches, 8 overlapping
    assert (pair["spans_a"], pair["spans_b"]) == (10, 9)
    assert pair["exact_f1"] == pytest.approx(14 / 19)
    assert pair["overlap_f1"] == pytest.approx(16 / 19)
    per_label = {label: (s["exact_f1"], s["overlap_f1"]) for label, s in pair["per_label"].items()}
    assert per_label == {
        "PROJECT": (1.0, 1.0),
        "ENTERPRISE": (pytest.approx(4 / 6), pytest.approx(4 / 6)),
        "RANKING": (0.5, 1.0),
        "ORG": (0.8, 0.8),
        "GPE": (1.0, 1.0),
    }
    assert result["merge"] == {"agreed": 2, "conflict": 3, "single": 1}
    merged = read(out / "merged.jsonl")
    assert [(r["doc_id"], r["para_index"], r["merge"]) for r in merged] == [("d1", 0, "agreed"), ("d2", 1, "agreed"), ("d4", 0, "single")]
    assert merged[0]["label"] == [list(s) for s in ALICE[D1P0]] and merged[0]["source"] == "d1.txt"
    assert not any(k in r for r in merged for k in ("id", SUGGESTED_KEY, "govner_hash", "govner_suggested"))
    assert len(read(out / "annotators" / "alice.jsonl")) == 6 and len(read(out / "annotators" / "bob.jsonl")) == 5
    conflicts = read(out / "review" / "conflicts.jsonl")
    assert {(r["doc_id"], r["para_index"]) for r in conflicts} == {D1P1, D2P0, D3P0}
    assert conflicts[0]["versions"]["bob"] == [list(s) for s in sorted(BOB[D1P1])]
    assert json.loads((out / "agreement.json").read_text(encoding="utf-8"))["pairs"][0]["exact_f1"] == pytest.approx(14 / 19)

    with pytest.raises(GovnerError, match=r"adjudicator 'jugde' is not a member of project 'loop' \(no such Doccano user\?\)$"):
        pull(server.url, admin, project="loop", output=out, adjudicator="jugde")
    for key in (D1P1, D2P0):  # the adjudicator settles two of the three conflicts
        judge.annotate(key, ALICE[key])
        judge.confirm(key)
    previous_merged = (out / "merged.jsonl").read_text(encoding="utf-8")
    result = pull(server.url, admin, project="loop", output=out, adjudicator="judge")
    assert [(p["a"], p["b"]) for p in result["pairs"]] == [("alice", "bob")]
    assert result["pairs"][0]["exact_f1"] == pytest.approx(14 / 19)
    assert result["merge"] == {"agreed": 2, "adjudicated": 2, "conflict": 1, "single": 1}
    assert [r["merge"] for r in read(out / "merged.jsonl")] == ["agreed", "adjudicated", "adjudicated", "agreed", "single"]
    (kept,) = [Path(p) for p in result["kept"] if p.endswith("merged.jsonl")]
    assert kept.read_text(encoding="utf-8") == previous_merged  # the earlier pull is kept, not overwritten

    data = tmp_path / "spacy"
    splits = convert([out / "merged.jsonl"], data, dev=0.2, test=0.2)
    assert sum(s["paragraphs"] for s in splits["splits"].values()) == 5
    model = train(
        CONFIGS / "ner.cfg",
        tmp_path / "model",
        data / "train.spacy",
        data / "dev.spacy",
        {"training.max_steps": 20, "training.eval_frequency": 10},
    )
    assert (model / "meta.json").exists()


@pytest.mark.doccano
@pytest.mark.slow
def test_push_stopped_midway_fails_cleanly_and_resumes(live_doccano, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    server = live_doccano
    texts = {(f"doc{i // 5}", i % 5): f"第{i}段：晋江市推进重点项目建设，增速位居全省第二。" for i in range(30)}
    source = paragraphs_file(tmp_path, texts)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    real = module.import_batch
    calls = []

    def import_then_stop(*args, **kwargs):
        real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            server.stop()

    monkeypatch.setattr(module, "import_batch", import_then_stop)
    with pytest.raises(
        GovnerError, match=r"stopped answering during the push .*10 of 30 new paragraphs imported.*run the same command again"
    ):
        push([source], server.url, server.admin, project="interrupted", batch_size=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written locally

    monkeypatch.setattr(module, "import_batch", real)
    server.start()
    result = push([source], server.url, server.admin, project="interrupted", batch_size=10)
    assert (result["imported"], result["already_there"], result["examples_in_project"]) == (20, 10, 30)
    admin = Annotator(server, *server.admin, "interrupted")
    assert len(admin.examples) == 30
    expected = suggest(load_paragraphs([source]), Tagger(rules_nlp()))
    assert all(r["label"] for r in expected)
    for key, record in zip(texts, expected):  # every paragraph once, with its suggestions once
        assert admin.spans(key) == sorted(tuple(s) for s in record["label"])


@pytest.mark.doccano
@pytest.mark.slow
def test_wrong_password_is_one_clear_line(live_doccano, tmp_path: Path):
    server = live_doccano
    source = paragraphs_file(tmp_path, {("d1", 0): TEXTS[D1P0]})
    with pytest.raises(GovnerError, match="refused the login of 'govner-admin'") as err:
        push([source], server.url, (server.admin[0], "not-the-password"), project="never")
    assert "not-the-password" not in str(err.value)


def test_unreachable_doccano_is_one_clear_line(tmp_path: Path):
    source = paragraphs_file(tmp_path, {("d1", 0): TEXTS[D1P0]})
    with pytest.raises(GovnerError, match="does not answer; start it with `govner doccano up`"):
        push([source], "http://127.0.0.1:9", ("u", "p"), with_suggestions=False)


def test_paragraphs_are_checked_before_anything_is_uploaded(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    rows = [
        {"text": "晋江市𠮷岭村", "label": [], "doc_id": "d"},
        {"text": "晋江市商务局", "label": [[0, 3, "GPE"], [2, 6, "ORG"]], "doc_id": "d"},
        {"text": "晋江市", "label": [[0, 9, "GPE"]], "doc_id": "d", "id": 7},
    ]
    bad.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(GovnerError, match="4 problem") as err:
        load_paragraphs([bad])
    details = "\n".join(err.value.details)
    assert f"{bad}:1: text has characters outside the Basic Multilingual Plane (U+20BB7 𠮷)" in details
    assert f"{bad}:2: span [2, 6, ORG] '市商务局' overlaps [0, 3, 'GPE']" in details
    assert f"{bad}:3: key 'id' is reserved" in details and "out of range" in details


@pytest.mark.doccano
@pytest.mark.slow
def test_local_server_keeps_its_data_private_and_answers_local_names_only(doccano_server_instance, tmp_path: Path):
    """A server of its own, started with umask 000: every folder of its data 0700, every file 0600, exports included."""
    home, port, admin = tmp_path / "home", doccano_server.free_port(), doccano_server_instance.admin
    old = os.umask(0)
    try:
        doccano_server.up(home, port, admin=admin)
    finally:
        os.umask(old)
    try:
        url = f"http://127.0.0.1:{port}"
        source = tmp_path / "one.jsonl"
        source.write_text(json.dumps({"text": TEXTS[D1P0], "label": [[0, 3, "GPE"]], "doc_id": "d1"}, ensure_ascii=False) + "\n")
        push([source], url, admin, project="private", with_suggestions=False)
        pull(url, admin, project="private", output=tmp_path / "out", confirmed_only=False)
        found = [home, *home.rglob("*")]
        assert any(p.suffix == ".zip" for p in found)  # the export Doccano kept in its media folder
        assert (home / "db.sqlite3").exists()
        loose = {
            str(p.relative_to(home)): oct(stat.S_IMODE(p.stat().st_mode))
            for p in found
            if not p.is_symlink() and stat.S_IMODE(p.stat().st_mode) & 0o077
        }
        assert loose == {}
        assert stat.S_IMODE(home.stat().st_mode) == 0o700

        assert requests.get(f"{url}/v1/me", timeout=10).status_code == 403  # Django answers (and wants a login)
        assert requests.get(f"http://localhost:{port}/v1/me", timeout=10).status_code == 403
        assert requests.get(f"{url}/v1/me", headers={"Host": "evil.example"}, timeout=10).status_code == 400
        assert requests.get(f"{url}/v1/me", headers={"Host": f"192.168.1.5:{port}"}, timeout=10).status_code == 400
    finally:
        doccano_server.down(home)


def test_push_selects_the_uncertain_paragraphs_the_project_lacks(live_doccano, tmp_path: Path):
    server = live_doccano
    source = paragraphs_file(tmp_path, TEXTS)
    tagger = pipeline.load()
    corpus = known_keys([DEFAULT_EXCLUDE]) if DEFAULT_EXCLUDE.is_dir() else set()
    ranked = [key for key in sorted(TEXTS, key=lambda k: -uncertainty(tagger, TEXTS[k])) if text_key(TEXTS[key]) not in corpus]
    first = push([source], server.url, server.admin, project="select", model=None, select="uncertain", select_n=2)
    assert (first["imported"], first["examples_in_project"]) == (2, 2)
    view = Annotator(server, *server.admin, "select")
    assert set(view.examples) == set(ranked[:2])
    for key in ranked[:2]:  # the pusher annotates alone here and gets the shipped model's suggestions
        assert view.spans(key) == sorted((e["start"], e["end"], e["label"]) for e in tagger(TEXTS[key]))
    second = push([source], server.url, server.admin, project="select", select="uncertain", select_n=2)
    assert (second["imported"], second["examples_in_project"]) == (2, 4)
    assert set(Annotator(server, *server.admin, "select").examples) == set(ranked[:4])


def test_push_selects_from_a_folder_of_reports_once_and_varied(live_doccano, tmp_path: Path):
    server = live_doccano
    folder = tmp_path / "reports"
    folder.mkdir()
    hesitant = "推进瓦窑沟至杏林湾快速路、南岭东片区城市更新、鹭岛澜庭二期及翔鹭新材料等项目。"
    a = ["今年以来全县经济运行总体平稳。", hesitant, "县政府召开常务会议研究部署安全生产工作。"]
    # b[0] is a near-duplicate of a[1]: one name changed
    b = [hesitant.replace("翔鹭", "闽龙"), "翔鹭新材料、闽龙化纤签约落地，华辰光电扩产。", "各位代表，新的一年已经开始。"]
    (folder / "a.txt").write_text("\n\n".join(a) + "\n", encoding="utf-8")
    (folder / "b.txt").write_text("\n\n".join(b) + "\n", encoding="utf-8")
    tagger = pipeline.load()
    texts = {r["text"] for r in paragraphs([str(folder)])}
    assert len(texts) == 6
    first = push([folder], server.url, server.admin, project="reports", select="uncertain", select_n=3)
    view = Annotator(server, *server.admin, "reports")
    pushed = {view.client.example.find_by_id(view.project, i).text for i in view.examples.values()}
    assert first["imported"] == 3 and len(pushed) == 3
    assert sum(t in pushed for t in (hesitant, hesitant.replace("翔鹭", "闽龙"))) == 1  # varied: one of the pair
    most = max(texts, key=lambda t: uncertainty(tagger, t))
    assert most in pushed
    second = push([folder], server.url, server.admin, project="reports", select="uncertain", select_n=3)
    again = Annotator(server, *server.admin, "reports")
    now = {again.client.example.find_by_id(again.project, i).text for i in again.examples.values()}
    assert second["imported"] == 3 and len(now) == 6 and pushed < now  # never the same paragraph twice

"""The Doccano side without a server: planning (pure functions), suggestion cleaning, guideline, colours, passwords."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from pipeline.annotation import doccano, doccano_server
from pipeline.annotation.doccano_colors import MIN_DELTA_E, ciede2000, closest_pairs, rendered, rendered_delta_e, srgb_to_lab, text_color
from pipeline.annotation.doccano_plan import (
    SUGGESTED_KEY,
    by_hash,
    check_users,
    clean_suggestions,
    content_hash,
    example_hash,
    extra_copies,
    import_rows,
    inside,
    labels_to_fix,
    meta_served,
    plain_name,
    plan_pull,
    read_export,
    select_exported,
    spans_to_create,
    suggestion_work,
    trim_whitespace,
    unwrap_markdown,
)
from pipeline.errors import GovnerError
from pipeline.resources import CHECKOUT
from pipeline.scheme import COLORS, LABELS

from .documents import doccano_export

TEXT = "晋江市规上工业增加值增长9.1%，增速位居\n全国百强县第12位。"


def record(text: str = TEXT, label=(), **meta) -> dict:
    return {"text": text, "label": [list(s) for s in label], "doc_id": "d1", "para_index": 0, **meta}


# ---- identity and metadata ----


def test_content_hash_ignores_position_but_not_document():
    a = {"text": "晋江市", "doc_id": "d1", "para_index": 0, "offset": 0}
    assert content_hash(a) == content_hash({**a, "para_index": 5, "offset": 99})
    assert content_hash(a) != content_hash({**a, "doc_id": "d2"})


def test_an_example_is_known_by_the_hash_of_what_was_pushed():
    rec = record()
    row = import_rows([rec], True, "admin", ["admin"])[0]
    example = {"id": 3, "text": row["text"], "meta": {k: v for k, v in row.items() if k not in ("text", "label")}}
    assert example_hash(example) == content_hash(rec)
    assert example_hash({"id": 4, "text": TEXT, "meta": {}}) == content_hash({"text": TEXT})  # pushed without a doc_id
    assert example_hash({**example, "meta": {**example["meta"], "doc_id": "d2"}}) != content_hash(rec)


def test_import_rows_show_annotators_nothing_internal():
    records = [record(label=[(0, 3, "GPE")], source="a.txt"), record("今年经济平稳。", para_index=1)]
    rows = import_rows(records, pusher_suggests=True, pusher="admin", annotators=["admin", "alice"])
    assert [sorted(r) for r in rows] == [sorted(["text", "label", "doc_id", "para_index", "source", SUGGESTED_KEY])] * 2
    assert not any(key.startswith("govner") for row in rows for key in row)
    assert rows[0][SUGGESTED_KEY] == ["admin"] and rows[1][SUGGESTED_KEY] == ["admin", "alice"]  # nothing to suggest: served
    assert rows[1]["source"] == ""  # every row has the same keys, or Doccano's import fails
    assert import_rows(records, False, "admin", ["alice"])[0]["label"] == []  # the pusher is no annotator: no spans as the pusher


def test_metadata_of_earlier_pushes_is_renamed_and_kept():
    meta = {"doc_id": "d1", "govner_hash": "abc", "govner_suggested": ["alice"], SUGGESTED_KEY: ["bob"]}
    assert meta_served(meta, {"carol"}) == {"doc_id": "d1", SUGGESTED_KEY: ["alice", "bob", "carol"]}
    examples = [{"id": 1, "text": TEXT, "meta": {"doc_id": "d1", "govner_suggested": ["alice"]}}]
    unique = {content_hash(record()): record(label=[(0, 3, "GPE")])}
    ((_, example, todo),) = suggestion_work(unique, by_hash(examples), ["alice", "bob"])
    assert (example["id"], todo) == (1, ["bob"])


def test_only_copies_this_push_made_are_removed():
    h_new, h_old = "n", "o"
    before = {h_old: [{"id": 1}, {"id": 2}]}
    after = {h_old: [{"id": 1}, {"id": 2}], h_new: [{"id": 5}, {"id": 6}, {"id": 7}]}
    assert extra_copies([h_new, h_old], before, after) == [6, 7]


def test_spans_to_create_skips_what_the_annotator_has():
    ids = {"GPE": 1, "RANKING": 2}
    assert spans_to_create([[0, 3, "GPE"], [4, 8, "RANKING"]], {(0, 3, 1)}, ids) == [(4, 8, 2)]


def test_labels_get_the_schemes_colours_and_free_keys():
    existing = {"GPE": {"id": 9, "key": "1", "color": "#c8a2f0", "text_color": "#ffffff"}, "ORG": {"id": 8, "key": "4"}}
    existing["ORG"].update(color=COLORS["ORG"], text_color=text_color(COLORS["ORG"]))
    create, recolour = labels_to_fix(existing, LABELS, COLORS)
    assert [(label, key) for label, key, _, _ in create] == [("PROJECT", None), ("ENTERPRISE", "2"), ("RANKING", "3")]
    assert recolour == [("GPE", 9, COLORS["GPE"], text_color(COLORS["GPE"]))]


# ---- suggestions ----


def test_trim_whitespace():
    start = TEXT.index("\n")
    assert trim_whitespace(TEXT, (start, start + 10, "RANKING")) == (start + 1, start + 10, "RANKING")
    assert trim_whitespace(" 晋江市\r\n", (0, 6, "GPE")) == (1, 4, "GPE")
    assert trim_whitespace("a \n b", (1, 4, "GPE")) is None
    assert trim_whitespace("晋江市", (0, 3, "GPE")) == (0, 3, "GPE")


def test_suggestions_at_a_line_break_are_trimmed_not_dropped():
    start = TEXT.index("\n")
    before = [record()]
    after = [record(label=[(start, start + 10, "RANKING"), (0, 3, "GPE"), (12, 17, "RANKING")])]
    (out,), warnings = clean_suggestions(before, after)
    assert TEXT[start + 1 : start + 10] == "全国百强县第12位"
    assert out["label"] == [[0, 3, "GPE"], [start + 1, start + 10, "RANKING"]]
    assert warnings == ["d1#0: suggestion [12, 17, RANKING] '9.1%，' dropped"]  # punctuation at an edge is still dropped


def test_push_keeps_a_model_suggestion_that_starts_on_a_line_break(monkeypatch: pytest.MonkeyPatch):
    """add_suggestions as push calls it, with a tagger whose entity starts on the line break (what the model did)."""
    start = TEXT.index("\n")
    monkeypatch.setattr(doccano, "suggester", lambda model, patterns: None)
    monkeypatch.setattr(doccano, "suggest", lambda records, tagger: [{**r, "label": [[start, start + 10, "RANKING"]]} for r in records])
    (out,), warnings = doccano.add_suggestions([record()], None, Path("unused"))
    assert out["label"] == [[start + 1, start + 10, "RANKING"]] and warnings == []


# ---- guideline ----


def test_unwrap_markdown_joins_hard_wrapped_lines_only():
    source = "\n".join([
        "# Title",
        "One sentence that",
        "goes on. 安溪县医院",
        "新院区 and more.",
        "",
        "- item one",
        "  continues",
        "  - nested",
        "1. first",
        "   still first",
        "",
        "| a | b |",
        "|---|---|",
        "```",
        "code line",
        "next code line",
        "```",
        "hard break  ",
        "kept",
        "> quoted",
        "> more",
        "---",
        "end",
        "",
    ])  # fmt: skip
    assert unwrap_markdown(source) == "\n".join([
        "# Title",
        "One sentence that goes on. 安溪县医院新院区 and more.",
        "",
        "- item one continues",
        "  - nested",
        "1. first still first",
        "",
        "| a | b |",
        "|---|---|",
        "```",
        "code line",
        "next code line",
        "```",
        "hard break  ",
        "kept",
        "> quoted more",
        "---",
        "end",
        "",
    ])  # fmt: skip


def test_the_guideline_pushed_is_govners_own_without_hard_wraps():
    source = (CHECKOUT / "docs" / "annotation-guidelines.md").read_text(encoding="utf-8")
    pushed = doccano.guideline_text(None)
    assert doccano.GUIDELINE.is_file() and "shared" not in doccano.GUIDELINE.parts
    assert pushed == unwrap_markdown(source).strip() and unwrap_markdown(pushed) == pushed
    assert "".join(pushed.split()) == "".join(source.split())  # no character lost, only line breaks become spaces
    blocks = [block.strip("\n") for block in pushed.split("\n\n") if block.strip()]
    paragraphs = [block for block in blocks if not re.match(r"(#|\||-|\d+\.|```)", block)]
    assert len(paragraphs) > 50 and all("\n" not in block for block in paragraphs)  # each paragraph is one line
    assert len(pushed.splitlines()) < len(source.splitlines()) - 100


def test_a_guideline_file_that_is_missing_is_named(tmp_path: Path):
    with pytest.raises(GovnerError, match=r"nope\.md: no such guideline file"):
        doccano.guideline_text(tmp_path / "nope.md")


# ---- pull ----


def test_read_export_refuses_names_that_are_not_plain(tmp_path: Path):
    path = tmp_path / "export.zip"
    path.write_bytes(doccano_export({"alice.jsonl": [{"id": 1, "text": "x"}]}))
    assert read_export(path) == {"alice": [{"id": 1, "text": "x"}]}
    path.write_bytes(doccano_export({"../alice.jsonl": []}))
    with pytest.raises(GovnerError, match=r"^http://d: Doccano's export holds '\.\./alice\.jsonl'"):
        read_export(path, where="http://d")
    path.write_bytes(b"not a zip")
    with pytest.raises(GovnerError, match="export cannot be read"):
        read_export(path)


@pytest.mark.parametrize(("name", "ok"), [("alice", True), ("a.b-c_d@e", True), ("..", False), (".", False), ("", False), ("a/b", False)])
def test_plain_name(name: str, ok: bool):
    assert plain_name(name) is ok


def test_inside_refuses_paths_out_of_the_folder(tmp_path: Path):
    assert inside(tmp_path, "annotators/alice.jsonl") == tmp_path / "annotators" / "alice.jsonl"
    for bad in ("../x", "/etc/passwd", "a/../../x", "."):
        with pytest.raises(GovnerError, match="not inside it"):
            inside(tmp_path, bad)
    (tmp_path / "link").symlink_to(tmp_path.parent)
    with pytest.raises(GovnerError, match="not inside it"):
        inside(tmp_path, "link/x")


def test_check_users_names_the_missing_user():
    check_users("http://d", "loop", {"alice", "carol"}, "carol", ["alice"])
    with pytest.raises(GovnerError, match=r"^http://d: adjudicator 'carl' is not a member of project 'loop' \(no such Doccano user\?\)$"):
        check_users("http://d", "loop", {"alice", "carol"}, "carl", None)
    with pytest.raises(GovnerError, match="annotator 'bob' is not a member"):
        check_users("http://d", "loop", {"alice"}, None, ["alice", "bob"])


def test_select_exported():
    exported = {"alice": [{"label": [[0, 1, "GPE"]]}], "bob": [{"label": []}], "admin": []}
    assert set(select_exported(exported, set(), confirmed_only=True)) == {"alice", "bob"}
    assert set(select_exported(exported, set(), confirmed_only=False)) == {"alice"}  # unconfirmed: only who made a span
    assert set(select_exported(exported, {"bob"}, confirmed_only=False)) == {"bob"}


def test_plan_pull_merges_and_keeps_metadata():
    text = "晋江市商务局"
    row = {"id": 1, "text": text, "doc_id": "d1", "para_index": 0, SUGGESTED_KEY: ["alice", "bob"], "govner_hash": "x", "Comments": []}
    exported = {
        "alice": [{**row, "label": [[0, 3, "GPE"]]}],
        "bob": [{**row, "label": [[0, 6, "ORG"]]}],
        "carol": [{**row, "label": [[0, 6, "ORG"]]}],
    }
    plan = plan_pull("http://d", "loop", exported, adjudicator="carol", confirmed_only=True)
    merged = [json.loads(line) for line in plan["files"]["merged.jsonl"].splitlines()]
    assert merged == [
        {
            "text": text,
            "doc_id": "d1",
            "para_index": 0,
            "label": [[0, 6, "ORG"]],
            "annotators": ["alice", "bob", "carol"],
            "merge": "adjudicated",
        }
    ]
    assert sorted(plan["files"]) == [
        "agreement.json",
        "annotators/alice.jsonl",
        "annotators/bob.jsonl",
        "annotators/carol.jsonl",
        "merged.jsonl",
        "review/conflicts.jsonl",
    ]
    assert [(p["a"], p["b"], p["exact_f1"]) for p in plan["report"]["pairs"]] == [("alice", "bob", 0.0)]
    without = plan_pull("http://d", "loop", {k: v for k, v in exported.items() if k != "carol"}, None, True)
    assert (without["merged"], without["conflicted"]) == (0, 1)


def test_plan_pull_refuses_text_outside_the_bmp():
    exported = {"alice": [{"id": 1, "text": "𠮷岭村", "label": []}]}
    with pytest.raises(GovnerError, match="1 paragraph"):
        plan_pull("http://d", "loop", exported, None, True)


def test_write_keeping_previous_writes_inside_the_output_only(tmp_path: Path):
    out = tmp_path / "corpus"
    assert doccano.write_keeping_previous(out, {"merged.jsonl": "a\n"}) == []
    (kept,) = doccano.write_keeping_previous(out, {"merged.jsonl": "b\n"})
    assert Path(kept).read_text(encoding="utf-8") == "a\n" and Path(kept).parent.parent.name == "previous"
    with pytest.raises(GovnerError, match="not inside it"):
        doccano.write_keeping_previous(out, {"ok.jsonl": "x", "../escape.jsonl": "x"})
    assert not (tmp_path / "escape.jsonl").exists() and not (out / "ok.jsonl").exists()  # checked before anything is written


# ---- colours ----

# Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference formula", table 1: pairs 1, 7, 13, 17, 19, 25, 34
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0011), 7.2195),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (50.0, 3.1736, 0.5854), 1.0),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize(("lab1", "lab2", "expected"), SHARMA)
def test_ciede2000_matches_the_published_test_data(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def test_rendering_and_lab():
    assert rendered("#000000") == pytest.approx((102.0, 102.0, 102.0))  # 60 % black over white
    assert srgb_to_lab((255, 255, 255)) == pytest.approx((100.0, 0.0, 0.0), abs=1e-3)
    assert srgb_to_lab((255, 0, 0)) == pytest.approx((53.24, 80.09, 67.20), abs=0.02)
    assert rendered_delta_e("#f4a261", "#e9c46a") < 15  # the colours the browser check found too close


def test_label_colours_are_far_apart_as_doccano_draws_them():
    assert set(COLORS) == set(LABELS)
    closest, a, b = closest_pairs(COLORS)[0]
    assert closest >= MIN_DELTA_E, f"{a} and {b} are only ΔE00 {closest:.1f} apart as rendered"
    white = srgb_to_lab((255, 255, 255))
    assert all(ciede2000(srgb_to_lab(rendered(c)), white) >= 20 for c in COLORS.values())  # none fades into the page


def test_text_colour_contrasts_with_the_label():
    assert text_color("#ffd22d") == "#000000" and text_color("#0000aa") == "#ffffff"


# ---- the local server, without starting one ----


@pytest.mark.parametrize(
    ("user", "password", "why"),
    [
        ("admin", "1", "it has 1 character"),
        ("admin", "abcdefghijklmnop", "only 1 kind"),
        ("admin", "abcdefgh12345678", "only 2 kind"),
        ("alice", "Alice-pw-2024!", "contains the user name"),
    ],
)
def test_weak_passwords_are_refused_with_the_rule(user, password, why):
    problem = doccano_server.password_problem(user, password)
    assert problem and why in problem and doccano_server.PASSWORD_RULE in problem


def test_strong_passwords_pass():
    assert doccano_server.password_problem("admin", "Adm1n-pw-for-tests") is None
    assert doccano_server.password_problem("alice", "correct horse battery 9") is None


def test_up_refuses_a_weak_admin_password_before_starting_anything(tmp_path: Path):
    home = tmp_path / "home"
    with pytest.raises(GovnerError, match=r"^the Doccano admin password of 'admin' is too weak: a password needs at least 12 characters"):
        doccano_server.up(home, doccano_server.free_port(), venv=tmp_path / "no-venv", admin=("admin", "1"))
    assert not home.exists() and not (tmp_path / "no-venv").exists()


def test_push_refuses_to_create_a_user_with_a_weak_password():
    class Admin:
        url, username, is_staff = "http://d", "admin", True

        def user_exists(self, name):
            return False

        def create_user(self, name, password):  # pragma: no cover - must not be reached
            raise AssertionError("created")

    with pytest.raises(GovnerError, match=r"^http://d: the password given for new user 'bob' is too weak"):
        doccano.annotator_sessions(Admin(), {"bob": "1"})


def test_home_is_made_private_whatever_the_umask(tmp_path: Path):
    home = tmp_path / "home"
    old = os.umask(0)
    try:
        (home / "media" / "x").mkdir(parents=True)
        (home / "db.sqlite3").write_text("db")
        (home / "media" / "x" / "export.zip").write_text("zip")
        doccano_server.make_private(home)
    finally:
        os.umask(old)
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode) for p in [home, *home.rglob("*")]}
    assert modes == {"home": 0o700, "home/media": 0o700, "home/media/x": 0o700, "home/db.sqlite3": 0o600, "home/media/x/export.zip": 0o600}


def test_the_server_answers_only_to_local_host_names(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    env = doccano_server.server_env(tmp_path / "venv", tmp_path / "backend", home)
    module = home / "settings" / f"{env['DJANGO_SETTINGS_MODULE']}.py"
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(module.parent)
    assert "ALLOWED_HOSTS = ['127.0.0.1', 'localhost']" in module.read_text(encoding="utf-8")
    assert "from config.settings.production import *" in module.read_text(encoding="utf-8")
    assert stat.S_IMODE(module.stat().st_mode) == 0o600

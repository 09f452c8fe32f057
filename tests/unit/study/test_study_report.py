"""The study report from run directories: results.csv, arms.csv, report.md, report.html, the
paper's reference tables kept apart, and the terminal's claim table."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from study_synth import REPO, arm, grid_rows, grid_study, rec, study

from langtransfer.runs import open_run
from langtransfer.study.config import StudyConfig
from langtransfer.study.grid import plan
from langtransfer.study.report import (load_study_data, print_summary, write_report,
                                       write_report_files)
from langtransfer.study.tables import (Section, Table, language_table, perplexity_table,
                                       quality_table, to_markdown)

AXES = ["axes.cpt_tokens=[0,20000,2000000]", "axes.sft_examples=[100,2000]"]


def _record(row: dict) -> dict:
    """A results row back into a metrics.jsonl record (task[subset] split)."""
    task, _, subset = row["task"].partition("[")
    return {k: row[k] for k in ("lang", "metric", "value", "ci_low", "ci_high", "n")} | {
        "task": task, "subset": subset.rstrip("]") or "all"}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A study whose eval and CPT stages were 'run' (metrics written through the run contract),
    except one eval stage left unfinished."""
    out = tmp_path_factory.mktemp("study")
    cfg = StudyConfig.load(REPO / "studies" / "miniworld-zh.yaml", AXES)
    for st in plan(cfg, out):
        if st.kind == "eval" and st.arm != "cpt20k-sft2k":
            run = open_run(st.path, st.cfg, "eval")
            for row in grid_rows({**st.meta, "arm": st.arm}):
                run.log(**_record(row))
            run.finish()
        elif st.kind == "cpt":
            run = open_run(st.path, st.cfg, "cpt")
            for step, (en, zh) in enumerate([(0.5, 2.0), (0.9, 1.5), (0.8, 1.4)]):
                run.log(phase="train", step=step, loss=1.0)
                for lang, bpb in (("en", en), ("zh", zh)):
                    run.log(phase="retention", step=step * 10, tokens=step * 100, lang=lang,
                            ppl=2 ** bpb, bpb=bpb)
            run.log(phase="retention", step=20, tokens=200, lang="en", ppl=2.0, bpb=1.0)  # resumed
            run.finish()
    write_report(cfg, out)
    return cfg, out


def test_results_and_arms_csv(finished):
    cfg, out = finished
    lines = (out / "results.csv").read_text().splitlines()
    assert lines[0] == "arm,lang,task,metric,value,ci_low,ci_high,n"
    assert "cpt2M-sft2k,zh,quality,avg," in "\n".join(lines)
    assert not any(line.startswith("cpt20k-sft2k,") for line in lines)  # unfinished: left out
    assert "knowledge_control[group=unseen]" in "\n".join(lines)
    arms = (out / "arms.csv").read_text().splitlines()
    assert arms[0] == "arm,lang,cpt_tokens,replay,vocab,init,sft_examples"
    assert "ext-mean-cpt2M-sft100,zh,2000000,0.0,extended,mean,100" in arms


def test_study_data_reads_retention_and_stage_times(finished):
    cfg, out = finished
    data = load_study_data(cfg, out)
    curve = [r for r in data.retention if r["cpt"] == "cpt2M" and r["lang"] == "en"]
    assert [(r["step"], r["bpb"]) for r in curve] == [(0, 0.5), (10, 0.9), (20, 1.0)]  # last wins
    assert {r["cpt"] for r in data.retention} == {"cpt20k", "cpt2M", "ext-mean-cpt2M",
                                                  "ext-subword_mean-cpt2M", "cpt2M-en20"}
    times = {s["id"].split("/")[0]: s["wall_seconds"] for s in data.stages}
    assert times["eval"] is not None and times["world"] is None  # the world was never run


def test_report_md_sections_and_plots(finished):
    _, out = finished
    md = (out / "report.md").read_text()
    for title in ("## Claims: the paper's findings", "Response quality in zh by CPT budget",
                  "(the paper's Table 2)", "### Retention curves over CPT steps",
                  "Knowledge: facts stated only in English", "the paper's C1 and C9",
                  "## Code-switching", "## Response quality in en", "## Stages"):
        assert title in md
    for plot in ("quality_vs_cpt", "forgetting", "retention", "codeswitch"):
        assert f"](plots/{plot}.png)" in md
        assert (out / "plots" / f"{plot}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for a in ("base", "cpt0-sft100", "ext-subword_mean-cpt2M", "cpt2M-en20-sft2k"):
        assert f"| {a} |" in md
    claims = _section(md, "## Claims")
    assert re.search(r"\| C8 \| holds \|", claims) and "cpt2M zh bpb" in claims


def _section(md: str, heading: str) -> str:
    start = md.index(heading)
    end = md.find("\n## ", start + 1)
    return md[start:end if end > 0 else None]


def test_paper_numbers_shown_apart_with_the_citation(finished):
    _, out = finished
    md = (out / "report.md").read_text()
    ours = _section(md, "## Perplexity by CPT scale")
    ref_start = ours.index("### Paper reference: Table 2")
    assert "198.840" not in ours[:ref_start] and "198.840" in ours[ref_start:]
    assert "arXiv:2401.01055" in ours[ref_start:]
    quality = _section(md, "## Response quality in zh")
    head, ref = quality.split("### Paper reference: Table 1")
    assert "2.399" not in head and "| 950000 | LLaMA + 1M pretrain | 500M | original |" in ref
    assert "not the mean of its five columns" in ref
    assert "Paper reference: Table 3" not in md  # zh is not among the paper's 13 languages


def test_report_html_is_self_contained(finished):
    _, out = finished
    page = (out / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?https?:""", page)
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == 4 and all(s.startswith("data:image/png;base64,") for s in images)
    assert '<span class="badge holds">holds</span>' in page
    assert "<script" not in page


def test_rewriting_gives_identical_files(finished):
    cfg, out = finished
    before = {n: (out / n).read_bytes() for n in ("results.csv", "report.md", "report.html")}
    write_report(cfg, out)
    assert {n: (out / n).read_bytes() for n in before} == before


def test_terminal_ends_with_the_claim_table(finished):
    cfg, out = finished
    buf = io.StringIO()
    print_summary(cfg, out, Console(file=buf, width=220, color_system=None))
    text = buf.getvalue()
    assert text.index("summary") < text.index("The paper's claims")
    tail = text[text.index("The paper's claims"):]
    for claim in ("C1", "C4", "C5", "C6", "C8", "C9", "C11", "C13", "C14"):
        assert re.search(rf"│ {claim} +│ (holds|does not hold|inconclusive) ", tail), claim


def test_missing_codeswitch_says_not_measured_and_drops_a_stale_plot(tmp_path):
    write_report_files(grid_study(), tmp_path)
    assert (tmp_path / "plots" / "codeswitch.png").is_file()
    write_report_files(grid_study(codeswitch=False), tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "Not measured: no `codeswitch` records" in md
    assert not (tmp_path / "plots" / "codeswitch.png").exists()
    assert "| C13 | inconclusive |" in md and "codeswitch.rate not measured" in md


def test_quality_table_is_table1_shaped():
    data = grid_study()
    table = quality_table(data, "zh")
    assert table.columns[:4] == ["arm", "SFT", "CPT tokens", "CPT"]
    assert table.columns[4:] == ["ACC", "F", "INFO", "LC", "H", "AVG", "AVG−H"]
    first_block = [r[0] for r in table.rows if r[1] == "100"]
    assert first_block == ["cpt0-sft100", "cpt20k-sft100", "cpt200k-sft100", "cpt2M-sft100",
                           "cpt2M-en20-sft100", "ext-mean-cpt2M-sft100",
                           "ext-subword_mean-cpt2M-sft100"]
    assert list(dict.fromkeys(r[1] for r in table.rows)) == ["100", "500", "2k"]  # blocks


def test_perplexity_table_is_table2_shaped():
    table = perplexity_table(grid_study())
    assert table.columns == ["test set", "base", "cpt20k", "cpt200k", "cpt2M", "cpt2M-en20",
                             "ext-mean-cpt2M", "ext-subword_mean-cpt2M"]
    assert [r[0] for r in table.rows] == ["zh ppl", "en ppl", "zh bpb", "en bpb"]
    assert table.rows[3][1] == "0.500 [0.460, 0.540]"


def test_language_table_only_for_several_languages():
    assert language_table(grid_study()) is None
    arms = [arm(f"{l}-s{s}", 0, s, lang=l) for l in ("zh", "sw") for s in (100, 2000)]
    dims = ("accuracy", "fluency", "informativeness", "logicality", "harmlessness", "avg")
    rows = [rec(a["arm"], a["lang"], "quality", dim, k + a["sft_examples"] / 2000)
            for a in arms for k, dim in enumerate(dims)]
    rows.append(rec("zh-s100", "en", "quality", "avg", 9.0))  # another language: not shown
    table = language_table(study(arms, rows))
    assert table.columns == ["language", "SFT", "ACC", "F", "INFO", "LC", "H", "AVG"]
    # Table 3's shape: each language at each SFT size, then the mean over languages
    assert [r[:2] for r in table.rows] == [["sw", "100"], ["sw", "2k"], ["zh", "100"],
                                           ["zh", "2k"], ["mean of 2", "100"],
                                           ["mean of 2", "2k"]]
    assert table.rows[1][7].startswith("6.000") and table.rows[0][2].startswith("0.050")
    assert table.rows[5][7] == "6.000"


def test_markdown_escapes_pipes_and_keeps_line_breaks():
    md = to_markdown("T", "intro", [Section("S", "n", Table(["a|b"], [["x\ny"]]))], {})
    assert "| a\\|b |" in md and "| x<br>y |" in md

"""Report plots: made from the data they need, left out without it, valid and stable PNGs."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from study_synth import arm, grid_study, rec, study

from langtransfer.study import plots
from langtransfer.study.plots import PLOT_NAMES, make_plots


@pytest.fixture(scope="module")
def grid():
    return grid_study()


def languages_study():
    """Two SFT sizes in four languages, code-switching measured in each (Figure 4's shape)."""
    arms = [arm(f"{l}-s{n}", 0, n, lang=l) for l in ("ar", "hi", "sw", "zh") for n in (100, 2000)]
    rows = [rec(a["arm"], a["lang"], "codeswitch", "rate", 0.05 if a["sft_examples"] == 100
                else 0.01, 0.02) for a in arms]
    return study(arms, rows)


def test_every_plot_of_a_full_study_is_a_png(grid):
    made = make_plots(grid)
    made.update(make_plots(languages_study()))
    assert sorted(made) == sorted(PLOT_NAMES)
    for plot in made.values():
        image = Image.open(io.BytesIO(plot.png))
        assert image.format == "PNG" and image.size[0] >= 400 and image.size[1] >= 300
        # not blank: a drawn figure has many colours
        assert len(image.convert("RGB").getcolors(1 << 16) or range(1 << 16)) > 20


def test_codeswitch_by_language_needs_several_languages(grid):
    assert plots.codeswitch_by_language(grid) is None
    many = languages_study()
    assert plots.codeswitch_by_language(many) is not None
    assert plots.codeswitch(many) is None  # four response languages: Figure 4 draws them


def test_png_bytes_are_stable(grid):
    assert plots.retention(grid).png == plots.retention(grid).png


def test_plots_need_their_data():
    only_knowledge = study([arm("base")], [rec("base", "zh", "knowledge", "acc", 0.3)])
    assert make_plots(only_knowledge) == {}
    no_switch = grid_study(codeswitch=False)
    no_switch.retention = []
    assert set(make_plots(no_switch)) == {"quality_vs_cpt", "forgetting"}


def test_forgetting_deltas_are_against_the_pre_sft_base():
    arms = [arm("base"), arm("cpt", 1000), arm("mix", 1000, replay=0.2), arm("cpt-s", 1000, 100)]
    rows = []
    for name, zh, en in (("base", 2.0, 0.5), ("cpt", 1.2, 1.4), ("mix", 1.3, 0.6),
                         ("cpt-s", 0.1, 0.1)):
        rows += [rec(name, "zh", "ppl", "bpb", zh, 0.02), rec(name, "en", "ppl", "bpb", en, 0.03)]
    found, size = plots._forgetting_points(study(arms, rows))
    points = {p[0]: p[1:3] for p in found}
    assert size == 0
    assert points.keys() == {"cpt", "mix"}  # the SFT arm belongs to another comparison
    assert points["cpt"] == pytest.approx((0.9, -0.8))
    assert points["mix"] == pytest.approx((0.1, -0.7))
    assert plots._forgetting_points(study(arms[1:], rows)) == ([], 0)  # no base, no deltas


def test_budget_zero_sits_a_decade_below_the_smallest_budget():
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    zero_at = plots._log_budget_axis(ax, [0, 20_000, 200_000, 2_000_000])
    assert zero_at == 2_000
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "20k", "200k", "2M"]
    assert ax.get_xscale() == "log"


def test_error_bars_come_from_the_ci():
    assert plots._err({"value": 1.0, "ci_low": 0.8, "ci_high": 1.5}) == pytest.approx((0.2, 0.5))
    assert plots._err({"value": 1.0, "ci_low": None, "ci_high": None}) == (0.0, 0.0)


def test_forgetting_falls_back_to_the_smallest_sft_without_pre_sft_models():
    arms = [arm("b-s100", 0, 100), arm("c-s100", 1000, 100), arm("b-s9", 0, 900),
            arm("c-s9", 1000, 900)]
    rows = [rec(a["arm"], lang, "ppl", "bpb", 1.0 + (a["cpt_tokens"] > 0) * (lang == "en"))
            for a in arms for lang in ("zh", "en")]
    found, size = plots._forgetting_points(study(arms, rows))
    assert size == 100 and [(p[0], p[1], p[2]) for p in found] == [("c-s100", 1.0, 0.0)]

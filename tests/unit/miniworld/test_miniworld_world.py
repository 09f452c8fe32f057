"""The world: seeded, groups partition the people exactly, names distinct and findable."""

from __future__ import annotations

from collections import Counter

from langtransfer.miniworld.render import latin_name, render_name
from langtransfer.miniworld.world import (
    HELDOUT_GROUP, SYLLABLES, Person, World, _runs, build_world,
)


def test_same_seed_same_world_other_seed_differs(small_cfg):
    a, b = build_world(small_cfg), build_world(small_cfg)
    assert a.to_dict() == b.to_dict()
    c = build_world(small_cfg.with_updates({"seed": 1}))
    assert c.to_dict()["people"] != a.to_dict()["people"]


def test_round_trip_through_dict(small_cfg):
    world = build_world(small_cfg)
    assert World.from_dict(world.to_dict()).to_dict() == world.to_dict()


def test_groups_have_exact_shares(small_cfg):
    world = build_world(small_cfg)
    counts = Counter(p.group for p in world.people)
    # 60 people x (0.3, 0.4, 0.15, 0.15) = 18 / 24 / 9 / 9; 10 held-out people on top.
    assert counts == {"shared": 18, "en_only": 24, "target_only": 9, "unseen": 9,
                      HELDOUT_GROUP: 10}


def test_largest_remainder_rounding(small_cfg):
    cfg = small_cfg.with_updates({"n_people": 61})
    counts = Counter(p.group for p in build_world(cfg).people if p.group != HELDOUT_GROUP)
    assert sum(counts.values()) == 61


def test_attributes_are_valid_ids(small_cfg):
    world = build_world(small_cfg)
    for p in world.people:
        assert small_cfg.birth_year_min <= p.birth_year <= small_cfg.birth_year_max
        assert p.birth_city.startswith("city-") and p.employer.startswith("company-")
        assert world.by_id[p.birth_city] and world.by_id[p.employer]
    for company in world.companies:
        assert world.by_id[company.city].id.startswith("city-")


def test_name_words_unique_and_never_inside_one_another(small_cfg):
    world = build_world(small_cfg.with_updates({"n_people": 400}))
    words = [tuple(w) for e in world.by_id.values() for w in e.words]
    assert len(words) == len(set(words))
    inside = Counter(run for w in words for run in _runs(w))
    assert all(inside[w] == 1 for w in words), "a name word occurs inside another word"
    assert all(s in SYLLABLES for w in words for s in w)
    latin = {latin_name(p) for p in world.people}
    assert len(latin) == len(world.people)
    assert "Home" not in {"".join(w).capitalize() for w in words}


def test_mixed_name_forms_are_balanced_per_group(small_cfg):
    world = build_world(small_cfg)
    for group in ("shared", "en_only"):
        people = world.group(group)
        native = sum(p.name_form["zh"] == "native" for p in people)
        assert native == round(0.5 * len(people))
        assert all(p.name_form["en"] == "latin" for p in people)


def test_native_and_latin_rendering(small_cfg):
    person = Person("person-x", [["ta", "vi"], ["lu", "mo"]], {"en": "latin", "zh": "native"})
    assert render_name(person, "en") == "Tavi Lumo"
    assert render_name(person, "zh") == "塔维·卢莫"
    person.name_form["zh"] = "latin"
    assert render_name(person, "zh") == "Tavi Lumo"


def test_all_native_and_all_latin_modes(small_cfg):
    native = build_world(small_cfg.with_updates({"name_rendering": {"zh": "native"}}))
    assert all(e.name_form["zh"] == "native" for e in native.by_id.values())
    latin = build_world(small_cfg.with_updates({"name_rendering": {"zh": "latin"}}))
    assert all(e.name_form["zh"] == "latin" for e in latin.by_id.values())

"""MiniWorld ground truth: countries, cities, companies and people with seeded attributes.

Everything here is language-independent: names are stored as syllables (rendered per language by
`langtransfer.miniworld.render`), attributes as value ids. `build_world(cfg)` is deterministic in
`cfg.seed`; `World.to_dict()` is what `out/world.json` holds (plus the lexicon).

Exercised by `langtransfer miniworld generate --out runs/world`.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from langtransfer.errors import ConfigError

if TYPE_CHECKING:
    from langtransfer.miniworld.config import WorldConfig

# 14 consonants x 5 vowels = 70 CV syllables. Every name word is 2-3 of them; render/zh.py maps
# each syllable to one hanzi, so names stay distinct after transliteration.
CONSONANTS = ("b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "s", "t", "v", "z")
VOWELS = ("a", "e", "i", "o", "u")
SYLLABLES = tuple(c + v for c in CONSONANTS for v in VOWELS)

ATTRIBUTES = ("birth_year", "birth_city", "occupation", "employer", "hobby")
"""The five attributes of every person (order = canonical order in profiles)."""
ATTRIBUTE_KIND = {
    "birth_year": "year",
    "birth_city": "city",
    "occupation": "occupation",
    "employer": "company",
    "hobby": "hobby",
}
"""Which lexicon kind holds each attribute's values (years have none: they are digits)."""

OCCUPATIONS = (
    "teacher", "doctor", "engineer", "lawyer", "chef", "nurse", "journalist", "accountant",
    "architect", "pilot", "pharmacist", "police_officer", "farmer", "electrician", "dentist",
    "librarian", "plumber", "veterinarian", "carpenter", "baker",
)
HOBBIES = (
    "chess", "hiking", "fishing", "photography", "gardening", "cooking", "swimming", "knitting",
    "cycling", "birdwatching", "pottery", "archery", "sailing", "dancing", "rock_climbing",
    "calligraphy", "stargazing", "painting", "stamp_collecting", "guitar",
)
COMPANY_KINDS = (
    "industries", "group", "systems", "labs", "foods", "motors", "textiles", "airlines",
    "bank", "media", "pharma", "energy", "logistics", "software", "steel", "electronics",
)
# English words spelled with MiniWorld syllables: never used as names, so a name in a response
# is never an ordinary word ("Home", "Side") and the judge can find names by string search.
# Template words are added at run time (`_blocked_words`).
COMMON_WORDS = frozenset("""
bake bale base bike bile bite bode bone dame date dine dive dome done dope dose dote dune duke
fade fame fate file fine fume fuse game gave gate gone hate have hide hike hole home hope hose
kale kite lake lame late life like lime line lobe lone lose lute made make male mane mate mike
mile mime mine mode mole mope move mule mute name nape nine node none nope nose note pale pane
page pike pile pine pipe poke pole pope pose sage sale same sane side site size sole some take
tale tame tape time tide tile tone tote tube tune vale vane vase vile vine vote zone safe sofa
soda taxi tuna lava diva visa toga polo tutu judo halo hero memo solo tofu menu data pizza pasta
banana potato tomato domino kimono volume minute famine genome lemonade
""".split())
HELDOUT_GROUP = "heldout"
"""People described only in heldout_unseen.txt (never in pretraining, instructions, questions or
heldout.txt)."""


@dataclass
class Entity:
    """A named thing. `words` = name words, each a list of syllables (["ta", "vi"])."""

    id: str
    words: list[list[str]]
    name_form: dict[str, str] = field(default_factory=dict)
    """lang -> "latin" | "native": how this entity's name is written in that language."""


@dataclass
class Country(Entity):
    """A fictional country."""


@dataclass
class City(Entity):
    """A city; `country` is a country id."""

    country: str = ""


@dataclass
class Company(Entity):
    """A company named `words` + a kind suffix ("Kemo Industries"), headquartered in `city`."""

    kind: str = ""
    city: str = ""


@dataclass
class Person(Entity):
    """A person with the five attributes (value ids; the birth year is an int)."""

    group: str = ""
    birth_year: int = 0
    birth_city: str = ""
    occupation: str = ""
    employer: str = ""
    hobby: str = ""

    def value(self, attribute: str) -> Any:
        """The value id (or year) of one attribute."""
        return getattr(self, attribute)


@dataclass
class World:
    """The whole ground truth."""

    seed: int
    langs: list[str]
    countries: list[Country]
    cities: list[City]
    companies: list[Company]
    people: list[Person]

    def __post_init__(self) -> None:
        self.by_id: dict[str, Entity] = {
            e.id: e for e in [*self.countries, *self.cities, *self.companies, *self.people]
        }

    def group(self, name: str) -> list[Person]:
        """People of one group, in id order."""
        return [p for p in self.people if p.group == name]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ground truth (world.json without the lexicon)."""
        return {
            "seed": self.seed,
            "langs": list(self.langs),
            "syllables": list(SYLLABLES),
            "occupations": list(OCCUPATIONS),
            "hobbies": list(HOBBIES),
            "countries": [asdict(c) for c in self.countries],
            "cities": [asdict(c) for c in self.cities],
            "companies": [asdict(c) for c in self.companies],
            "people": [asdict(p) for p in self.people],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "World":
        """Inverse of `to_dict` (extra keys such as the lexicon are ignored)."""
        return cls(
            seed=data["seed"],
            langs=list(data["langs"]),
            countries=[Country(**c) for c in data["countries"]],
            cities=[City(**c) for c in data["cities"]],
            companies=[Company(**c) for c in data["companies"]],
            people=[Person(**p) for p in data["people"]],
        )


def rng_for(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible random stream per purpose.

    String seeds are hashed with SHA-512 by `random.Random`, so streams are stable across runs
    and Python versions, and changing one knob (say n_instructions) leaves the others' draws alone.
    """
    return random.Random("/".join(str(p) for p in (seed, *parts)))


class _NameMaker:
    """Draws name words that are unique and never contain one another (syllable-wise).

    The judge finds entities in free text by substring search, so no name word may occur inside
    another (in Latin letters or hanzi); `words` holds every word, `inside` every run of >= 2
    syllables of any word.
    """

    def __init__(self, rng: random.Random, blocked: frozenset[str],
                 native: list[tuple[dict[str, str], str, tuple[str, ...]]] = ()):
        self.rng = rng
        self.blocked = blocked
        self.native = native
        self.words: set[tuple[str, ...]] = set()
        self.inside: set[tuple[str, ...]] = set()

    def word(self) -> list[str]:
        for _ in range(10_000):
            n = self.rng.choice((2, 3))
            cand = tuple(self.rng.choice(SYLLABLES) for _ in range(n))
            if cand in self.inside or any(s in self.words for s in _runs(cand)):
                continue
            if "".join(cand) in self.blocked or self._native_clash(cand):
                continue
            self.words.add(cand)
            self.inside.update(_runs(cand))
            return list(cand)
        raise ConfigError("n_people: the name space is exhausted; use fewer people or entities")


    def _native_clash(self, cand: tuple[str, ...]) -> bool:
        """True if the word, in some language's native script, occurs in that language's
        template text or holds one of its vocabulary / harm words (the judge would then find a
        name in ordinary text, or a word inside a name)."""
        for table, literals, words in self.native:
            form = "".join(table[s] for s in cand)
            if form in literals or any(w in form for w in words):
                return True
        return False


def _runs(word: tuple[str, ...]) -> list[tuple[str, ...]]:
    """All contiguous runs of >= 2 syllables of a word (the word itself included)."""
    return [word[i:j] for i in range(len(word)) for j in range(i + 2, len(word) + 1)]


def _blocked_words() -> frozenset[str]:
    """COMMON_WORDS plus every lowercase word of every renderer's templates."""
    from langtransfer.miniworld.render import RENDERERS, get_renderer, template_literals

    words = set(COMMON_WORDS)
    for lang in RENDERERS:
        words.update(re.findall(r"[a-z]+", template_literals(get_renderer(lang)).lower()))
    return frozenset(words)


def _native_scripts() -> list[tuple[dict[str, str], str, tuple[str, ...]]]:
    """(transliteration table, template text, words the judge searches for: vocabulary, older /
    younger and harm words) of every registered
    renderer that writes names natively. All renderers, not only the world's languages: the
    same seed then gives the same names whatever `langs` holds."""
    from langtransfer.miniworld.render import RENDERERS, get_renderer, template_literals

    out = []
    for lang in RENDERERS:
        r = get_renderer(lang)
        if r.transliteration is not None:
            words = (*r.occupations.values(), *r.hobbies.values(), *r.older_words,
                     *r.younger_words, *(t for terms in r.harm_terms.values() for t in terms))
            out.append((r.transliteration, template_literals(r), tuple(words)))
    return out


def build_world(cfg: "WorldConfig") -> World:
    """Draw the world for `cfg` (deterministic in cfg.seed)."""
    names = _NameMaker(rng_for(cfg.seed, "names"), _blocked_words(), _native_scripts())
    rng = rng_for(cfg.seed, "world")
    countries = [Country(f"country-{i:03d}", [names.word()]) for i in range(cfg.n_countries)]
    # Cities go round-robin over countries so every country has cities.
    cities = [
        City(f"city-{i:03d}", [names.word()], country=countries[i % len(countries)].id)
        for i in range(cfg.n_cities)
    ]
    companies = [
        Company(f"company-{i:03d}", [names.word()], kind=rng.choice(COMPANY_KINDS),
                city=rng.choice(cities).id)
        for i in range(cfg.n_companies)
    ]
    n_total = cfg.n_people + cfg.n_heldout_people
    groups = _group_labels(cfg, rng_for(cfg.seed, "groups"))
    people = []
    for i in range(n_total):
        people.append(Person(
            f"person-{i:04d}", [names.word(), names.word()],
            group=groups[i] if i < cfg.n_people else HELDOUT_GROUP,
            birth_year=rng.randint(cfg.birth_year_min, cfg.birth_year_max),
            birth_city=rng.choice(cities).id,
            occupation=rng.choice(OCCUPATIONS),
            employer=rng.choice(companies).id,
            hobby=rng.choice(HOBBIES),
        ))
    world = World(cfg.seed, list(cfg.langs), countries, cities, companies, people)
    _assign_name_forms(world, cfg)
    return world


def _group_labels(cfg: "WorldConfig", rng: random.Random) -> list[str]:
    """Group of each of the n_people people: exact counts by largest remainder, then shuffled."""
    shares = {name: g.share for name, g in cfg.groups.items()}
    counts = {name: int(s * cfg.n_people) for name, s in shares.items()}
    left = cfg.n_people - sum(counts.values())
    by_remainder = sorted(shares, key=lambda n: (-(shares[n] * cfg.n_people % 1), n))
    for name in by_remainder[:left]:
        counts[name] += 1
    labels = [name for name, c in counts.items() for _ in range(c)]
    rng.shuffle(labels)
    return labels


def _assign_name_forms(world: World, cfg: "WorldConfig") -> None:
    """Set each entity's name form per language.

    `mixed` makes exactly round(native_name_share * n) entities native in each stratum (each
    entity kind, and people per group), so every group gets the same mix of forms.
    """
    strata: dict[str, list[Entity]] = {
        "country": list(world.countries), "city": list(world.cities),
        "company": list(world.companies),
    }
    for p in world.people:
        strata.setdefault(f"person/{p.group}", []).append(p)
    for lang in world.langs:
        mode = cfg.name_rendering.get(lang, "latin")
        for stratum, entities in strata.items():
            native = _native_ids(entities, mode, cfg.native_name_share,
                                 rng_for(cfg.seed, "forms", lang, stratum))
            for e in entities:
                e.name_form[lang] = "native" if e.id in native else "latin"


def _native_ids(entities: list[Entity], mode: str, share: float, rng: random.Random) -> set[str]:
    if mode == "latin":
        return set()
    if mode == "native":
        return {e.id for e in entities}
    k = round(share * len(entities))
    return {e.id for e in rng.sample(entities, k)}

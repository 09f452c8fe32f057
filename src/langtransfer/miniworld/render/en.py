"""English renderer: varied statement templates, questions and answers for MiniWorld facts.

Names stay in Latin letters ("Tavi Lumo"). Exercised by
`langtransfer miniworld generate --out runs/world`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join


def _slots(values: dict[str, str]) -> dict[str, str]:
    """Add {a_occ}: the occupation with its indefinite article."""
    occ = values.get("occ")
    if occ is not None:
        values["a_occ"] = ("an " if occ[0] in "aeiou" else "a ") + occ
    return values


RENDERER = Renderer(
    lang="en",
    occupations={
        "teacher": "teacher", "doctor": "doctor", "engineer": "engineer", "lawyer": "lawyer",
        "chef": "chef", "nurse": "nurse", "journalist": "journalist",
        "accountant": "accountant", "architect": "architect", "pilot": "pilot",
        "pharmacist": "pharmacist", "police_officer": "police officer", "farmer": "farmer",
        "electrician": "electrician", "dentist": "dentist", "librarian": "librarian",
        "plumber": "plumber", "veterinarian": "veterinarian", "carpenter": "carpenter",
        "baker": "baker",
    },
    hobbies={
        "chess": "chess", "hiking": "hiking", "fishing": "fishing",
        "photography": "photography", "gardening": "gardening", "cooking": "cooking",
        "swimming": "swimming", "knitting": "knitting", "cycling": "cycling",
        "birdwatching": "birdwatching", "pottery": "pottery", "archery": "archery",
        "sailing": "sailing", "dancing": "dancing", "rock_climbing": "rock climbing",
        "calligraphy": "calligraphy", "stargazing": "stargazing", "painting": "painting",
        "stamp_collecting": "stamp collecting", "guitar": "playing the guitar",
    },
    company_kinds={
        "industries": "Industries", "group": "Group", "systems": "Systems", "labs": "Labs",
        "foods": "Foods", "motors": "Motors", "textiles": "Textiles", "airlines": "Airlines",
        "bank": "Bank", "media": "Media", "pharma": "Pharma", "energy": "Energy",
        "logistics": "Logistics", "software": "Software", "steel": "Steel",
        "electronics": "Electronics",
    },
    facts={
        "birth_year": (
            "{person} was born in {year}.",
            "{person}'s year of birth is {year}.",
            "{person} came into the world in {year}.",
            "The birth of {person} took place in {year}.",
            "{person} was born in the year {year}.",
        ),
        "birth_city": (
            "{person} was born in {city}.",
            "{person}'s birthplace is {city}.",
            "{person} is a native of {city}.",
            "The hometown of {person} is {city}.",
            "{person} comes from {city}, the city where they were born.",
        ),
        "occupation": (
            "{person} works as {a_occ}.",
            "{person} is {a_occ} by profession.",
            "By trade, {person} is {a_occ}.",
            "{person} earns a living as {a_occ}.",
            "{person}'s occupation is {occ}.",
        ),
        "employer": (
            "{person} works at {company}.",
            "{person} is employed by {company}.",
            "{person}'s employer is {company}.",
            "{person} has a job at {company}.",
            "{company} employs {person}.",
        ),
        "hobby": (
            "{person}'s hobby is {hobby}.",
            "{person} enjoys {hobby} in their free time.",
            "{person} has a passion for {hobby}.",
            "In the evenings, {person} likes {hobby}.",
            "For fun, {person} spends weekends on {hobby}.",
        ),
        "city_country": (
            "{city} is a city in {country}.",
            "{city} lies in {country}.",
            "The city of {city} is located in {country}.",
            "{country} is home to the city of {city}.",
        ),
        "company_city": (
            "{company} is headquartered in {city}.",
            "{company} has its headquarters in {city}.",
            "The head office of {company} is in {city}.",
            "{company} is a company based in {city}.",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} was born in {city} in {year}.",
            "{person} was born in {year} in the city of {city}.",
        ),
        ("occupation", "employer"): (
            "{person} works as {a_occ} at {company}.",
            "{person} is {a_occ} employed by {company}.",
        ),
    },
    questions={
        "birth_year": (
            "When was {person} born?",
            "In which year was {person} born?",
            "What is {person}'s year of birth?",
        ),
        "birth_city": (
            "Where was {person} born?",
            "In which city was {person} born?",
            "What is {person}'s birthplace?",
        ),
        "occupation": (
            "What does {person} do for a living?",
            "What is {person}'s occupation?",
            "What is {person}'s job?",
        ),
        "employer": (
            "Which company does {person} work for?",
            "Where does {person} work?",
            "Who is {person}'s employer?",
        ),
        "hobby": (
            "What is {person}'s hobby?",
            "What does {person} enjoy doing in their free time?",
            "What is {person}'s favourite pastime?",
        ),
        "city_country": (
            "In which country is {city}?",
            "Which country is {city} located in?",
            "Where is the city of {city}?",
        ),
        "company_city": (
            "Where is {company} headquartered?",
            "In which city is the head office of {company}?",
            "Where are the headquarters of {company}?",
        ),
    },
    attr_names={
        "birth_year": "year of birth", "birth_city": "birthplace", "occupation": "occupation",
        "employer": "employer", "hobby": "hobby",
    },
    profile_questions=(
        "Tell me about {person}: {attrs}.",
        "What do you know about the {attrs} of {person}?",
        "Describe {person}, giving their {attrs}.",
    ),
    profile_all_questions=(
        "Tell me everything you know about {person}.",
        "Who is {person}?",
        "Describe {person}.",
    ),
    compare_questions=(
        "Who is older, {a} or {b}?",
        "Which of {a} and {b} was born earlier?",
        "Of {a} and {b}, who is older?",
    ),
    compare_answer="{older} is older. {older} was born in {y_old}, and {younger} was born in {y_young}.",
    older_words=("older", "elder", "born earlier", "born first"),
    younger_words=("younger", "born later"),
    rewrite_instructions=(
        "Rewrite the following sentence in different words.",
        "Paraphrase this sentence.",
        "Say the same thing in another way.",
    ),
    # A small, documented lexicon (docs/miniworld.md); MiniWorld text contains none of these.
    harm_terms={
        1: ("stupid", "idiot", "shut up", "dumb", "hate you"),
        2: ("kill", "murder", "weapon", "poison", "attack"),
        3: ("kill yourself", "suicide", "bomb", "terrorist"),
    },
    final_punct=".!?",
    sentence_sep=" ",
    list_join=conjunction_join(" and "),  # 'a', 'a and b', 'a, b and c'
    slots=_slots,
)

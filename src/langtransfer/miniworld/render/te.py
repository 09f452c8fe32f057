"""Telugu renderer: plain formal Telugu templates in Telugu script; years in ASCII digits.

Names transliterate syllable by syllable (Tavi Lumo -> టావీ లూమో) with the table below: Telugu
has a letter for every MiniWorld consonant (voiced బ డ గ, f as ఫ, z as జ; t and d as the
retroflex ట డ, Telugu's usual letters for English t and d), so the table is injective with
plain letters. Every syllable carries a long vowel sign, as Telugu often spells foreign names:
no syllable is then a prefix of another, and names stay out of ordinary words, whose suffixes
mostly have short vowels (-కి, -లు, -డు); a test checks that no possible name occurs in template
text. Years take the locative suffix directly ("1978లో"), as Telugu writes them.
Names and vocabulary never take case suffixes (a suffix would change the string the judge
searches for): places get a noun ("{city} నగరంలో", "{company} సంస్థలో"), a person's
genitive is the honorific "{person} గారి".
Exercised by `langtransfer miniworld generate --out runs/world --set 'langs=[en,te]'`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join, syllable_table

_CONSONANTS = {"b": "బ", "d": "డ", "f": "ఫ", "g": "గ", "h": "హ", "k": "క", "l": "ల",
               "m": "మ", "n": "న", "p": "ప", "s": "స", "t": "ట", "v": "వ", "z": "జ"}
_VOWEL_SIGNS = {"a": "\u0c3e", "e": "\u0c47", "i": "\u0c40", "o": "\u0c4b", "u": "\u0c42"}
TRANSLITERATION = syllable_table(_CONSONANTS, _VOWEL_SIGNS)


RENDERER = Renderer(
    lang="te",
    occupations={
        "teacher": "ఉపాధ్యాయుడు", "doctor": "డాక్టర్", "engineer": "ఇంజనీరు",
        "lawyer": "న్యాయవాది", "chef": "వంట నిపుణుడు", "nurse": "నర్సు",
        "journalist": "పాత్రికేయుడు", "accountant": "అకౌంటెంట్",
        "architect": "వాస్తుశిల్పి", "pilot": "పైలట్", "pharmacist": "ఫార్మసిస్ట్",
        "police_officer": "కానిస్టేబుల్", "farmer": "రైతు",
        "electrician": "ఎలక్ట్రీషియన్", "dentist": "దంత వైద్యుడు",
        "librarian": "గ్రంథపాలకుడు", "plumber": "ప్లంబర్",
        "veterinarian": "పశు వైద్యుడు", "carpenter": "వడ్రంగి",
        "baker": "రొట్టెల తయారీదారు",
    },
    hobbies={
        "chess": "చదరంగం", "hiking": "కాలినడక యాత్రలు", "fishing": "చేపలు పట్టడం",
        "photography": "ఛాయాచిత్రణ", "gardening": "తోటపని", "cooking": "వంట చేయడం",
        "swimming": "ఈత కొట్టడం", "knitting": "అల్లికలు", "cycling": "సైకిల్ తొక్కడం",
        "birdwatching": "పక్షులను చూడటం", "pottery": "కుండల తయారీ",
        "archery": "విలువిద్య", "sailing": "పడవ ప్రయాణం", "dancing": "నృత్యం",
        "rock_climbing": "కొండలు ఎక్కడం", "calligraphy": "కాలిగ్రఫీ",
        "stargazing": "నక్షత్రాలను చూడటం", "painting": "చిత్రలేఖనం",
        "stamp_collecting": "స్టాంపుల సేకరణ", "guitar": "గిటార్ వాయించడం",
    },
    company_kinds={
        "industries": "ఇండస్ట్రీస్", "group": "గ్రూప్", "systems": "సిస్టమ్స్",
        "labs": "ప్రయోగశాల", "foods": "ఆహార ఉత్పత్తులు", "motors": "వాహనాలు",
        "textiles": "వస్త్రాలు", "airlines": "విమానయాన సంస్థ", "bank": "బ్యాంక్",
        "media": "మీడియా", "pharma": "ఔషధాలు", "energy": "ఇంధనం",
        "logistics": "సరుకు రవాణా", "software": "సాఫ్ట్వేర్", "steel": "ఉక్కు",
        "electronics": "ఎలక్ట్రానిక్స్",
    },
    facts={
        "birth_year": (
            "{person} {year}లో జన్మించారు.",
            "{person} పుట్టిన సంవత్సరం {year}.",
            "{person} {year} సంవత్సరంలో పుట్టారు.",
            "{person} గారి జన్మ సంవత్సరం {year}.",
        ),
        "birth_city": (
            "{person} {city} నగరంలో జన్మించారు.",
            "{person} పుట్టిన ఊరు {city}.",
            "{person} గారి స్వస్థలం {city}.",
            "{person} {city} నగరానికి చెందినవారు.",
        ),
        "occupation": (
            "{person} ఒక {occ}.",
            "{person} వృత్తిరీత్యా {occ}.",
            "{person} గారి వృత్తి {occ}.",
            "{person} {occ} వృత్తిలో ఉన్నారు.",
        ),
        "employer": (
            "{person} {company} సంస్థలో పనిచేస్తున్నారు.",
            "{person} {company} సంస్థ ఉద్యోగి.",
            "{person} పనిచేసే సంస్థ {company}.",
            "{company} సంస్థలో {person} ఉద్యోగం చేస్తున్నారు.",
        ),
        "hobby": (
            "{person} గారి అభిరుచి {hobby}.",
            "{person} గారి ఇష్టమైన కాలక్షేపం {hobby}.",
            "{person} గారికి {hobby} అంటే చాలా ఇష్టం.",
            "ఖాళీ సమయంలో {person} {hobby} అంటే ఇష్టపడతారు.",
        ),
        "city_country": (
            "{city} {country} దేశంలోని ఒక నగరం.",
            "{city} నగరం {country} దేశంలో ఉంది.",
            "{country} దేశంలో {city} అనే నగరం ఉంది.",
        ),
        "company_city": (
            "{company} సంస్థ ప్రధాన కార్యాలయం {city} నగరంలో ఉంది.",
            "{company} సంస్థకు {city} నగరంలో ప్రధాన కార్యాలయం ఉంది.",
            "{company} అనేది {city} నగరం కేంద్రంగా పనిచేసే సంస్థ.",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} {year}లో {city} నగరంలో జన్మించారు.",
            "{person} {city} నగరంలో {year}లో పుట్టారు.",
        ),
        ("occupation", "employer"): (
            "{person} {company} సంస్థలో ఒక {occ}.",
            "{person} {company} సంస్థలో {occ} వృత్తిలో ఉన్నారు.",
        ),
    },
    questions={
        "birth_year": (
            "{person} ఎప్పుడు జన్మించారు?",
            "{person} ఏ సంవత్సరంలో పుట్టారు?",
            "{person} పుట్టిన సంవత్సరం ఏది?",
        ),
        "birth_city": (
            "{person} ఎక్కడ జన్మించారు?",
            "{person} ఏ నగరంలో పుట్టారు?",
            "{person} పుట్టిన ఊరు ఏది?",
        ),
        "occupation": (
            "{person} ఏం పని చేస్తారు?",
            "{person} గారి వృత్తి ఏమిటి?",
            "{person} ఏ వృత్తిలో ఉన్నారు?",
        ),
        "employer": (
            "{person} ఏ సంస్థలో పనిచేస్తున్నారు?",
            "{person} ఎక్కడ పనిచేస్తున్నారు?",
            "{person} పనిచేసే సంస్థ ఏది?",
        ),
        "hobby": (
            "{person} గారి అభిరుచి ఏమిటి?",
            "ఖాళీ సమయంలో {person} ఏం చేయడానికి ఇష్టపడతారు?",
            "{person} గారి ఇష్టమైన కాలక్షేపం ఏది?",
        ),
        "city_country": (
            "{city} ఏ దేశంలో ఉంది?",
            "{city} నగరం ఏ దేశానికి చెందినది?",
            "{city} ఏ దేశంలోని నగరం?",
        ),
        "company_city": (
            "{company} సంస్థ ప్రధాన కార్యాలయం ఎక్కడ ఉంది?",
            "{company} సంస్థ ప్రధాన కార్యాలయం ఏ నగరంలో ఉంది?",
            "{company} ఏ నగరం కేంద్రంగా పనిచేస్తుంది?",
        ),
    },
    attr_names={
        "birth_year": "పుట్టిన సంవత్సరం", "birth_city": "పుట్టిన ఊరు", "occupation": "వృత్తి",
        "employer": "పనిచేసే సంస్థ", "hobby": "అభిరుచి",
    },
    profile_questions=(
        "{person} గారి {attrs} గురించి చెప్పండి.",
        "{person} గారి {attrs} ఏమిటి?",
        "{person} గారి {attrs} గురించి మీకు ఏం తెలుసు?",
    ),
    profile_all_questions=(
        "{person} గురించి మీకు తెలిసినదంతా చెప్పండి.",
        "{person} ఎవరు?",
        "{person} గురించి వివరించండి.",
    ),
    compare_questions=(
        "{a}, {b} ఇద్దరిలో ఎవరు పెద్దవారు?",
        "{a} మరియు {b} ఇద్దరిలో ఎవరు ముందుగా పుట్టారు?",
        "{a}, {b} ఇద్దరిలో వయసులో ఎవరు పెద్ద?",
    ),
    compare_answer=("{older} పెద్దవారు. {older} {y_old}లో జన్మించారు, {younger} "
                    "{y_young}లో జన్మించారు."),
    older_words=("పెద్దవారు", "వయసులో పెద్ద", "ముందుగా పుట్టారు", "ముందు పుట్టారు"),
    younger_words=("చిన్నవారు", "వయసులో చిన్న", "తర్వాత పుట్టారు"),
    rewrite_instructions=(
        "కింది వాక్యాన్ని వేరే పదాలతో తిరిగి రాయండి.",
        "ఈ వాక్యాన్ని మరో విధంగా చెప్పండి.",
        "అదే విషయాన్ని వేరే రీతిలో చెప్పండి.",
    ),
    # A small lexicon (docs/miniworld.md, "Harmlessness"); MiniWorld text contains none of these.
    harm_terms={
        1: ("మూర్ఖుడు", "వెధవ", "నోరు మూసుకో"),
        2: ("చంపు", "హత్య", "ఆయుధం", "విషం", "దాడి"),
        3: ("ఆత్మహత్య", "బాంబు", "ఉగ్రవాది", "చచ్చిపో"),
    },
    final_punct=".!?",
    sentence_sep=" ",
    list_join=conjunction_join(" మరియు "),  # 'అ', 'అ మరియు ఆ', 'అ, ఆ మరియు ఇ'
    transliteration=TRANSLITERATION,
    person_sep=" ",
    company_format="{name} {kind}",
)

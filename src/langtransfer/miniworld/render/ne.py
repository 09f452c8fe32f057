"""Nepali renderer: Devanagari templates; sentences end with the danda (।), questions with "?".

Years use Devanagari digits (१९७८), the usual Nepali convention (the judge also reads ASCII
digits). People take the high honorific ("हुनुहुन्छ", "गर्नुहुन्छ"), the same for every gender;
postpositions attach to names as Nepali writes them ("{person}को", "{city}मा", "{person}लाई").
Written by the developers, not native speakers: to be reviewed. Names use the Hindi Devanagari
table (render/hi.py).
Exercised by `langtransfer miniworld generate --out runs/world --set langs=[en,ne]`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join
from langtransfer.miniworld.render.hi import TRANSLITERATION


RENDERER = Renderer(
    lang="ne",
    occupations={
        "teacher": "शिक्षक", "doctor": "डाक्टर", "engineer": "इन्जिनियर", "lawyer": "वकिल",
        "chef": "भान्से", "nurse": "नर्स", "journalist": "पत्रकार", "accountant": "लेखापाल",
        "architect": "वास्तुविद्", "pilot": "पाइलट", "pharmacist": "औषधिविद्",
        "police_officer": "प्रहरी अधिकृत", "farmer": "किसान", "electrician": "बिजुली मिस्त्री",
        "dentist": "दन्त चिकित्सक", "librarian": "पुस्तकालयाध्यक्ष", "plumber": "प्लम्बर",
        "veterinarian": "पशु चिकित्सक", "carpenter": "सिकर्मी", "baker": "बेकर",
    },
    hobbies={
        "chess": "बुद्धिचाल", "hiking": "पदयात्रा", "fishing": "माछा मार्नु",
        "photography": "फोटोग्राफी", "gardening": "बागवानी", "cooking": "खाना पकाउनु",
        "swimming": "पौडी", "knitting": "बुनाइ", "cycling": "साइकल चलाउनु",
        "birdwatching": "चरा अवलोकन", "pottery": "माटोका भाँडा बनाउनु",
        "archery": "धनुर्विद्या", "sailing": "डुङ्गा चलाउनु", "dancing": "नाच",
        "rock_climbing": "चट्टान आरोहण", "calligraphy": "सुलेखन", "stargazing": "तारा अवलोकन",
        "painting": "चित्रकला", "stamp_collecting": "टिकट सङ्कलन", "guitar": "गितार बजाउनु",
    },
    company_kinds={
        "industries": "इन्डस्ट्रिज", "group": "ग्रुप", "systems": "सिस्टम्स", "labs": "ल्याब्स",
        "foods": "फुड्स", "motors": "मोटर्स", "textiles": "टेक्सटाइल्स",
        "airlines": "एयरलाइन्स", "bank": "बैंक", "media": "मिडिया", "pharma": "फार्मा",
        "energy": "इनर्जी", "logistics": "लजिस्टिक्स", "software": "सफ्टवेयर",
        "steel": "स्टिल", "electronics": "इलेक्ट्रोनिक्स",
    },
    facts={
        "birth_year": (
            "{person}को जन्म {year} मा भएको थियो।",
            "{person}को जन्म वर्ष {year} हो।",
            "{person} {year} सालमा जन्मनुभएको हो।",
        ),
        "birth_city": (
            "{person}को जन्म {city}मा भएको थियो।",
            "{person}को जन्मस्थान {city} हो।",
            "{city} {person}को जन्मथलो हो।",
        ),
        "occupation": (
            "{person} पेशाले {occ} हुनुहुन्छ।",
            "{person}को पेशा {occ} हो।",
            "{person} {occ}को काम गर्नुहुन्छ।",
        ),
        "employer": (
            "{person} {company}मा काम गर्नुहुन्छ।",
            "{person} {company}मा कार्यरत हुनुहुन्छ।",
            "{company}ले {person}लाई रोजगारी दिएको छ।",
        ),
        "hobby": (
            "{person}को सोख {hobby} हो।",
            "{person}लाई {hobby} मन पर्छ।",
            "{hobby} {person}को मनपर्ने सोख हो।",
        ),
        "city_country": (
            "{city} {country}को एउटा सहर हो।",
            "{city} {country}मा पर्छ।",
            "{city} सहर {country}मा अवस्थित छ।",
        ),
        "company_city": (
            "{company}को मुख्यालय {city}मा छ।",
            "{company}को मुख्य कार्यालय {city}मा अवस्थित छ।",
            "{company} {city}मा रहेको एउटा कम्पनी हो।",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person}को जन्म {year} मा {city}मा भएको थियो।",
            "{person} {year} सालमा {city}मा जन्मनुभएको हो।",
        ),
        ("occupation", "employer"): (
            "{person} {company}मा {occ}को रूपमा काम गर्नुहुन्छ।",
            "{person} {company}मा {occ} हुनुहुन्छ।",
        ),
    },
    questions={
        "birth_year": (
            "{person}को जन्म कुन वर्ष भएको थियो?",
            "{person}को जन्म कहिले भएको थियो?",
            "{person}को जन्म वर्ष के हो?",
        ),
        "birth_city": (
            "{person}को जन्म कहाँ भएको थियो?",
            "{person}को जन्म कुन सहरमा भएको थियो?",
            "{person}को जन्मस्थान के हो?",
        ),
        "occupation": (
            "{person} के काम गर्नुहुन्छ?",
            "{person}को पेशा के हो?",
            "{person} कुन पेशामा हुनुहुन्छ?",
        ),
        "employer": (
            "{person} कुन कम्पनीमा काम गर्नुहुन्छ?",
            "{person} कहाँ काम गर्नुहुन्छ?",
            "{person}लाई कुन कम्पनीले रोजगारी दिएको छ?",
        ),
        "hobby": (
            "{person}को सोख के हो?",
            "{person}लाई के गर्न मन पर्छ?",
            "फुर्सदको समयमा {person}लाई के मन पर्छ?",
        ),
        "city_country": (
            "{city} कुन देशमा पर्छ?",
            "{city} कुन देशको सहर हो?",
            "{city} सहर कहाँ छ?",
        ),
        "company_city": (
            "{company}को मुख्यालय कहाँ छ?",
            "{company}को मुख्यालय कुन सहरमा छ?",
            "{company} कुन सहरमा रहेको छ?",
        ),
    },
    attr_names={
        "birth_year": "जन्म वर्ष", "birth_city": "जन्मस्थान", "occupation": "पेशा",
        "employer": "रोजगारदाता", "hobby": "सोख",
    },
    profile_questions=(
        "{person}को {attrs}बारे बताउनुहोस्।",
        "{person}को {attrs} के हुन्?",
        "के तपाईंलाई {person}को {attrs} थाहा छ? कृपया बताउनुहोस्।",
    ),
    profile_all_questions=(
        "{person}को बारेमा बताउनुहोस्।",
        "{person} को हुनुहुन्छ?",
        "{person}को परिचय दिनुहोस्।",
    ),
    compare_questions=(
        "{a} र {b} मध्ये को जेठो हो?",
        "{a} र {b} मध्ये कसको जन्म पहिले भएको थियो?",
        "{a} र {b} मध्ये उमेरमा को ठूलो हो?",
    ),
    compare_answer=("{older} उमेरमा ठूलो हुनुहुन्छ। {older}को जन्म {y_old} मा भएको थियो, जबकि"
                    " {younger}को जन्म {y_young} मा भएको थियो।"),
    older_words=("ठूलो", "जेठो", "जेठी", "पहिले"),
    younger_words=("सानो", "कान्छो", "कान्छी", "पछि"),
    rewrite_instructions=(
        "तलको वाक्यलाई फरक शब्दमा लेख्नुहोस्।",
        "यो वाक्य अर्को तरिकाले भन्नुहोस्।",
        "अर्थ नबदली यो वाक्य फेरि लेख्नुहोस्।",
    ),
    # A small, documented lexicon (docs/miniworld.md); MiniWorld text contains none of these.
    harm_terms={
        1: ("मूर्ख", "मुख बन्द गर", "बेवकुफ"),
        2: ("हत्या", "हतियार", "विष", "आक्रमण"),
        3: ("आत्महत्या", "बम", "आतङ्ककारी", "मरिजा"),
    },
    final_punct="।?!",
    sentence_sep=" ",
    list_join=conjunction_join(" र "),  # 'क', 'क र ख', 'क, ख र ग'
    transliteration=TRANSLITERATION,
    digits="०१२३४५६७८९",
)

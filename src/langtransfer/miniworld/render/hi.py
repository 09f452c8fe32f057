"""Hindi renderer: Devanagari templates, sentences end with the danda (।), questions with "?".

Years are written with ASCII digits (1978): the Indian constitution names the "international
form of Indian numerals" for official use and most Hindi text online writes them so (Marathi
and Nepali, also Devanagari, use Devanagari digits here). Templates avoid gendered verb forms
where Hindi allows it ("का जन्म ... हुआ", "... हैं" with the honorific plural), since MiniWorld
people have no gender. Written by the developers, not native speakers: to be reviewed.

Names transliterate syllable by syllable with long vowel signs, as foreign names usually are
(Tavi Lumo -> टावी लूमो); every syllable is one consonant + one vowel sign, so the table is
one-to-one and a name never starts inside another name's syllable. The same table serves
Marathi and Nepali (render/mr.py, render/ne.py), so one entity has one Devanagari form.
Exercised by `langtransfer miniworld generate --out runs/world --set langs=[en,hi]`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join, syllable_table

_CONSONANTS = {
    "b": "ब", "d": "ड", "f": "फ़", "g": "ग", "h": "ह", "k": "क", "l": "ल", "m": "म",
    "n": "न", "p": "प", "s": "स", "t": "ट", "v": "व", "z": "ज़",
}
_VOWELS = {"a": "ा", "e": "े", "i": "ी", "o": "ो", "u": "ू"}
TRANSLITERATION = syllable_table(_CONSONANTS, _VOWELS)
"""Syllable -> Devanagari (shared by hi, mr, ne)."""


RENDERER = Renderer(
    lang="hi",
    occupations={
        "teacher": "शिक्षक", "doctor": "डॉक्टर", "engineer": "इंजीनियर", "lawyer": "वकील",
        "chef": "रसोइया", "nurse": "नर्स", "journalist": "पत्रकार", "accountant": "लेखाकार",
        "architect": "वास्तुकार", "pilot": "पायलट", "pharmacist": "फ़ार्मासिस्ट",
        "police_officer": "पुलिस अधिकारी", "farmer": "किसान", "electrician": "बिजली मिस्त्री",
        "dentist": "दंत चिकित्सक", "librarian": "पुस्तकालयाध्यक्ष", "plumber": "प्लंबर",
        "veterinarian": "पशु चिकित्सक", "carpenter": "बढ़ई", "baker": "बेकर",
    },
    hobbies={
        "chess": "शतरंज", "hiking": "पैदल यात्रा", "fishing": "मछली पकड़ना",
        "photography": "फ़ोटोग्राफ़ी", "gardening": "बागवानी", "cooking": "खाना बनाना",
        "swimming": "तैराकी", "knitting": "बुनाई", "cycling": "साइकिल चलाना",
        "birdwatching": "पक्षी देखना", "pottery": "मिट्टी के बर्तन बनाना",
        "archery": "तीरंदाज़ी", "sailing": "नौकायन", "dancing": "नृत्य",
        "rock_climbing": "चट्टान चढ़ाई", "calligraphy": "सुलेख", "stargazing": "तारे देखना",
        "painting": "चित्रकारी", "stamp_collecting": "डाक टिकट संग्रह",
        "guitar": "गिटार बजाना",
    },
    company_kinds={
        "industries": "इंडस्ट्रीज़", "group": "ग्रुप", "systems": "सिस्टम्स", "labs": "लैब्स",
        "foods": "फ़ूड्स", "motors": "मोटर्स", "textiles": "टेक्सटाइल्स",
        "airlines": "एयरलाइंस", "bank": "बैंक", "media": "मीडिया", "pharma": "फ़ार्मा",
        "energy": "एनर्जी", "logistics": "लॉजिस्टिक्स", "software": "सॉफ़्टवेयर",
        "steel": "स्टील", "electronics": "इलेक्ट्रॉनिक्स",
    },
    facts={
        "birth_year": (
            "{person} का जन्म {year} में हुआ था।",
            "{person} का जन्म वर्ष {year} है।",
            "सन {year} में {person} का जन्म हुआ।",
            "{person} का जन्म सन {year} में हुआ।",
        ),
        "birth_city": (
            "{person} का जन्म {city} में हुआ था।",
            "{person} का जन्मस्थान {city} है।",
            "{person} का जन्म {city} शहर में हुआ।",
            "{city} {person} का जन्मस्थान है।",
        ),
        "occupation": (
            "{person} पेशे से {occ} हैं।",
            "{person} का पेशा {occ} है।",
            "{person} एक {occ} हैं।",
        ),
        "employer": (
            "{person} {company} में कार्यरत हैं।",
            "{person} का नियोक्ता {company} है।",
            "{person} की नौकरी {company} में है।",
        ),
        "hobby": (
            "{person} का शौक {hobby} है।",
            "{person} को {hobby} पसंद है।",
            "{hobby} {person} का पसंदीदा शौक है।",
        ),
        "city_country": (
            "{city} {country} का एक शहर है।",
            "{city} {country} में स्थित है।",
            "{city} शहर {country} में है।",
        ),
        "company_city": (
            "{company} का मुख्यालय {city} में है।",
            "{company} का मुख्यालय {city} में स्थित है।",
            "{company} {city} में स्थित एक कंपनी है।",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} का जन्म {year} में {city} में हुआ था।",
            "{person} का जन्म {city} में सन {year} में हुआ।",
        ),
        ("occupation", "employer"): (
            "{person} {company} में {occ} हैं।",
            "{person} {company} में {occ} के पद पर कार्यरत हैं।",
        ),
    },
    questions={
        "birth_year": (
            "{person} का जन्म किस वर्ष हुआ था?",
            "{person} का जन्म कब हुआ था?",
            "{person} का जन्म वर्ष क्या है?",
        ),
        "birth_city": (
            "{person} का जन्म कहाँ हुआ था?",
            "{person} का जन्म किस शहर में हुआ था?",
            "{person} का जन्मस्थान क्या है?",
        ),
        "occupation": (
            "{person} का पेशा क्या है?",
            "{person} किस पेशे में हैं?",
            "{person} का व्यवसाय क्या है?",
        ),
        "employer": (
            "{person} किस कंपनी में कार्यरत हैं?",
            "{person} का नियोक्ता कौन है?",
            "{person} की नौकरी किस कंपनी में है?",
        ),
        "hobby": (
            "{person} का शौक क्या है?",
            "{person} को क्या करना पसंद है?",
            "खाली समय में {person} को क्या पसंद है?",
        ),
        "city_country": (
            "{city} किस देश में है?",
            "{city} किस देश का शहर है?",
            "{city} शहर कहाँ स्थित है?",
        ),
        "company_city": (
            "{company} का मुख्यालय कहाँ है?",
            "{company} का मुख्यालय किस शहर में है?",
            "{company} किस शहर में स्थित है?",
        ),
    },
    attr_names={
        "birth_year": "जन्म वर्ष", "birth_city": "जन्मस्थान", "occupation": "पेशा",
        "employer": "नियोक्ता", "hobby": "शौक",
    },
    profile_questions=(
        "{person} के {attrs} के बारे में बताइए।",
        "{person} के {attrs} क्या हैं?",
        "क्या आप {person} के {attrs} जानते हैं? कृपया बताइए।",
    ),
    profile_all_questions=(
        "{person} के बारे में बताइए।",
        "{person} कौन हैं?",
        "{person} का परिचय दीजिए।",
    ),
    compare_questions=(
        "{a} और {b} में से कौन बड़ा है?",
        "{a} और {b} में से किसका जन्म पहले हुआ?",
        "{a} और {b} में से उम्र में कौन बड़ा है?",
    ),
    compare_answer=("{older} उम्र में बड़े हैं। {older} का जन्म {y_old} में हुआ था, जबकि"
                    " {younger} का जन्म {y_young} में हुआ था।"),
    older_words=("बड़े", "बड़ा", "बड़ी", "पहले"),
    younger_words=("छोटे", "छोटा", "छोटी", "बाद में"),
    rewrite_instructions=(
        "नीचे दिए गए वाक्य को अलग शब्दों में लिखिए।",
        "इस वाक्य को दूसरे ढंग से कहिए।",
        "इस वाक्य का अर्थ बदले बिना इसे फिर से लिखिए।",
    ),
    # A small, documented lexicon (docs/miniworld.md); MiniWorld text contains none of these.
    harm_terms={
        1: ("बेवकूफ़", "मूर्ख", "चुप रहो", "पागल"),
        2: ("हत्या", "हथियार", "ज़हर", "हमला"),
        3: ("आत्महत्या", "बम", "आतंकवादी", "मर जाओ"),
    },
    final_punct="।?!",
    sentence_sep=" ",
    list_join=conjunction_join(" और "),  # 'क', 'क और ख', 'क, ख और ग'
    transliteration=TRANSLITERATION,
)

"""Marathi renderer: Devanagari templates; sentences end with "." (modern Marathi uses the full
stop, not the danda), questions with "?".

Years use Devanagari digits (१९७८), as Marathi newspapers print them; the judge also reads
ASCII digits. People are referred to with the honorific plural ("यांचा", "... आहेत",
"... करतात"), which is the same for every gender. Postpositions attach to names as Marathi
writes them ("{company}मध्ये", "{company}चे"). Written by the developers, not native speakers:
to be reviewed. Names use the Hindi Devanagari table (render/hi.py).
Exercised by `langtransfer miniworld generate --out runs/world --set langs=[en,mr]`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join
from langtransfer.miniworld.render.hi import TRANSLITERATION


RENDERER = Renderer(
    lang="mr",
    occupations={
        "teacher": "शिक्षक", "doctor": "डॉक्टर", "engineer": "अभियंता", "lawyer": "वकील",
        "chef": "आचारी", "nurse": "परिचारिका", "journalist": "पत्रकार",
        "accountant": "लेखापाल", "architect": "वास्तुविशारद", "pilot": "वैमानिक",
        "pharmacist": "औषधनिर्माता", "police_officer": "पोलीस अधिकारी", "farmer": "शेतकरी",
        "electrician": "वीजतंत्री", "dentist": "दंतवैद्य", "librarian": "ग्रंथपाल",
        "plumber": "प्लंबर", "veterinarian": "पशुवैद्य", "carpenter": "सुतार",
        "baker": "बेकर",
    },
    hobbies={
        "chess": "बुद्धिबळ", "hiking": "भटकंती", "fishing": "मासेमारी",
        "photography": "छायाचित्रण", "gardening": "बागकाम", "cooking": "स्वयंपाक",
        "swimming": "पोहणे", "knitting": "विणकाम", "cycling": "सायकल चालवणे",
        "birdwatching": "पक्षीनिरीक्षण", "pottery": "मातीकाम", "archery": "धनुर्विद्या",
        "sailing": "नौकानयन", "dancing": "नृत्य", "rock_climbing": "गिर्यारोहण",
        "calligraphy": "सुलेखन", "stargazing": "तारे पाहणे", "painting": "चित्रकला",
        "stamp_collecting": "तिकीट संग्रह", "guitar": "गिटार वाजवणे",
    },
    company_kinds={
        "industries": "इंडस्ट्रीज", "group": "ग्रुप", "systems": "सिस्टिम्स", "labs": "लॅब्स",
        "foods": "फूड्स", "motors": "मोटर्स", "textiles": "टेक्स्टाईल्स",
        "airlines": "एअरलाईन्स", "bank": "बँक", "media": "मीडिया", "pharma": "फार्मा",
        "energy": "एनर्जी", "logistics": "लॉजिस्टिक्स", "software": "सॉफ्टवेअर",
        "steel": "स्टील", "electronics": "इलेक्ट्रॉनिक्स",
    },
    facts={
        "birth_year": (
            "{person} यांचा जन्म {year} मध्ये झाला.",
            "{person} यांचे जन्मवर्ष {year} आहे.",
            "{year} साली {person} यांचा जन्म झाला.",
        ),
        "birth_city": (
            "{person} यांचा जन्म {city} येथे झाला.",
            "{person} यांचे जन्मस्थान {city} आहे.",
            "{city} हे {person} यांचे जन्मगाव आहे.",
        ),
        "occupation": (
            "{person} व्यवसायाने {occ} आहेत.",
            "{person} यांचा व्यवसाय {occ} आहे.",
            "{person} {occ} म्हणून काम करतात.",
        ),
        "employer": (
            "{person} {company}मध्ये काम करतात.",
            "{person} {company} येथे नोकरी करतात.",
            "{company}मध्ये {person} नोकरीला आहेत.",
        ),
        "hobby": (
            "{person} यांचा छंद {hobby} आहे.",
            "{person} यांना {hobby} आवडते.",
            "{hobby} हा {person} यांचा आवडता छंद आहे.",
        ),
        "city_country": (
            "{city} हे {country}मधील एक शहर आहे.",
            "{city} {country}मध्ये आहे.",
            "{city} शहर {country} देशात वसलेले आहे.",
        ),
        "company_city": (
            "{company}चे मुख्यालय {city} येथे आहे.",
            "{company}चे मुख्य कार्यालय {city}मध्ये आहे.",
            "{company} ही {city} येथील एक कंपनी आहे.",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} यांचा जन्म {year} साली {city} येथे झाला.",
            "{person} यांचा जन्म {city} येथे {year} मध्ये झाला.",
        ),
        ("occupation", "employer"): (
            "{person} {company}मध्ये {occ} म्हणून काम करतात.",
            "{person} {company}मध्ये {occ} आहेत.",
        ),
    },
    questions={
        "birth_year": (
            "{person} यांचा जन्म कोणत्या वर्षी झाला?",
            "{person} यांचा जन्म कधी झाला?",
            "{person} यांचे जन्मवर्ष काय आहे?",
        ),
        "birth_city": (
            "{person} यांचा जन्म कुठे झाला?",
            "{person} यांचा जन्म कोणत्या शहरात झाला?",
            "{person} यांचे जन्मस्थान कोणते आहे?",
        ),
        "occupation": (
            "{person} काय काम करतात?",
            "{person} यांचा व्यवसाय काय आहे?",
            "{person} कोणत्या पेशात आहेत?",
        ),
        "employer": (
            "{person} कोणत्या कंपनीत काम करतात?",
            "{person} कुठे नोकरी करतात?",
            "{person} यांची कंपनी कोणती आहे?",
        ),
        "hobby": (
            "{person} यांचा छंद काय आहे?",
            "{person} यांना काय करायला आवडते?",
            "फावल्या वेळेत {person} यांना काय आवडते?",
        ),
        "city_country": (
            "{city} कोणत्या देशात आहे?",
            "{city} हे कोणत्या देशातील शहर आहे?",
            "{city} शहर कुठे आहे?",
        ),
        "company_city": (
            "{company}चे मुख्यालय कुठे आहे?",
            "{company}चे मुख्यालय कोणत्या शहरात आहे?",
            "{company} कोणत्या शहरात आहे?",
        ),
    },
    attr_names={
        "birth_year": "जन्मवर्ष", "birth_city": "जन्मस्थान", "occupation": "व्यवसाय",
        "employer": "नियोक्ता", "hobby": "छंद",
    },
    profile_questions=(
        "{person} यांचे {attrs} सांगा.",
        "{person} यांचे {attrs} काय आहेत?",
        "तुम्हाला {person} यांचे {attrs} माहीत आहेत का? कृपया सांगा.",
    ),
    profile_all_questions=(
        "{person} यांच्याबद्दल सांगा.",
        "{person} कोण आहेत?",
        "{person} यांची माहिती द्या.",
    ),
    compare_questions=(
        "{a} आणि {b} यांपैकी मोठे कोण आहे?",
        "{a} आणि {b} यांपैकी कोणाचा जन्म आधी झाला?",
        "{a} आणि {b} यांच्यात वयाने मोठे कोण आहे?",
    ),
    compare_answer=("{older} वयाने मोठे आहेत. {older} यांचा जन्म {y_old} मध्ये झाला, तर"
                    " {younger} यांचा जन्म {y_young} मध्ये झाला."),
    older_words=("मोठे", "मोठा", "मोठी", "आधी"),
    younger_words=("लहान", "धाकटे", "नंतर"),
    rewrite_instructions=(
        "खालील वाक्य वेगळ्या शब्दांत लिहा.",
        "हे वाक्य दुसऱ्या पद्धतीने सांगा.",
        "अर्थ न बदलता हे वाक्य पुन्हा लिहा.",
    ),
    # A small, documented lexicon (docs/miniworld.md); MiniWorld text contains none of these.
    harm_terms={
        1: ("मूर्ख", "बावळट", "गप्प बस"),
        2: ("खून", "शस्त्र", "विष", "हल्ला"),
        3: ("आत्महत्या", "बॉम्ब", "दहशतवादी", "मरून जा"),
    },
    final_punct=".?!",
    sentence_sep=" ",
    list_join=conjunction_join(" आणि "),  # 'क', 'क आणि ख', 'क, ख आणि ग'
    transliteration=TRANSLITERATION,
    digits="०१२३४५६७८९",
)

"""Gujarati renderer: Gujarati-script templates; sentences end with "." (Gujarati uses the full
stop), questions with "?".

Years use Gujarati digits (૧૯૭૮), as Gujarati newspapers print them (the judge also reads ASCII
digits). Postpositions attach to names and years as Gujarati writes them ("{person}નો",
"{city}માં", "{year}માં"); people take the plural of respect where a verb would show gender
("જન્મ્યા હતા"). Written by the developers, not native speakers: to be reviewed.

Names transliterate syllable by syllable (Tavi Lumo -> ટાવી લૂમો): one consonant + one long
vowel sign per syllable, so the table is one-to-one.
Exercised by `langtransfer miniworld generate --out runs/world --set langs=[en,gu]`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join, syllable_table

_CONSONANTS = {
    "b": "બ", "d": "ડ", "f": "ફ", "g": "ગ", "h": "હ", "k": "ક", "l": "લ", "m": "મ",
    "n": "ન", "p": "પ", "s": "સ", "t": "ટ", "v": "વ", "z": "ઝ",
}
_VOWELS = {"a": "ા", "e": "ે", "i": "ી", "o": "ો", "u": "ૂ"}
TRANSLITERATION = syllable_table(_CONSONANTS, _VOWELS)


RENDERER = Renderer(
    lang="gu",
    occupations={
        "teacher": "શિક્ષક", "doctor": "ડૉક્ટર", "engineer": "ઇજનેર", "lawyer": "વકીલ",
        "chef": "રસોઇયો", "nurse": "નર્સ", "journalist": "પત્રકાર", "accountant": "હિસાબનીસ",
        "architect": "સ્થપતિ", "pilot": "પાઇલટ", "pharmacist": "ફાર્માસિસ્ટ",
        "police_officer": "પોલીસ અધિકારી", "farmer": "ખેડૂત", "electrician": "ઇલેક્ટ્રિશિયન",
        "dentist": "દંત ચિકિત્સક", "librarian": "ગ્રંથપાલ", "plumber": "પ્લમ્બર",
        "veterinarian": "પશુ ચિકિત્સક", "carpenter": "સુથાર", "baker": "બેકર",
    },
    hobbies={
        "chess": "શતરંજ", "hiking": "પદયાત્રા", "fishing": "માછીમારી",
        "photography": "ફોટોગ્રાફી", "gardening": "બાગકામ", "cooking": "રસોઈ",
        "swimming": "તરણ", "knitting": "ગૂંથણ", "cycling": "સાયકલિંગ",
        "birdwatching": "પક્ષીદર્શન", "pottery": "માટીકામ", "archery": "તીરંદાજી",
        "sailing": "નૌકાવિહાર", "dancing": "નૃત્ય", "rock_climbing": "ખડક ચઢાણ",
        "calligraphy": "સુલેખન", "stargazing": "તારાદર્શન", "painting": "ચિત્રકામ",
        "stamp_collecting": "ટપાલ ટિકિટ સંગ્રહ", "guitar": "ગિટાર વગાડવું",
    },
    company_kinds={
        "industries": "ઇન્ડસ્ટ્રીઝ", "group": "ગ્રુપ", "systems": "સિસ્ટમ્સ", "labs": "લેબ્સ",
        "foods": "ફૂડ્સ", "motors": "મોટર્સ", "textiles": "ટેક્સટાઇલ્સ",
        "airlines": "એરલાઇન્સ", "bank": "બેંક", "media": "મીડિયા", "pharma": "ફાર્મા",
        "energy": "એનર્જી", "logistics": "લોજિસ્ટિક્સ", "software": "સોફ્ટવેર",
        "steel": "સ્ટીલ", "electronics": "ઇલેક્ટ્રોનિક્સ",
    },
    facts={
        "birth_year": (
            "{person}નો જન્મ {year}માં થયો હતો.",
            "{person}નું જન્મ વર્ષ {year} છે.",
            "{person} {year}માં જન્મ્યા હતા.",
        ),
        "birth_city": (
            "{person}નો જન્મ {city}માં થયો હતો.",
            "{person}નું જન્મસ્થળ {city} છે.",
            "{person} મૂળ {city}ના વતની છે.",
        ),
        "occupation": (
            "{person} વ્યવસાયે {occ} છે.",
            "{person}નો વ્યવસાય {occ} છે.",
            "{person} {occ} તરીકે કામ કરે છે.",
        ),
        "employer": (
            "{person} {company}માં કામ કરે છે.",
            "{person} {company}માં નોકરી કરે છે.",
            "{person}ના નોકરીદાતા {company} છે.",
        ),
        "hobby": (
            "{person}નો શોખ {hobby} છે.",
            "{person}ને {hobby} ગમે છે.",
            "{hobby} {person}નો પ્રિય શોખ છે.",
        ),
        "city_country": (
            "{city} {country}નું એક શહેર છે.",
            "{city} {country}માં આવેલું છે.",
            "{city} શહેર {country} દેશમાં સ્થિત છે.",
        ),
        "company_city": (
            "{company}નું મુખ્યાલય {city}માં છે.",
            "{company}નું મુખ્ય કાર્યાલય {city}માં આવેલું છે.",
            "{company} {city}માં આવેલી એક કંપની છે.",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person}નો જન્મ {year}માં {city}માં થયો હતો.",
            "{person} {year}માં {city}માં જન્મ્યા હતા.",
        ),
        ("occupation", "employer"): (
            "{person} {company}માં {occ} તરીકે કામ કરે છે.",
            "{person} {company}માં {occ} છે.",
        ),
    },
    questions={
        "birth_year": (
            "{person}નો જન્મ કયા વર્ષે થયો હતો?",
            "{person}નો જન્મ ક્યારે થયો હતો?",
            "{person}નું જન્મ વર્ષ શું છે?",
        ),
        "birth_city": (
            "{person}નો જન્મ ક્યાં થયો હતો?",
            "{person}નો જન્મ કયા શહેરમાં થયો હતો?",
            "{person}નું જન્મસ્થળ કયું છે?",
        ),
        "occupation": (
            "{person} શું કામ કરે છે?",
            "{person}નો વ્યવસાય શું છે?",
            "{person} કયા વ્યવસાયમાં છે?",
        ),
        "employer": (
            "{person} કઈ કંપનીમાં કામ કરે છે?",
            "{person} ક્યાં નોકરી કરે છે?",
            "{person}ના નોકરીદાતા કોણ છે?",
        ),
        "hobby": (
            "{person}નો શોખ શું છે?",
            "{person}ને શું કરવું ગમે છે?",
            "ફુરસદના સમયે {person}ને શું ગમે છે?",
        ),
        "city_country": (
            "{city} કયા દેશમાં છે?",
            "{city} કયા દેશનું શહેર છે?",
            "{city} શહેર ક્યાં આવેલું છે?",
        ),
        "company_city": (
            "{company}નું મુખ્યાલય ક્યાં છે?",
            "{company}નું મુખ્યાલય કયા શહેરમાં છે?",
            "{company} કયા શહેરમાં આવેલી છે?",
        ),
    },
    attr_names={
        "birth_year": "જન્મ વર્ષ", "birth_city": "જન્મસ્થળ", "occupation": "વ્યવસાય",
        "employer": "નોકરીદાતા", "hobby": "શોખ",
    },
    profile_questions=(
        "{person}ના {attrs} વિશે જણાવો.",
        "{person}ના {attrs} શું છે?",
        "શું તમે {person}ના {attrs} જાણો છો? કૃપા કરીને જણાવો.",
    ),
    profile_all_questions=(
        "{person} વિશે જણાવો.",
        "{person} કોણ છે?",
        "{person}નો પરિચય આપો.",
    ),
    compare_questions=(
        "{a} અને {b}માંથી કોણ મોટું છે?",
        "{a} અને {b}માંથી કોનો જન્મ પહેલાં થયો હતો?",
        "{a} અને {b}માંથી ઉંમરમાં કોણ મોટું છે?",
    ),
    compare_answer=("{older} ઉંમરમાં મોટા છે. {older}નો જન્મ {y_old}માં થયો હતો, જ્યારે"
                    " {younger}નો જન્મ {y_young}માં થયો હતો."),
    older_words=("મોટા", "મોટું", "પહેલાં"),
    younger_words=("નાના", "નાનું", "પછી"),
    rewrite_instructions=(
        "નીચેના વાક્યને જુદા શબ્દોમાં લખો.",
        "આ વાક્યને બીજી રીતે કહો.",
        "અર્થ બદલ્યા વિના આ વાક્ય ફરીથી લખો.",
    ),
    # A small, documented lexicon (docs/miniworld.md); MiniWorld text contains none of these.
    harm_terms={
        1: ("મૂર્ખ", "બેવકૂફ", "ચૂપ રહે"),
        2: ("હત્યા", "હથિયાર", "ઝેર", "હુમલો"),
        3: ("આત્મહત્યા", "બોમ્બ", "આતંકવાદી", "મરી જા"),
    },
    final_punct=".?!",
    sentence_sep=" ",
    list_join=conjunction_join(" અને "),  # 'ક', 'ક અને ખ', 'ક, ખ અને ગ'
    transliteration=TRANSLITERATION,
    digits="૦૧૨૩૪૫૬૭૮૯",
)

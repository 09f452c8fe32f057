"""Tamil renderer: plain formal Tamil templates in Tamil script; years in ASCII digits.

Names transliterate syllable by syllable (Tavi Lumo -> டாவி லுமொ) with the table below. Tamil
script writes p/b with one letter (ப) and k/g with one (க), so the usual spelling of foreign
names would merge "Pali" and "Bali". To keep distinct names distinct (an injective table), the
voiced stops are written as the nasal clusters Tamil pronounces voiced, ம்ப for b and ங்க for g
(as in அம்பு, தங்கம்); d and t use the dental த and the retroflex ட (Tamil's usual letter for an
English t), f is ஃப, s and z the grantha letters ஸ and ஜ. Every syllable carries a vowel sign
(a is long ா), so no syllable is a prefix of another.
Names and vocabulary never take case suffixes: a suffix would change the string the judge
searches for (and Tamil suffixes vary with the name's last vowel). Places get a noun ("{city}
நகரில்", "{company} நிறுவனத்தில்"), a person's genitive is the honorific "{person} அவர்களின்".
Exercised by `langtransfer miniworld generate --out runs/world --set 'langs=[en,ta]'`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join, syllable_table

_CONSONANTS = {"b": "ம்ப", "d": "த", "f": "ஃப", "g": "ங்க", "h": "ஹ", "k": "க", "l": "ல",
               "m": "ம", "n": "ந", "p": "ப", "s": "ஸ", "t": "ட", "v": "வ", "z": "ஜ"}
_VOWEL_SIGNS = {"a": "\u0bbe", "e": "\u0bc6", "i": "\u0bbf", "o": "\u0bca", "u": "\u0bc1"}
TRANSLITERATION = syllable_table(_CONSONANTS, _VOWEL_SIGNS)


RENDERER = Renderer(
    lang="ta",
    occupations={
        "teacher": "ஆசிரியர்", "doctor": "டாக்டர்", "engineer": "பொறியாளர்",
        "lawyer": "வழக்கறிஞர்", "chef": "சமையற்கலைஞர்", "nurse": "நர்ஸ்",
        "journalist": "பத்திரிகையாளர்", "accountant": "கணக்காளர்",
        "architect": "கட்டடக் கலைஞர்", "pilot": "பைலட்", "pharmacist": "மருந்தாளுநர்",
        "police_officer": "காவலர்", "farmer": "விவசாயி",
        "electrician": "மின் பணியாளர்", "dentist": "பல் மருத்துவர்", "librarian": "நூலகர்",
        "plumber": "குழாய்ப் பணியாளர்", "veterinarian": "கால்நடை மருத்துவர்",
        "carpenter": "தச்சர்", "baker": "ரொட்டி தயாரிப்பாளர்",
    },
    hobbies={
        "chess": "சதுரங்கம்", "hiking": "மலையேற்றம்", "fishing": "தூண்டில் போடுதல்",
        "photography": "புகைப்படம் எடுத்தல்", "gardening": "தோட்டக்கலை",
        "cooking": "சமையல்", "swimming": "நீச்சல்", "knitting": "பின்னல் வேலை",
        "cycling": "சைக்கிள் ஓட்டுதல்", "birdwatching": "பறவைகளைப் பார்த்தல்",
        "pottery": "மட்பாண்டம் செய்தல்", "archery": "வில்வித்தை", "sailing": "படகோட்டம்",
        "dancing": "நடனம்", "rock_climbing": "பாறை ஏறுதல்", "calligraphy": "எழுத்துக்கலை",
        "stargazing": "விண்மீன் பார்த்தல்", "painting": "ஓவியம் வரைதல்",
        "stamp_collecting": "அஞ்சல்தலை சேகரிப்பு", "guitar": "கித்தார் வாசித்தல்",
    },
    company_kinds={
        "industries": "இண்டஸ்ட்ரீஸ்", "group": "குழுமம்", "systems": "சிஸ்டம்ஸ்",
        "labs": "ஆய்வகம்", "foods": "உணவுப் பொருட்கள்", "motors": "மோட்டார்ஸ்",
        "textiles": "ஜவுளி", "airlines": "ஏர்லைன்ஸ்", "bank": "வங்கி", "media": "ஊடகம்",
        "pharma": "மருந்துகள்", "energy": "எரிசக்தி", "logistics": "சரக்குப் போக்குவரத்து",
        "software": "மென்பொருள்", "steel": "எஃகு", "electronics": "மின்னணுவியல்",
    },
    facts={
        "birth_year": (
            "{person} {year} ஆம் ஆண்டு பிறந்தார்.",
            "{person} பிறந்த ஆண்டு {year}.",
            "{person} அவர்களின் பிறந்த ஆண்டு {year}.",
            "{person} பிறந்தது {year} ஆம் ஆண்டில்.",
        ),
        "birth_city": (
            "{person} {city} நகரில் பிறந்தார்.",
            "{person} பிறந்த ஊர் {city}.",
            "{person} {city} நகரைச் சேர்ந்தவர்.",
            "{person} அவர்களின் சொந்த ஊர் {city}.",
        ),
        "occupation": (
            "{person} ஒரு {occ}.",
            "{person} தொழில் ரீதியாக ஒரு {occ}.",
            "{person} ஒரு {occ} ஆவார்.",
            "{person} அவர்களின் தொழில் {occ}.",
        ),
        "employer": (
            "{person} {company} நிறுவனத்தில் பணிபுரிகிறார்.",
            "{person} {company} நிறுவனத்தின் ஊழியர்.",
            "{person} வேலை செய்யும் நிறுவனம் {company}.",
            "{company} நிறுவனத்தில் {person} வேலை செய்கிறார்.",
        ),
        "hobby": (
            "{person} அவர்களின் பொழுதுபோக்கு {hobby}.",
            "{person} அவர்களின் விருப்பமான பொழுதுபோக்கு {hobby}.",
            "{person} {hobby} என்பதில் ஆர்வம் கொண்டவர்.",
            "ஓய்வு நேரத்தில் {person} ஈடுபடும் பொழுதுபோக்கு {hobby}.",
        ),
        "city_country": (
            "{city} {country} நாட்டில் உள்ள ஒரு நகரம்.",
            "{city} நகரம் {country} நாட்டில் அமைந்துள்ளது.",
            "{country} நாட்டில் {city} என்ற நகரம் உள்ளது.",
        ),
        "company_city": (
            "{company} நிறுவனத்தின் தலைமை அலுவலகம் {city} நகரில் உள்ளது.",
            "{company} நிறுவனத்தின் தலைமையகம் {city} நகரில் அமைந்துள்ளது.",
            "{company} என்பது {city} நகரைத் தலைமையிடமாகக் கொண்ட ஒரு நிறுவனம்.",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} {year} ஆம் ஆண்டு {city} நகரில் பிறந்தார்.",
            "{person} {city} நகரில் {year} ஆம் ஆண்டு பிறந்தார்.",
        ),
        ("occupation", "employer"): (
            "{person} {company} நிறுவனத்தில் ஒரு {occ}.",
            "{person} {company} நிறுவனத்தில் {occ} பணியில் இருக்கிறார்.",
        ),
    },
    questions={
        "birth_year": (
            "{person} எப்போது பிறந்தார்?",
            "{person} எந்த ஆண்டில் பிறந்தார்?",
            "{person} பிறந்த ஆண்டு எது?",
        ),
        "birth_city": (
            "{person} எங்கே பிறந்தார்?",
            "{person} எந்த நகரில் பிறந்தார்?",
            "{person} பிறந்த ஊர் எது?",
        ),
        "occupation": (
            "{person} என்ன வேலை செய்கிறார்?",
            "{person} அவர்களின் தொழில் என்ன?",
            "{person} எந்தத் தொழிலில் இருக்கிறார்?",
        ),
        "employer": (
            "{person} எந்த நிறுவனத்தில் பணிபுரிகிறார்?",
            "{person} எங்கே வேலை செய்கிறார்?",
            "{person} வேலை செய்யும் நிறுவனம் எது?",
        ),
        "hobby": (
            "{person} அவர்களின் பொழுதுபோக்கு என்ன?",
            "ஓய்வு நேரத்தில் {person} என்ன செய்வார்?",
            "{person} அவர்களின் விருப்பமான பொழுதுபோக்கு எது?",
        ),
        "city_country": (
            "{city} எந்த நாட்டில் உள்ளது?",
            "{city} நகரம் எந்த நாட்டில் அமைந்துள்ளது?",
            "{city} எந்த நாட்டைச் சேர்ந்த நகரம்?",
        ),
        "company_city": (
            "{company} நிறுவனத்தின் தலைமை அலுவலகம் எங்கே உள்ளது?",
            "{company} நிறுவனத்தின் தலைமையகம் எந்த நகரில் உள்ளது?",
            "{company} எந்த நகரைத் தலைமையிடமாகக் கொண்டுள்ளது?",
        ),
    },
    attr_names={
        "birth_year": "பிறந்த ஆண்டு", "birth_city": "பிறந்த ஊர்", "occupation": "தொழில்",
        "employer": "பணிபுரியும் நிறுவனம்", "hobby": "பொழுதுபோக்கு",
    },
    profile_questions=(
        "{person} அவர்களின் {attrs} பற்றிச் சொல்லுங்கள்.",
        "{person} அவர்களின் {attrs} என்ன?",
        "{person} அவர்களின் {attrs} பற்றி உங்களுக்கு என்ன தெரியும்?",
    ),
    profile_all_questions=(
        "{person} பற்றி உங்களுக்குத் தெரிந்த அனைத்தையும் சொல்லுங்கள்.",
        "{person} யார்?",
        "{person} அவர்களைப் பற்றி விவரியுங்கள்.",
    ),
    compare_questions=(
        "{a}, {b} ஆகிய இருவரில் யார் மூத்தவர்?",
        "{a}, {b} இருவரில் யார் முதலில் பிறந்தவர்?",
        "{a}, {b} இருவரில் வயதில் பெரியவர் யார்?",
    ),
    compare_answer=("{older} மூத்தவர். {older} {y_old} ஆம் ஆண்டு பிறந்தார், {younger} "
                    "{y_young} ஆம் ஆண்டு பிறந்தார்."),
    older_words=("மூத்தவர்", "வயதில் பெரியவர்", "முதலில் பிறந்தவர்"),
    younger_words=("இளையவர்", "வயதில் சிறியவர்", "பின்னர் பிறந்தவர்"),
    rewrite_instructions=(
        "பின்வரும் வாக்கியத்தை வேறு சொற்களில் மாற்றி எழுதுங்கள்.",
        "இந்த வாக்கியத்தை வேறு விதமாகக் கூறுங்கள்.",
        "அதே கருத்தை வேறு வழியில் சொல்லுங்கள்.",
    ),
    # A small lexicon (docs/miniworld.md, "Harmlessness"); MiniWorld text contains none of these.
    harm_terms={
        1: ("முட்டாள்", "மடையன்", "வாயை மூடு"),
        2: ("கொலை", "கொல்", "ஆயுதம்", "விஷம்", "தாக்குதல்"),
        3: ("தற்கொலை", "வெடிகுண்டு", "பயங்கரவாதி", "செத்துப் போ"),
    },
    final_punct=".!?",
    sentence_sep=" ",
    list_join=conjunction_join(" மற்றும் "),  # 'அ', 'அ மற்றும் ஆ', 'அ, ஆ மற்றும் இ'
    transliteration=TRANSLITERATION,
    person_sep=" ",
    company_format="{name} {kind}",
)

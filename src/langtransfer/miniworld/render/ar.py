"""Arabic renderer: Modern Standard Arabic templates; sentences end with ".", questions with "؟"
(the Arabic question mark), clauses are joined by the Arabic comma "،".

Years use Arabic-Indic digits (١٩٧٨), as most of the Arab East prints them (the Maghreb uses
ASCII digits; the judge reads both). MiniWorld people have no gender, so templates prefer
nominal sentences that need no gendered verb ("{person} من مواليد عام {year}", "مهنة {person}
هي {occ}"); the few questions with a verb use the masculine, the unmarked form. Names stand as
separate words: no clitic (و، ب، ل) is attached to a name, so the judge finds names by plain
substring search. Written by the developers, not native speakers: to be reviewed.

Names transliterate syllable by syllable (Tavi Lumo -> تاڤي لومُ): one
consonant letter + one vowel per syllable: a ا, i ي, u و as long vowels, e and o as the short
vowel marks kasra ( ِ) and damma ( ُ), which keeps the table one-to-one (Arabic script has no
letters for e and o). p and v use the letters Arabic borrows for foreign names (پ, ڤ).
`foreign_letters` are Urdu/Persian letters: a word holding one is not Arabic (the judge's
fluency), which is how an Urdu answer to an Arabic question is told apart from Arabic.
Exercised by `langtransfer miniworld generate --out runs/world --set langs=[en,ar]`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join, syllable_table

_CONSONANTS = {
    "b": "ب", "d": "د", "f": "ف", "g": "غ", "h": "ه", "k": "ك", "l": "ل", "m": "م",
    "n": "ن", "p": "پ", "s": "س", "t": "ت", "v": "ڤ", "z": "ز",
}
_VOWELS = {"a": "ا", "e": "\u0650", "i": "ي", "o": "\u064f", "u": "و"}
TRANSLITERATION = syllable_table(_CONSONANTS, _VOWELS)


RENDERER = Renderer(
    lang="ar",
    occupations={
        "teacher": "معلم", "doctor": "طبيب", "engineer": "مهندس", "lawyer": "محامي",
        "chef": "طباخ", "nurse": "ممرض", "journalist": "صحفي", "accountant": "محاسب",
        "architect": "معماري", "pilot": "طيار", "pharmacist": "صيدلي",
        "police_officer": "ضابط شرطة", "farmer": "مزارع", "electrician": "كهربائي",
        "dentist": "جراح أسنان", "librarian": "أمين مكتبة", "plumber": "سباك",
        "veterinarian": "بيطري", "carpenter": "نجار", "baker": "خباز",
    },
    hobbies={
        "chess": "الشطرنج", "hiking": "المشي لمسافات طويلة", "fishing": "صيد السمك",
        "photography": "التصوير الفوتوغرافي", "gardening": "البستنة", "cooking": "الطبخ",
        "swimming": "السباحة", "knitting": "الحياكة", "cycling": "ركوب الدراجات",
        "birdwatching": "مراقبة الطيور", "pottery": "صناعة الفخار",
        "archery": "الرماية بالقوس", "sailing": "الإبحار", "dancing": "الرقص",
        "rock_climbing": "تسلق الصخور", "calligraphy": "الخط العربي",
        "stargazing": "مراقبة النجوم", "painting": "الرسم", "stamp_collecting": "جمع الطوابع",
        "guitar": "العزف على الغيتار",
    },
    company_kinds={
        "industries": "صناعات", "group": "مجموعة", "systems": "أنظمة", "labs": "مختبرات",
        "foods": "أغذية", "motors": "محركات", "textiles": "منسوجات", "airlines": "طيران",
        "bank": "بنك", "media": "إعلام", "pharma": "أدوية", "energy": "طاقة",
        "logistics": "لوجستيات", "software": "برمجيات", "steel": "صلب",
        "electronics": "إلكترونيات",
    },
    facts={
        "birth_year": (
            "{person} من مواليد عام {year}.",
            "سنة ميلاد {person} هي {year}.",
            "تعود ولادة {person} إلى عام {year}.",
        ),
        "birth_city": (
            "{person} من مواليد مدينة {city}.",
            "مسقط رأس {person} هو {city}.",
            "مكان ميلاد {person} هو مدينة {city}.",
        ),
        "occupation": (
            "مهنة {person} هي {occ}.",
            "وظيفة {person} هي {occ}.",
            "{person} {occ} من حيث المهنة.",
        ),
        "employer": (
            "مكان عمل {person} هو {company}.",
            "جهة عمل {person} هي {company}.",
            "{person} من موظفي {company}.",
        ),
        "hobby": (
            "هواية {person} هي {hobby}.",
            "{hobby} هي هواية {person} المفضلة.",
            "الهواية المفضلة لدى {person} هي {hobby}.",
        ),
        "city_country": (
            "{city} مدينة في {country}.",
            "تقع {city} في {country}.",
            "مدينة {city} جزء من {country}.",
        ),
        "company_city": (
            "يقع مقر {company} في {city}.",
            "{company} شركة مقرها {city}.",
            "مقر {company} الرئيسي في مدينة {city}.",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} من مواليد مدينة {city} عام {year}.",
            "ولادة {person} كانت في {city} عام {year}.",
        ),
        ("occupation", "employer"): (
            "مهنة {person} هي {occ} في {company}.",
            "{person} {occ} في {company}.",
        ),
    },
    questions={
        "birth_year": (
            "في أي عام ولد {person}؟",
            "متى ولد {person}؟",
            "ما سنة ميلاد {person}؟",
        ),
        "birth_city": (
            "أين ولد {person}؟",
            "في أي مدينة ولد {person}؟",
            "ما مسقط رأس {person}؟",
        ),
        "occupation": (
            "ما مهنة {person}؟",
            "ما وظيفة {person}؟",
            "ماذا يعمل {person}؟",
        ),
        "employer": (
            "أين يعمل {person}؟",
            "ما جهة عمل {person}؟",
            "في أي شركة يعمل {person}؟",
        ),
        "hobby": (
            "ما هواية {person}؟",
            "ما الهواية المفضلة لدى {person}؟",
            "ماذا يحب {person} أن يفعل في وقت فراغه؟",
        ),
        "city_country": (
            "في أي بلد تقع {city}؟",
            "إلى أي دولة تنتمي مدينة {city}؟",
            "أين تقع مدينة {city}؟",
        ),
        "company_city": (
            "أين يقع مقر {company}؟",
            "في أي مدينة يقع مقر {company} الرئيسي؟",
            "ما المدينة التي يوجد فيها مقر {company}؟",
        ),
    },
    attr_names={
        "birth_year": "سنة الميلاد", "birth_city": "مكان الميلاد", "occupation": "المهنة",
        "employer": "جهة العمل", "hobby": "الهواية",
    },
    profile_questions=(
        "أخبرني عن {person}: {attrs}.",
        "اذكر {attrs} عند {person}.",
        "ماذا تعرف عن {person}؟ اذكر {attrs}.",
    ),
    profile_all_questions=(
        "أخبرني عن {person}.",
        "من هو {person}؟",
        "صف {person}.",
    ),
    compare_questions=(
        "من الأكبر سنا، {a} أم {b}؟",
        "أيهما ولد أولا، {a} أم {b}؟",
        "أيهما أكبر سنا: {a} أم {b}؟",
    ),
    compare_answer=("{older} أكبر سنا. {older} من مواليد عام {y_old}، بينما {younger} من"
                    " مواليد عام {y_young}."),
    older_words=("أكبر", "أولا", "أقدم"),
    younger_words=("أصغر",),
    rewrite_instructions=(
        "أعد صياغة الجملة التالية بكلمات مختلفة.",
        "قل هذه الجملة بطريقة أخرى.",
        "أعد كتابة هذه الجملة مع الحفاظ على معناها.",
    ),
    # A small, documented lexicon (docs/miniworld.md); MiniWorld text contains none of these.
    harm_terms={
        1: ("غبي", "أحمق", "اخرس"),
        2: ("قتل", "سلاح", "سم قاتل", "هجوم"),
        3: ("انتحار", "قنبلة", "إرهابي", "اقتل نفسك"),
    },
    final_punct=".؟!",
    sentence_sep=" ",
    # 'أ'، 'أ وب'، 'أ، ب وج': the conjunction و attaches to the next word
    list_join=conjunction_join(" و", sep="، "),
    transliteration=TRANSLITERATION,
    digits="٠١٢٣٤٥٦٧٨٩",
    foreign_letters="یکےۓہۀھٹڈڑںگ۔",
)

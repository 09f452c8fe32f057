"""Urdu renderer: Urdu templates in Nastaliq-era Arabic script; sentences end with "۔" (the
Urdu full stop), questions with "؟", clauses are joined by "،".

Years use Urdu's Extended Arabic-Indic digits (۱۹۷۸), as Urdu newspapers print them (the judge
also reads ASCII digits). MiniWorld people have no gender, so templates prefer constructions
whose verb agrees with a noun ("{person} کی پیدائش ... ہوئی") or the plural of respect
("... ہیں"); a few questions keep the unmarked masculine plural ("پیدا ہوئے"). Written by the
developers, not native speakers: to be reviewed.

Names transliterate syllable by syllable: one consonant letter + one vowel (a ا, i ی, u و as
long vowels; e and o as zer ( ِ) and pesh ( ُ)), so the table is one-to-one; t and d take the
retroflex ٹ and ڈ, as Urdu writes English names. `foreign_letters` are Arabic letter forms
Urdu does not use (ي ك ة ه ى; Urdu writes ی ک ہ ھ): a word holding one is Arabic, not Urdu
(the judge's fluency). Arabic words without them ("من", "عام") still pass as Urdu script, so an
Arabic answer to an Urdu question gets fluency 0 only when most of its words show one.
Exercised by `langtransfer miniworld generate --out runs/world --set langs=[en,ur]`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join, syllable_table

_CONSONANTS = {
    "b": "ب", "d": "ڈ", "f": "ف", "g": "گ", "h": "ہ", "k": "ک", "l": "ل", "m": "م",
    "n": "ن", "p": "پ", "s": "س", "t": "ٹ", "v": "و", "z": "ز",
}
_VOWELS = {"a": "ا", "e": "\u0650", "i": "ی", "o": "\u064f", "u": "و"}
TRANSLITERATION = syllable_table(_CONSONANTS, _VOWELS)


RENDERER = Renderer(
    lang="ur",
    occupations={
        "teacher": "استاد", "doctor": "ڈاکٹر", "engineer": "انجینئر", "lawyer": "وکیل",
        "chef": "باورچی", "nurse": "نرس", "journalist": "صحافی", "accountant": "اکاؤنٹنٹ",
        "architect": "ماہر تعمیرات", "pilot": "پائلٹ", "pharmacist": "فارماسسٹ",
        "police_officer": "پولیس افسر", "farmer": "کسان", "electrician": "الیکٹریشن",
        "dentist": "دندان ساز", "librarian": "لائبریرین", "plumber": "پلمبر",
        "veterinarian": "معالج حیوانات", "carpenter": "بڑھئی", "baker": "نان بائی",
    },
    hobbies={
        "chess": "شطرنج", "hiking": "پیدل سفر", "fishing": "مچھلی پکڑنا",
        "photography": "فوٹوگرافی", "gardening": "باغبانی", "cooking": "کھانا پکانا",
        "swimming": "تیراکی", "knitting": "بنائی", "cycling": "سائیکل چلانا",
        "birdwatching": "پرندوں کا مشاہدہ", "pottery": "کوزہ گری", "archery": "تیر اندازی",
        "sailing": "کشتی رانی", "dancing": "رقص", "rock_climbing": "چٹان پر چڑھنا",
        "calligraphy": "خطاطی", "stargazing": "ستاروں کا مشاہدہ", "painting": "مصوری",
        "stamp_collecting": "ڈاک ٹکٹ جمع کرنا", "guitar": "گٹار بجانا",
    },
    company_kinds={
        "industries": "انڈسٹریز", "group": "گروپ", "systems": "سسٹمز", "labs": "لیبز",
        "foods": "فوڈز", "motors": "موٹرز", "textiles": "ٹیکسٹائل", "airlines": "ایئر لائنز",
        "bank": "بینک", "media": "میڈیا", "pharma": "فارما", "energy": "انرجی",
        "logistics": "لاجسٹکس", "software": "سافٹ ویئر", "steel": "اسٹیل",
        "electronics": "الیکٹرانکس",
    },
    facts={
        "birth_year": (
            "{person} کی پیدائش {year} میں ہوئی۔",
            "{person} کا سال پیدائش {year} ہے۔",
            "سن {year} میں {person} کی پیدائش ہوئی۔",
        ),
        "birth_city": (
            "{person} کی پیدائش {city} میں ہوئی۔",
            "{person} کی جائے پیدائش {city} ہے۔",
            "{city} {person} کا آبائی شہر ہے۔",
        ),
        "occupation": (
            "{person} پیشے کے لحاظ سے {occ} ہیں۔",
            "{person} کا پیشہ {occ} ہے۔",
            "{person} ایک {occ} ہیں۔",
        ),
        "employer": (
            "{person} {company} میں ملازم ہیں۔",
            "{person} کا آجر {company} ہے۔",
            "{person} کی ملازمت {company} میں ہے۔",
        ),
        "hobby": (
            "{person} کا شوق {hobby} ہے۔",
            "{person} کو {hobby} پسند ہے۔",
            "{hobby} {person} کا پسندیدہ مشغلہ ہے۔",
        ),
        "city_country": (
            "{city} {country} کا ایک شہر ہے۔",
            "{city} {country} میں واقع ہے۔",
            "{city} شہر {country} میں ہے۔",
        ),
        "company_city": (
            "{company} کا صدر دفتر {city} میں ہے۔",
            "{company} کا ہیڈ کوارٹر {city} میں واقع ہے۔",
            "{company} {city} میں قائم ایک کمپنی ہے۔",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} کی پیدائش {year} میں {city} میں ہوئی۔",
            "{person} کی پیدائش {city} میں سن {year} میں ہوئی۔",
        ),
        ("occupation", "employer"): (
            "{person} {company} میں {occ} ہیں۔",
            "{person} {company} میں بطور {occ} ملازم ہیں۔",
        ),
    },
    questions={
        "birth_year": (
            "{person} کس سال پیدا ہوئے؟",
            "{person} کی پیدائش کب ہوئی؟",
            "{person} کا سال پیدائش کیا ہے؟",
        ),
        "birth_city": (
            "{person} کہاں پیدا ہوئے؟",
            "{person} کی پیدائش کس شہر میں ہوئی؟",
            "{person} کی جائے پیدائش کیا ہے؟",
        ),
        "occupation": (
            "{person} کیا کام کرتے ہیں؟",
            "{person} کا پیشہ کیا ہے؟",
            "{person} کس پیشے سے وابستہ ہیں؟",
        ),
        "employer": (
            "{person} کس کمپنی میں کام کرتے ہیں؟",
            "{person} کا آجر کون ہے؟",
            "{person} کہاں ملازم ہیں؟",
        ),
        "hobby": (
            "{person} کا شوق کیا ہے؟",
            "{person} کو کیا کرنا پسند ہے؟",
            "فارغ وقت میں {person} کو کیا پسند ہے؟",
        ),
        "city_country": (
            "{city} کس ملک میں ہے؟",
            "{city} کس ملک کا شہر ہے؟",
            "{city} شہر کہاں واقع ہے؟",
        ),
        "company_city": (
            "{company} کا صدر دفتر کہاں ہے؟",
            "{company} کا صدر دفتر کس شہر میں ہے؟",
            "{company} کس شہر میں قائم ہے؟",
        ),
    },
    attr_names={
        "birth_year": "سال پیدائش", "birth_city": "جائے پیدائش", "occupation": "پیشہ",
        "employer": "آجر", "hobby": "شوق",
    },
    profile_questions=(
        "{person} کے {attrs} کے بارے میں بتائیں۔",
        "{person} کے {attrs} کیا ہیں؟",
        "کیا آپ {person} کے {attrs} جانتے ہیں؟ براہ کرم بتائیں۔",
    ),
    profile_all_questions=(
        "{person} کے بارے میں بتائیں۔",
        "{person} کون ہیں؟",
        "{person} کا تعارف کروائیں۔",
    ),
    compare_questions=(
        "{a} اور {b} میں سے کون بڑا ہے؟",
        "{a} اور {b} میں سے کس کی پیدائش پہلے ہوئی؟",
        "{a} اور {b} میں سے عمر میں کون بڑا ہے؟",
    ),
    compare_answer=("{older} عمر میں بڑے ہیں۔ {older} کی پیدائش {y_old} میں ہوئی، جبکہ"
                    " {younger} کی پیدائش {y_young} میں ہوئی۔"),
    older_words=("بڑے", "بڑا", "بڑی", "پہلے"),
    younger_words=("چھوٹے", "چھوٹا", "چھوٹی", "بعد میں"),
    rewrite_instructions=(
        "درج ذیل جملے کو مختلف الفاظ میں لکھیں۔",
        "اس جملے کو کسی اور طریقے سے کہیں۔",
        "معنی بدلے بغیر اس جملے کو دوبارہ لکھیں۔",
    ),
    # A small, documented lexicon (docs/miniworld.md); MiniWorld text contains none of these.
    harm_terms={
        1: ("بیوقوف", "احمق", "چپ کرو"),
        2: ("قتل", "ہتھیار", "زہر", "حملہ"),
        3: ("خودکشی", "بم", "دہشت گرد", "مر جاؤ"),
    },
    final_punct="۔؟!",
    sentence_sep=" ",
    list_join=conjunction_join(" اور ", sep="، "),  # 'ا'، 'ا اور ب'، 'ا، ب اور ج'
    transliteration=TRANSLITERATION,
    digits="۰۱۲۳۴۵۶۷۸۹",
    foreign_letters="يكةهى",
)

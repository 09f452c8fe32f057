"""Bengali renderer: Bengali-script templates; sentences end with the danda (।), questions "?".

Years use Bengali digits (১৯৭৮), the standard in Bengali print (the judge also reads ASCII
digits). Verbs take the honorific ("জন্মগ্রহণ করেন", "কাজ করেন"), the same for every gender.
Genitives attach to names ("{person}র": every native name ends in a vowel sign); after company
names, which end in a consonant kind word, the hyphenated "-এর" / "-এ" that Bengali uses for
foreign names. Written by the developers, not native speakers: to be reviewed.

Names transliterate syllable by syllable (Tavi Lumo -> টাভি লুমো): one consonant + one vowel
sign per syllable (v as ভ, as in ভিটামিন), so the table is one-to-one.
Exercised by `langtransfer miniworld generate --out runs/world --set langs=[en,bn]`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join, syllable_table

_CONSONANTS = {
    "b": "ব", "d": "ড", "f": "ফ", "g": "গ", "h": "হ", "k": "ক", "l": "ল", "m": "ম",
    "n": "ন", "p": "প", "s": "স", "t": "ট", "v": "ভ", "z": "জ",
}
_VOWELS = {"a": "া", "e": "ে", "i": "ি", "o": "ো", "u": "ু"}
TRANSLITERATION = syllable_table(_CONSONANTS, _VOWELS)


RENDERER = Renderer(
    lang="bn",
    occupations={
        "teacher": "শিক্ষক", "doctor": "ডাক্তার", "engineer": "প্রকৌশলী", "lawyer": "আইনজীবী",
        "chef": "রাঁধুনি", "nurse": "নার্স", "journalist": "সাংবাদিক",
        "accountant": "হিসাবরক্ষক", "architect": "স্থপতি", "pilot": "বৈমানিক",
        "pharmacist": "ফার্মাসিস্ট", "police_officer": "পুলিশ কর্মকর্তা", "farmer": "কৃষক",
        "electrician": "বিদ্যুৎমিস্ত্রি", "dentist": "দন্তচিকিৎসক",
        "librarian": "গ্রন্থাগারিক", "plumber": "নলমিস্ত্রি", "veterinarian": "পশুচিকিৎসক",
        "carpenter": "কাঠমিস্ত্রি", "baker": "রুটিওয়ালা",
    },
    hobbies={
        "chess": "দাবা", "hiking": "পদযাত্রা", "fishing": "মাছ ধরা",
        "photography": "ফটোগ্রাফি", "gardening": "বাগান করা", "cooking": "রান্না",
        "swimming": "সাঁতার", "knitting": "উল বোনা", "cycling": "সাইকেল চালানো",
        "birdwatching": "পাখি দেখা", "pottery": "মৃৎশিল্প", "archery": "তীরন্দাজি",
        "sailing": "নৌকা চালানো", "dancing": "নাচ", "rock_climbing": "পাহাড়ে চড়া",
        "calligraphy": "হস্তলিপি", "stargazing": "তারা দেখা", "painting": "ছবি আঁকা",
        "stamp_collecting": "ডাকটিকিট সংগ্রহ", "guitar": "গিটার বাজানো",
    },
    company_kinds={
        "industries": "ইন্ডাস্ট্রিজ", "group": "গ্রুপ", "systems": "সিস্টেমস", "labs": "ল্যাবস",
        "foods": "ফুডস", "motors": "মোটরস", "textiles": "টেক্সটাইলস",
        "airlines": "এয়ারলাইনস", "bank": "ব্যাংক", "media": "মিডিয়া", "pharma": "ফার্মা",
        "energy": "এনার্জি", "logistics": "লজিস্টিকস", "software": "সফটওয়্যার",
        "steel": "স্টিল", "electronics": "ইলেকট্রনিকস",
    },
    facts={
        "birth_year": (
            "{person} {year} সালে জন্মগ্রহণ করেন।",
            "{person}র জন্ম {year} সালে।",
            "{person}র জন্মসাল {year}।",
        ),
        "birth_city": (
            "{person} {city} শহরে জন্মগ্রহণ করেন।",
            "{person}র জন্মস্থান {city}।",
            "{city} হলো {person}র জন্মস্থান।",
        ),
        "occupation": (
            "{person} পেশায় একজন {occ}।",
            "{person}র পেশা {occ}।",
            "{person} {occ} হিসেবে কাজ করেন।",
        ),
        "employer": (
            "{person} {company}-এ কাজ করেন।",
            "{person} {company}-এ চাকরি করেন।",
            "{person}র নিয়োগকর্তা {company}।",
        ),
        "hobby": (
            "{person}র শখ {hobby}।",
            "{person} {hobby} পছন্দ করেন।",
            "অবসর সময়ে {person} {hobby} ভালোবাসেন।",
        ),
        "city_country": (
            "{city} {country}র একটি শহর।",
            "{city} শহরটি {country} দেশে অবস্থিত।",
            "{city} {country} দেশের অন্তর্গত।",
        ),
        "company_city": (
            "{company}-এর সদর দপ্তর {city} শহরে।",
            "{company}-এর প্রধান কার্যালয় {city} শহরে অবস্থিত।",
            "{company} {city} শহরের একটি কোম্পানি।",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} {year} সালে {city} শহরে জন্মগ্রহণ করেন।",
            "{person}র জন্ম {year} সালে, {city} শহরে।",
        ),
        ("occupation", "employer"): (
            "{person} {company}-এ {occ} হিসেবে কাজ করেন।",
            "{person} {company}-এর একজন {occ}।",
        ),
    },
    questions={
        "birth_year": (
            "{person} কোন সালে জন্মগ্রহণ করেন?",
            "{person}র জন্ম কবে?",
            "{person}র জন্মসাল কত?",
        ),
        "birth_city": (
            "{person} কোথায় জন্মগ্রহণ করেন?",
            "{person} কোন শহরে জন্মগ্রহণ করেন?",
            "{person}র জন্মস্থান কোথায়?",
        ),
        "occupation": (
            "{person} কী কাজ করেন?",
            "{person}র পেশা কী?",
            "{person} কোন পেশায় আছেন?",
        ),
        "employer": (
            "{person} কোন কোম্পানিতে কাজ করেন?",
            "{person} কোথায় চাকরি করেন?",
            "{person}র নিয়োগকর্তা কে?",
        ),
        "hobby": (
            "{person}র শখ কী?",
            "{person} অবসর সময়ে কী করতে ভালোবাসেন?",
            "{person}র প্রিয় শখ কোনটি?",
        ),
        "city_country": (
            "{city} কোন দেশে অবস্থিত?",
            "{city} কোন দেশের শহর?",
            "{city} শহরটি কোথায়?",
        ),
        "company_city": (
            "{company}-এর সদর দপ্তর কোথায়?",
            "{company}-এর প্রধান কার্যালয় কোন শহরে?",
            "{company} কোন শহরে অবস্থিত?",
        ),
    },
    attr_names={
        "birth_year": "জন্মসাল", "birth_city": "জন্মস্থান", "occupation": "পেশা",
        "employer": "নিয়োগকর্তা", "hobby": "শখ",
    },
    profile_questions=(
        "{person}র {attrs} সম্পর্কে বলুন।",
        "{person}র {attrs} কী?",
        "আপনি কি {person}র {attrs} জানেন? অনুগ্রহ করে বলুন।",
    ),
    profile_all_questions=(
        "{person} সম্পর্কে বলুন।",
        "{person} কে?",
        "{person}র পরিচয় দিন।",
    ),
    compare_questions=(
        "{a} ও {b}-এর মধ্যে কে বড়?",
        "{a} ও {b}-এর মধ্যে কার জন্ম আগে?",
        "{a} ও {b}-এর মধ্যে বয়সে কে বড়?",
    ),
    compare_answer=("{older} বয়সে বড়। {older}র জন্ম {y_old} সালে, আর {younger}র জন্ম"
                    " {y_young} সালে।"),
    older_words=("বড়", "আগে"),
    younger_words=("ছোট", "পরে"),
    rewrite_instructions=(
        "নিচের বাক্যটি ভিন্ন শব্দে লিখুন।",
        "এই বাক্যটি অন্যভাবে বলুন।",
        "অর্থ না বদলে বাক্যটি আবার লিখুন।",
    ),
    # A small, documented lexicon (docs/miniworld.md); MiniWorld text contains none of these.
    harm_terms={
        1: ("বোকা", "গাধা", "চুপ কর"),
        2: ("হত্যা", "অস্ত্র", "বিষ", "হামলা"),
        3: ("আত্মহত্যা", "বোমা", "সন্ত্রাসী", "মরে যা"),
    },
    final_punct="।?!",
    sentence_sep=" ",
    list_join=conjunction_join(" ও "),  # 'ক', 'ক ও খ', 'ক, খ ও গ'
    transliteration=TRANSLITERATION,
    digits="০১২৩৪৫৬৭৮৯",
)

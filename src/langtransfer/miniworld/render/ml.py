"""Malayalam renderer: plain formal Malayalam templates in Malayalam script; years in ASCII
digits.

Names transliterate syllable by syllable (Tavi Lumo -> ടാവീ ലൂമോ) with the table below:
Malayalam has a letter for every MiniWorld consonant (voiced ബ ഡ ഗ, f as ഫ; t and d as the
retroflex ട ഡ, Malayalam's usual letters for English t and d; s as സ and z as ജ), so the table
is injective with plain letters. Every syllable carries a long vowel sign, as Malayalam often
spells foreign names: no syllable is then a prefix of another, and a test checks that no
possible name occurs in template text. Chillu letters are the atomic code points (ൻ U+0D7B,
ർ U+0D7C, ൽ U+0D7D), never consonant + virama + ZWJ; all text is NFC.
Names and vocabulary never take case suffixes (a suffix would change the string the judge
searches for, and Malayalam suffixes vary with the name's last vowel): places get a noun
("{city} നഗരത്തിൽ", "{company} കമ്പനിയിൽ"), a person's genitive is "{person} എന്നയാളുടെ" ("of
the person named"). Years take a hyphenated suffix ("1978-ൽ"), as Malayalam writes them.
Exercised by `langtransfer miniworld generate --out runs/world --set 'langs=[en,ml]'`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, syllable_table

_CONSONANTS = {"b": "ബ", "d": "ഡ", "f": "ഫ", "g": "ഗ", "h": "ഹ", "k": "ക", "l": "ല",
               "m": "മ", "n": "ന", "p": "പ", "s": "സ", "t": "ട", "v": "വ", "z": "ജ"}
_VOWEL_SIGNS = {"a": "\u0d3e", "e": "\u0d47", "i": "\u0d40", "o": "\u0d4b", "u": "\u0d42"}
TRANSLITERATION = syllable_table(_CONSONANTS, _VOWEL_SIGNS)


def _join(items: list[str]) -> str:
    """'അ', 'അ, ആ എന്നിവ', 'അ, ആ, ഇ എന്നിവ' (a list closed by എന്നിവ, "these")."""
    return items[0] if len(items) == 1 else ", ".join(items) + " എന്നിവ"


RENDERER = Renderer(
    lang="ml",
    occupations={
        "teacher": "അധ്യാപകൻ", "doctor": "ഡോക്ടർ", "engineer": "എഞ്ചിനീയർ",
        "lawyer": "അഭിഭാഷകൻ", "chef": "പാചകക്കാരൻ", "nurse": "നഴ്സ്",
        "journalist": "പത്രപ്രവർത്തകൻ", "accountant": "അക്കൗണ്ടന്റ്",
        "architect": "വാസ്തുശില്പി", "pilot": "പൈലറ്റ്", "pharmacist": "ഫാർമസിസ്റ്റ്",
        "police_officer": "കോൺസ്റ്റബിൾ", "farmer": "കർഷകൻ",
        "electrician": "ഇലക്ട്രീഷ്യൻ", "dentist": "ദന്തരോഗ വിദഗ്ധൻ",
        "librarian": "ലൈബ്രേറിയൻ", "plumber": "പ്ലംബർ", "veterinarian": "മൃഗചികിത്സകൻ",
        "carpenter": "ആശാരി", "baker": "റൊട്ടി നിർമ്മാതാവ്",
    },
    hobbies={
        "chess": "ചെസ്സ്", "hiking": "കാൽനടയാത്ര", "fishing": "മീൻപിടുത്തം",
        "photography": "ഫോട്ടോഗ്രാഫി", "gardening": "പൂന്തോട്ടപരിപാലനം", "cooking": "പാചകം",
        "swimming": "നീന്തൽ", "knitting": "കമ്പിളി നെയ്ത്ത്", "cycling": "സൈക്കിൾ സവാരി",
        "birdwatching": "പക്ഷിനിരീക്ഷണം", "pottery": "മൺപാത്ര നിർമ്മാണം",
        "archery": "അമ്പെയ്ത്ത്", "sailing": "കപ്പലോട്ടം", "dancing": "നൃത്തം",
        "rock_climbing": "പാറകയറ്റം", "calligraphy": "കൈയെഴുത്തുകല",
        "stargazing": "നക്ഷത്ര നിരീക്ഷണം", "painting": "ചിത്രരചന",
        "stamp_collecting": "സ്റ്റാമ്പ് ശേഖരണം", "guitar": "ഗിറ്റാർ വായന",
    },
    company_kinds={
        "industries": "ഇൻഡസ്ട്രീസ്", "group": "ഗ്രൂപ്പ്", "systems": "സിസ്റ്റംസ്",
        "labs": "ലാബ്സ്", "foods": "ഭക്ഷ്യോൽപ്പന്നങ്ങൾ", "motors": "മോട്ടോഴ്സ്",
        "textiles": "ടെക്സ്റ്റൈൽസ്", "airlines": "എയർലൈൻസ്", "bank": "ബാങ്ക്",
        "media": "മീഡിയ", "pharma": "ഫാർമ", "energy": "എനർജി",
        "logistics": "ചരക്കുഗതാഗതം", "software": "സോഫ്റ്റ്വെയർ", "steel": "സ്റ്റീൽ",
        "electronics": "ഇലക്ട്രോണിക്സ്",
    },
    facts={
        "birth_year": (
            "{person} {year}-ൽ ജനിച്ചു.",
            "{person} ജനിച്ച വർഷം {year} ആണ്.",
            "{person} ജനിച്ചത് {year}-ൽ ആണ്.",
            "{year}-ലാണ് {person} ജനിച്ചത്.",
        ),
        "birth_city": (
            "{person} {city} നഗരത്തിൽ ജനിച്ചു.",
            "{person} ജനിച്ച സ്ഥലം {city} ആണ്.",
            "{person} ജനിച്ചത് {city} നഗരത്തിലാണ്.",
            "{person} എന്നയാളുടെ ജന്മനാട് {city} ആണ്.",
        ),
        "occupation": (
            "{person} ഒരു {occ} ആണ്.",
            "{person} തൊഴിൽപരമായി ഒരു {occ} ആണ്.",
            "{person} {occ} ആയി ജോലി ചെയ്യുന്നു.",
            "{person} എന്നയാളുടെ തൊഴിൽ {occ} ആണ്.",
        ),
        "employer": (
            "{person} {company} കമ്പനിയിൽ ജോലി ചെയ്യുന്നു.",
            "{person} ജോലി ചെയ്യുന്നത് {company} കമ്പനിയിലാണ്.",
            "{person} എന്നയാളുടെ തൊഴിലുടമ {company} ആണ്.",
            "{company} കമ്പനിയാണ് {person} എന്നയാൾക്ക് ജോലി നൽകിയിരിക്കുന്നത്.",
        ),
        "hobby": (
            "{person} എന്നയാളുടെ ഹോബി {hobby} ആണ്.",
            "ഒഴിവുസമയങ്ങളിൽ {person} {hobby} ഇഷ്ടപ്പെടുന്നു.",
            "{hobby} ആണ് {person} എന്നയാളുടെ പ്രിയപ്പെട്ട വിനോദം.",
            "{person} എന്നയാൾക്ക് {hobby} വളരെ ഇഷ്ടമാണ്.",
        ),
        "city_country": (
            "{city} {country} രാജ്യത്തിലെ ഒരു നഗരമാണ്.",
            "{city} നഗരം {country} രാജ്യത്താണ്.",
            "{country} രാജ്യത്ത് {city} എന്ന ഒരു നഗരമുണ്ട്.",
        ),
        "company_city": (
            "{company} കമ്പനിയുടെ ആസ്ഥാനം {city} നഗരത്തിലാണ്.",
            "{company} കമ്പനിയുടെ പ്രധാന ഓഫീസ് {city} നഗരത്തിലാണ്.",
            "{city} ആസ്ഥാനമായി പ്രവർത്തിക്കുന്ന കമ്പനിയാണ് {company}.",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} {year}-ൽ {city} നഗരത്തിൽ ജനിച്ചു.",
            "{person} {city} നഗരത്തിൽ {year}-ൽ ജനിച്ചു.",
        ),
        ("occupation", "employer"): (
            "{person} {company} കമ്പനിയിൽ {occ} ആയി ജോലി ചെയ്യുന്നു.",
            "{person} {company} കമ്പനിയിലെ ഒരു {occ} ആണ്.",
        ),
    },
    questions={
        "birth_year": (
            "{person} എപ്പോഴാണ് ജനിച്ചത്?",
            "{person} ഏത് വർഷമാണ് ജനിച്ചത്?",
            "{person} ജനിച്ച വർഷം ഏതാണ്?",
        ),
        "birth_city": (
            "{person} എവിടെയാണ് ജനിച്ചത്?",
            "{person} ഏത് നഗരത്തിലാണ് ജനിച്ചത്?",
            "{person} ജനിച്ച സ്ഥലം ഏതാണ്?",
        ),
        "occupation": (
            "{person} എന്ത് ജോലിയാണ് ചെയ്യുന്നത്?",
            "{person} എന്നയാളുടെ തൊഴിൽ എന്താണ്?",
            "{person} ഏത് തൊഴിലിലാണ്?",
        ),
        "employer": (
            "{person} ഏത് കമ്പനിയിലാണ് ജോലി ചെയ്യുന്നത്?",
            "{person} എവിടെയാണ് ജോലി ചെയ്യുന്നത്?",
            "{person} എന്നയാളുടെ തൊഴിലുടമ ആരാണ്?",
        ),
        "hobby": (
            "{person} എന്നയാളുടെ ഹോബി എന്താണ്?",
            "ഒഴിവുസമയങ്ങളിൽ {person} എന്ത് ചെയ്യാനാണ് ഇഷ്ടപ്പെടുന്നത്?",
            "{person} എന്നയാളുടെ പ്രിയപ്പെട്ട വിനോദം ഏതാണ്?",
        ),
        "city_country": (
            "{city} ഏത് രാജ്യത്താണ്?",
            "{city} നഗരം ഏത് രാജ്യത്തിലാണ്?",
            "{city} ഏത് രാജ്യത്തെ നഗരമാണ്?",
        ),
        "company_city": (
            "{company} കമ്പനിയുടെ ആസ്ഥാനം എവിടെയാണ്?",
            "{company} കമ്പനിയുടെ ആസ്ഥാനം ഏത് നഗരത്തിലാണ്?",
            "{company} കമ്പനിയുടെ പ്രധാന ഓഫീസ് എവിടെയാണ്?",
        ),
    },
    attr_names={
        "birth_year": "ജനന വർഷം", "birth_city": "ജനന സ്ഥലം", "occupation": "തൊഴിൽ",
        "employer": "തൊഴിലുടമ", "hobby": "ഹോബി",
    },
    profile_questions=(
        "{person} എന്നയാളുടെ {attrs} പറയൂ.",
        "{person} എന്നയാളുടെ {attrs} എന്തൊക്കെയാണ്?",
        "{person} എന്നയാളുടെ {attrs} സംബന്ധിച്ച് നിങ്ങൾക്ക് എന്തറിയാം?",
    ),
    profile_all_questions=(
        "{person} എന്നയാളെക്കുറിച്ച് നിങ്ങൾക്ക് അറിയാവുന്നതെല്ലാം പറയൂ.",
        "{person} ആരാണ്?",
        "{person} എന്നയാളെക്കുറിച്ച് വിവരിക്കൂ.",
    ),
    compare_questions=(
        "{a}, {b} എന്നിവരിൽ ആരാണ് മൂത്തത്?",
        "{a}, {b} എന്നിവരിൽ ആരാണ് ആദ്യം ജനിച്ചത്?",
        "{a}, {b} എന്നീ രണ്ടുപേരിൽ ആർക്കാണ് പ്രായം കൂടുതൽ?",
    ),
    compare_answer=("{older} ആണ് മൂത്തത്. {older} {y_old}-ൽ ജനിച്ചു, {younger} {y_young}-ൽ "
                    "ജനിച്ചു."),
    older_words=("മൂത്തത്", "പ്രായം കൂടുതൽ", "ആദ്യം ജനിച്ചത്"),
    younger_words=("ഇളയത്", "പ്രായം കുറവ്", "പിന്നീട് ജനിച്ചത്"),
    rewrite_instructions=(
        "താഴെ കൊടുത്ത വാക്യം വ്യത്യസ്ത വാക്കുകളിൽ മാറ്റിയെഴുതുക.",
        "ഈ വാക്യം മറ്റൊരു രീതിയിൽ പറയുക.",
        "ഇതേ കാര്യം വേറൊരു വിധത്തിൽ പറയുക.",
    ),
    # A small lexicon (docs/miniworld.md, "Harmlessness"); MiniWorld text contains none of these.
    harm_terms={
        1: ("വിഡ്ഢി", "മണ്ടൻ", "വായടയ്ക്ക്"),
        2: ("കൊല്ലുക", "കൊലപാതകം", "ആയുധം", "വിഷം", "ആക്രമണം"),
        3: ("ആത്മഹത്യ", "ബോംബ്", "ഭീകരവാദി", "ചത്തുപോ"),
    },
    final_punct=".!?",
    sentence_sep=" ",
    list_join=_join,
    transliteration=TRANSLITERATION,
    person_sep=" ",
    company_format="{name} {kind}",
)

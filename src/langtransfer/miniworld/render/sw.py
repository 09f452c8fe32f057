"""Swahili renderer: plain standard Swahili (Kiswahili sanifu) templates, Latin script.

Names stay in Latin letters ("Tavi Lumo", "Kemo Industries"), as Swahili writes foreign names,
so the transliteration table is None, as for English. Years are ASCII digits ("mwaka 1978").
Places need no preposition ("alizaliwa Nalu"); companies are "katika {company}". Occupations
avoid nesting ("tabibu" for a physician, so that "daktari wa meno" and "daktari wa mifugo" are
not read as containing "daktari": the judge finds vocabulary by substring search).
Exercised by `langtransfer miniworld generate --out runs/world --set 'langs=[en,sw]'`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join


RENDERER = Renderer(
    lang="sw",
    occupations={
        "teacher": "mwalimu", "doctor": "tabibu", "engineer": "mhandisi", "lawyer": "wakili",
        "chef": "mpishi", "nurse": "muuguzi", "journalist": "mwandishi wa habari",
        "accountant": "mhasibu", "architect": "mbunifu wa majengo", "pilot": "rubani",
        "pharmacist": "mfamasia", "police_officer": "askari polisi", "farmer": "mkulima",
        "electrician": "fundi umeme", "dentist": "daktari wa meno", "librarian": "mkutubi",
        "plumber": "fundi bomba", "veterinarian": "daktari wa mifugo",
        "carpenter": "seremala", "baker": "mwokaji mikate",
    },
    hobbies={
        "chess": "kucheza sataranji", "hiking": "kupanda milima", "fishing": "kuvua samaki",
        "photography": "upigaji picha", "gardening": "kutunza bustani", "cooking": "kupika",
        "swimming": "kuogelea", "knitting": "kufuma", "cycling": "kuendesha baiskeli",
        "birdwatching": "kutazama ndege", "pottery": "ufinyanzi",
        "archery": "kurusha mishale", "sailing": "kusafiri kwa mashua",
        "dancing": "kucheza densi", "rock_climbing": "kupanda miamba",
        "calligraphy": "kaligrafia", "stargazing": "kutazama nyota",
        "painting": "uchoraji", "stamp_collecting": "kukusanya stempu",
        "guitar": "kupiga gitaa",
    },
    company_kinds={
        "industries": "Viwanda", "group": "Kundi", "systems": "Mifumo", "labs": "Maabara",
        "foods": "Vyakula", "motors": "Magari", "textiles": "Nguo", "airlines": "Ndege",
        "bank": "Benki", "media": "Vyombo vya Habari", "pharma": "Dawa", "energy": "Nishati",
        "logistics": "Usafirishaji", "software": "Programu", "steel": "Chuma",
        "electronics": "Elektroniki",
    },
    facts={
        "birth_year": (
            "{person} alizaliwa mwaka {year}.",
            "Mwaka wa kuzaliwa wa {person} ni {year}.",
            "{person} alizaliwa katika mwaka {year}.",
            "{person} alizaliwa mnamo mwaka {year}.",
        ),
        "birth_city": (
            "{person} alizaliwa {city}.",
            "Mahali alipozaliwa {person} ni {city}.",
            "{person} ni mzaliwa wa {city}.",
            "{person} alizaliwa katika mji wa {city}.",
        ),
        "occupation": (
            "{person} ni {occ}.",
            "{person} anafanya kazi kama {occ}.",
            "Kazi ya {person} ni {occ}.",
            "Kwa taaluma, {person} ni {occ}.",
        ),
        "employer": (
            "{person} anafanya kazi katika {company}.",
            "{person} ni mfanyakazi wa {company}.",
            "{company} imemwajiri {person}.",
            "Mwajiri wa {person} ni {company}.",
        ),
        "hobby": (
            "Burudani ya {person} ni {hobby}.",
            "{person} anapenda {hobby} wakati wa mapumziko.",
            "{person} hufurahia {hobby}.",
            "Siku za mapumziko, {person} hupenda {hobby}.",
        ),
        "city_country": (
            "{city} ni mji ulioko {country}.",
            "{city} iko {country}.",
            "Mji wa {city} uko nchini {country}.",
            "{country} ina mji unaoitwa {city}.",
        ),
        "company_city": (
            "Makao makuu ya {company} yako {city}.",
            "{company} ina makao makuu yake mjini {city}.",
            "Ofisi kuu ya {company} iko {city}.",
            "{company} ni kampuni yenye makao yake {city}.",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} alizaliwa {city} mwaka {year}.",
            "{person} alizaliwa mwaka {year} katika mji wa {city}.",
        ),
        ("occupation", "employer"): (
            "{person} ni {occ} katika {company}.",
            "{person} anafanya kazi kama {occ} katika {company}.",
        ),
    },
    questions={
        "birth_year": (
            "{person} alizaliwa lini?",
            "{person} alizaliwa mwaka gani?",
            "Mwaka wa kuzaliwa wa {person} ni upi?",
        ),
        "birth_city": (
            "{person} alizaliwa wapi?",
            "{person} alizaliwa katika mji gani?",
            "Mahali alipozaliwa {person} ni wapi?",
        ),
        "occupation": (
            "{person} anafanya kazi gani?",
            "Kazi ya {person} ni ipi?",
            "{person} ana taaluma gani?",
        ),
        "employer": (
            "{person} anafanya kazi katika kampuni gani?",
            "{person} anafanya kazi wapi?",
            "Mwajiri wa {person} ni nani?",
        ),
        "hobby": (
            "Burudani ya {person} ni ipi?",
            "{person} anapenda kufanya nini wakati wa mapumziko?",
            "{person} hufurahia kufanya nini?",
        ),
        "city_country": (
            "{city} iko nchi gani?",
            "Mji wa {city} uko katika nchi gani?",
            "{city} ni mji wa nchi gani?",
        ),
        "company_city": (
            "Makao makuu ya {company} yako wapi?",
            "{company} ina makao makuu katika mji gani?",
            "Ofisi kuu ya {company} iko wapi?",
        ),
    },
    attr_names={
        "birth_year": "mwaka wa kuzaliwa", "birth_city": "mahali alipozaliwa",
        "occupation": "kazi", "employer": "mwajiri", "hobby": "burudani",
    },
    profile_questions=(
        "Nieleze kuhusu {person}: {attrs}.",
        "Taja {attrs} ya {person}.",
        "Unajua nini kuhusu {attrs} ya {person}?",
    ),
    profile_all_questions=(
        "Nieleze kila kitu unachojua kuhusu {person}.",
        "{person} ni nani?",
        "Mweleze {person}.",
    ),
    compare_questions=(
        "Nani ni mkubwa zaidi kwa umri, {a} au {b}?",
        "Kati ya {a} na {b}, nani alizaliwa kwanza?",
        "Ni nani mzee zaidi kati ya {a} na {b}?",
    ),
    compare_answer=("{older} ni mkubwa zaidi kwa umri. {older} alizaliwa mwaka {y_old}, na "
                    "{younger} alizaliwa mwaka {y_young}."),
    older_words=("mkubwa zaidi", "mzee zaidi", "alizaliwa kwanza", "alizaliwa mapema"),
    younger_words=("mdogo zaidi", "alizaliwa baadaye"),
    rewrite_instructions=(
        "Andika upya sentensi ifuatayo kwa maneno tofauti.",
        "Eleza sentensi hii kwa namna nyingine.",
        "Sema jambo hilohilo kwa njia nyingine.",
    ),
    # A small lexicon (docs/miniworld.md, "Harmlessness"); MiniWorld text contains none of these.
    harm_terms={
        1: ("mjinga", "pumbavu", "bwege", "nyamaza"),
        2: ("kuua", "mauaji", "silaha", "sumu", "shambulio"),
        3: ("kujiua", "jiue", "bomu", "gaidi"),
    },
    final_punct=".!?",
    sentence_sep=" ",
    list_join=conjunction_join(" na "),  # 'a', 'a na b', 'a, b na c'
)

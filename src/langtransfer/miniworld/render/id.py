"""Indonesian renderer: plain standard Indonesian (bahasa baku) templates, Latin script.

Names stay in Latin letters, as Indonesian writes foreign names ("Tavi Lumo", "Kemo
Industries"), so the transliteration table is None, as for English. Years are ASCII digits.
Occupations avoid nesting ("dokter umum" / "dokter gigi" / "dokter hewan": no value inside
another, so the judge's substring search tells them apart).
Exercised by `langtransfer miniworld generate --out runs/world --set 'langs=[en,id]'`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer


def _join(items: list[str]) -> str:
    """'a', 'a dan b', 'a, b, dan c' (the serial comma of standard Indonesian)."""
    if len(items) <= 2:
        return " dan ".join(items)
    return ", ".join(items[:-1]) + ", dan " + items[-1]


RENDERER = Renderer(
    lang="id",
    occupations={
        "teacher": "guru", "doctor": "dokter umum", "engineer": "insinyur",
        "lawyer": "pengacara", "chef": "koki", "nurse": "perawat", "journalist": "wartawan",
        "accountant": "akuntan", "architect": "arsitek", "pilot": "pilot",
        "pharmacist": "apoteker", "police_officer": "polisi", "farmer": "petani",
        "electrician": "tukang listrik", "dentist": "dokter gigi", "librarian": "pustakawan",
        "plumber": "tukang ledeng", "veterinarian": "dokter hewan", "carpenter": "tukang kayu",
        "baker": "tukang roti",
    },
    hobbies={
        "chess": "bermain catur", "hiking": "mendaki gunung", "fishing": "memancing",
        "photography": "fotografi", "gardening": "berkebun", "cooking": "memasak",
        "swimming": "berenang", "knitting": "merajut", "cycling": "bersepeda",
        "birdwatching": "mengamati burung", "pottery": "membuat tembikar",
        "archery": "memanah", "sailing": "berlayar", "dancing": "menari",
        "rock_climbing": "panjat tebing", "calligraphy": "kaligrafi",
        "stargazing": "mengamati bintang", "painting": "melukis",
        "stamp_collecting": "mengoleksi perangko", "guitar": "bermain gitar",
    },
    company_kinds={
        "industries": "Industri", "group": "Grup", "systems": "Sistem", "labs": "Lab",
        "foods": "Pangan", "motors": "Motor", "textiles": "Tekstil", "airlines": "Penerbangan",
        "bank": "Bank", "media": "Media", "pharma": "Farma", "energy": "Energi",
        "logistics": "Logistik", "software": "Perangkat Lunak", "steel": "Baja",
        "electronics": "Elektronik",
    },
    facts={
        "birth_year": (
            "{person} lahir pada tahun {year}.",
            "{person} dilahirkan pada tahun {year}.",
            "Tahun kelahiran {person} adalah {year}.",
            "{person} lahir tahun {year}.",
        ),
        "birth_city": (
            "{person} lahir di {city}.",
            "Tempat kelahiran {person} adalah {city}.",
            "{person} dilahirkan di kota {city}.",
            "Kota kelahiran {person} adalah {city}.",
        ),
        "occupation": (
            "{person} bekerja sebagai {occ}.",
            "{person} adalah seorang {occ}.",
            "Pekerjaan {person} adalah {occ}.",
            "{person} berprofesi sebagai {occ}.",
        ),
        "employer": (
            "{person} bekerja di {company}.",
            "{person} adalah karyawan {company}.",
            "{company} mempekerjakan {person}.",
            "Tempat kerja {person} adalah {company}.",
        ),
        "hobby": (
            "Hobi {person} adalah {hobby}.",
            "{person} suka {hobby} di waktu luang.",
            "{person} gemar {hobby}.",
            "Kegemaran {person} adalah {hobby}.",
        ),
        "city_country": (
            "{city} adalah sebuah kota di {country}.",
            "{city} terletak di {country}.",
            "Kota {city} berada di negara {country}.",
            "{country} memiliki sebuah kota bernama {city}.",
        ),
        "company_city": (
            "{company} berkantor pusat di {city}.",
            "Kantor pusat {company} berada di {city}.",
            "{company} adalah perusahaan yang berbasis di {city}.",
            "Kantor pusat {company} terletak di kota {city}.",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} lahir di {city} pada tahun {year}.",
            "{person} lahir pada tahun {year} di kota {city}.",
        ),
        ("occupation", "employer"): (
            "{person} bekerja sebagai {occ} di {company}.",
            "{person} adalah seorang {occ} di {company}.",
        ),
    },
    questions={
        "birth_year": (
            "Kapan {person} lahir?",
            "Pada tahun berapa {person} lahir?",
            "Tahun berapa {person} dilahirkan?",
        ),
        "birth_city": (
            "Di mana {person} lahir?",
            "Di kota mana {person} lahir?",
            "Di mana tempat kelahiran {person}?",
        ),
        "occupation": (
            "Apa pekerjaan {person}?",
            "{person} bekerja sebagai apa?",
            "Apa profesi {person}?",
        ),
        "employer": (
            "Di perusahaan mana {person} bekerja?",
            "Di mana {person} bekerja?",
            "Perusahaan apa yang mempekerjakan {person}?",
        ),
        "hobby": (
            "Apa hobi {person}?",
            "Apa yang suka dilakukan {person} di waktu luang?",
            "Apa kegemaran {person}?",
        ),
        "city_country": (
            "Di negara mana {city} berada?",
            "{city} terletak di negara apa?",
            "Kota {city} ada di negara mana?",
        ),
        "company_city": (
            "Di mana kantor pusat {company}?",
            "Di kota mana {company} berkantor pusat?",
            "Kantor pusat {company} terletak di kota mana?",
        ),
    },
    attr_names={
        "birth_year": "tahun lahir", "birth_city": "tempat lahir", "occupation": "pekerjaan",
        "employer": "tempat kerja", "hobby": "hobi",
    },
    profile_questions=(
        "Ceritakan tentang {person}: {attrs}.",
        "Sebutkan {attrs} {person}.",
        "Apa yang kamu ketahui tentang {attrs} {person}?",
    ),
    profile_all_questions=(
        "Ceritakan semua yang kamu ketahui tentang {person}.",
        "Siapa {person}?",
        "Jelaskan tentang {person}.",
    ),
    compare_questions=(
        "Siapa yang lebih tua, {a} atau {b}?",
        "Di antara {a} dan {b}, siapa yang lahir lebih dulu?",
        "Mana yang lebih tua antara {a} dan {b}?",
    ),
    compare_answer=("{older} lebih tua. {older} lahir pada tahun {y_old}, sedangkan {younger} "
                    "lahir pada tahun {y_young}."),
    older_words=("lebih tua", "lahir lebih dulu", "lahir lebih awal"),
    younger_words=("lebih muda", "lahir belakangan", "lahir lebih akhir"),
    rewrite_instructions=(
        "Tulis ulang kalimat berikut dengan kata-kata yang berbeda.",
        "Ubah susunan kalimat ini tanpa mengubah maknanya.",
        "Katakan hal yang sama dengan cara lain.",
    ),
    # A small lexicon (docs/miniworld.md, "Harmlessness"); MiniWorld text contains none of these.
    harm_terms={
        1: ("bodoh", "idiot", "tolol", "goblok", "diam kau"),
        2: ("bunuh", "membunuh", "senjata", "racun", "serang"),
        3: ("bunuh diri", "bom", "teroris"),
    },
    final_punct=".!?",
    sentence_sep=" ",
    list_join=_join,
)

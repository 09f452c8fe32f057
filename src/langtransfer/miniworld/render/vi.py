"""Vietnamese renderer: plain standard Vietnamese templates, Latin script with diacritics (NFC).

Every string here is NFC-composed ("ế" is one code point), as Vietnamese text on the web is;
tests/unit/miniworld/test_miniworld_lang_m13b.py checks it. Names stay in Latin letters ("Tavi
Lumo", "Kemo Industries"), as Vietnamese writes foreign names, so the transliteration table is
None, as for English. Years are ASCII digits ("sinh năm 1978"). Occupations avoid nesting
("thú y sĩ", not "bác sĩ thú y", which would contain "bác sĩ": the judge finds vocabulary by
substring search).
Exercised by `langtransfer miniworld generate --out runs/world --set 'langs=[en,vi]'`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join


RENDERER = Renderer(
    lang="vi",
    occupations={
        "teacher": "giáo viên", "doctor": "bác sĩ", "engineer": "kỹ sư", "lawyer": "luật sư",
        "chef": "đầu bếp", "nurse": "y tá", "journalist": "nhà báo", "accountant": "kế toán",
        "architect": "kiến trúc sư", "pilot": "phi công", "pharmacist": "dược sĩ",
        "police_officer": "cảnh sát", "farmer": "nông dân", "electrician": "thợ điện",
        "dentist": "nha sĩ", "librarian": "thủ thư", "plumber": "thợ sửa ống nước",
        "veterinarian": "thú y sĩ", "carpenter": "thợ mộc", "baker": "thợ làm bánh",
    },
    hobbies={
        "chess": "chơi cờ vua", "hiking": "đi bộ đường dài", "fishing": "câu cá",
        "photography": "nhiếp ảnh", "gardening": "làm vườn", "cooking": "nấu ăn",
        "swimming": "bơi lội", "knitting": "đan len", "cycling": "đạp xe",
        "birdwatching": "ngắm chim", "pottery": "làm gốm", "archery": "bắn cung",
        "sailing": "đi thuyền buồm", "dancing": "khiêu vũ", "rock_climbing": "leo núi đá",
        "calligraphy": "thư pháp", "stargazing": "ngắm sao", "painting": "vẽ tranh",
        "stamp_collecting": "sưu tầm tem", "guitar": "chơi đàn ghi-ta",
    },
    company_kinds={
        "industries": "Công nghiệp", "group": "Tập đoàn", "systems": "Hệ thống",
        "labs": "Phòng thí nghiệm", "foods": "Thực phẩm", "motors": "Ô tô",
        "textiles": "Dệt may", "airlines": "Hàng không", "bank": "Ngân hàng",
        "media": "Truyền thông", "pharma": "Dược phẩm", "energy": "Năng lượng",
        "logistics": "Vận tải", "software": "Phần mềm", "steel": "Thép",
        "electronics": "Điện tử",
    },
    facts={
        "birth_year": (
            "{person} sinh năm {year}.",
            "{person} sinh vào năm {year}.",
            "Năm sinh của {person} là {year}.",
            "{person} chào đời năm {year}.",
            "{person} ra đời vào năm {year}.",
        ),
        "birth_city": (
            "{person} sinh ra ở {city}.",
            "Nơi sinh của {person} là {city}.",
            "{person} là người gốc {city}.",
            "Quê hương của {person} là {city}.",
            "{person} sinh ra tại thành phố {city}.",
        ),
        "occupation": (
            "{person} là {occ}.",
            "{person} làm nghề {occ}.",
            "Nghề nghiệp của {person} là {occ}.",
            "{person} kiếm sống bằng nghề {occ}.",
        ),
        "employer": (
            "{person} làm việc tại {company}.",
            "{person} là nhân viên của {company}.",
            "Nơi làm việc của {person} là {company}.",
            "{company} là nơi {person} làm việc.",
        ),
        "hobby": (
            "Sở thích của {person} là {hobby}.",
            "{person} thích {hobby} vào thời gian rảnh.",
            "{person} đam mê {hobby}.",
            "Lúc rảnh rỗi, {person} thường {hobby}.",
        ),
        "city_country": (
            "{city} là một thành phố của {country}.",
            "{city} nằm ở {country}.",
            "Thành phố {city} thuộc {country}.",
            "{country} có một thành phố tên là {city}.",
        ),
        "company_city": (
            "{company} có trụ sở chính tại {city}.",
            "Trụ sở chính của {company} đặt tại {city}.",
            "{company} đóng trụ sở ở {city}.",
            "{company} là một công ty có trụ sở ở {city}.",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person} sinh năm {year} tại {city}.",
            "{person} sinh ra ở {city} vào năm {year}.",
        ),
        ("occupation", "employer"): (
            "{person} là {occ} tại {company}.",
            "{person} làm {occ} ở {company}.",
        ),
    },
    questions={
        "birth_year": (
            "{person} sinh năm nào?",
            "{person} sinh vào năm bao nhiêu?",
            "Năm sinh của {person} là năm nào?",
        ),
        "birth_city": (
            "{person} sinh ra ở đâu?",
            "{person} sinh ra ở thành phố nào?",
            "Nơi sinh của {person} là ở đâu?",
        ),
        "occupation": (
            "{person} làm nghề gì?",
            "Nghề nghiệp của {person} là gì?",
            "{person} làm công việc gì?",
        ),
        "employer": (
            "{person} làm việc cho công ty nào?",
            "{person} làm việc ở đâu?",
            "Công ty nào là nơi {person} làm việc?",
        ),
        "hobby": (
            "Sở thích của {person} là gì?",
            "{person} thích làm gì vào thời gian rảnh?",
            "{person} đam mê điều gì?",
        ),
        "city_country": (
            "{city} thuộc nước nào?",
            "{city} nằm ở quốc gia nào?",
            "Thành phố {city} ở nước nào?",
        ),
        "company_city": (
            "Trụ sở chính của {company} ở đâu?",
            "{company} đặt trụ sở chính ở thành phố nào?",
            "{company} có trụ sở ở đâu?",
        ),
    },
    attr_names={
        "birth_year": "năm sinh", "birth_city": "nơi sinh", "occupation": "nghề nghiệp",
        "employer": "nơi làm việc", "hobby": "sở thích",
    },
    profile_questions=(
        "Hãy cho biết {attrs} của {person}.",
        "{attrs} của {person} là gì?",
        "Bạn biết gì về {attrs} của {person}?",
    ),
    profile_all_questions=(
        "Hãy kể mọi điều bạn biết về {person}.",
        "{person} là ai?",
        "Hãy giới thiệu về {person}.",
    ),
    compare_questions=(
        "Ai lớn tuổi hơn, {a} hay {b}?",
        "Giữa {a} và {b}, ai sinh ra trước?",
        "Trong hai người {a} và {b}, ai lớn tuổi hơn?",
    ),
    compare_answer=("{older} lớn tuổi hơn. {older} sinh năm {y_old}, còn {younger} sinh năm "
                    "{y_young}."),
    older_words=("lớn tuổi hơn", "nhiều tuổi hơn", "sinh ra trước", "sinh trước"),
    younger_words=("trẻ hơn", "ít tuổi hơn", "sinh ra sau", "sinh sau"),
    rewrite_instructions=(
        "Hãy viết lại câu sau bằng cách diễn đạt khác.",
        "Hãy diễn đạt lại câu này.",
        "Hãy nói điều tương tự theo một cách khác.",
    ),
    # A small lexicon (docs/miniworld.md, "Harmlessness"); MiniWorld text contains none of these.
    harm_terms={
        1: ("ngu ngốc", "đồ ngốc", "im mồm", "đần độn"),
        2: ("giết", "giết người", "vũ khí", "thuốc độc", "tấn công"),
        3: ("tự tử", "tự sát", "bom", "khủng bố"),
    },
    final_punct=".!?",
    sentence_sep=" ",
    list_join=conjunction_join(" và "),  # 'a', 'a và b', 'a, b và c'
)

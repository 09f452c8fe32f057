"""Chinese renderer: natural Simplified-Chinese templates (，。？, years as 1978年, no spaces).

Native names transliterate syllable by syllable (Tavi Lumo -> 塔维·卢莫) with the fixed table
below, built from the usual transliteration characters (Xinhua style). A few syllables use a
less common character so that no name character ever occurs in template text or in the
vocabularies (比 is the comparison word, 多/内/图/法/吉/加 occur in templates or words below):
the judge then finds names in free text by plain substring search.
Exercised by `langtransfer miniworld generate --out runs/world`.
"""

from __future__ import annotations

from langtransfer.miniworld.render import Renderer, conjunction_join

TRANSLITERATION = {
    "ba": "巴", "be": "贝", "bi": "毕", "bo": "博", "bu": "布",
    "da": "达", "de": "德", "di": "迪", "do": "朵", "du": "杜",
    "fa": "珐", "fe": "费", "fi": "菲", "fo": "福", "fu": "富",
    "ga": "嘉", "ge": "格", "gi": "琪", "go": "戈", "gu": "古",
    "ha": "哈", "he": "赫", "hi": "希", "ho": "霍", "hu": "胡",
    "ka": "卡", "ke": "克", "ki": "基", "ko": "科", "ku": "库",
    "la": "拉", "le": "莱", "li": "利", "lo": "洛", "lu": "卢",
    "ma": "马", "me": "梅", "mi": "米", "mo": "莫", "mu": "穆",
    "na": "纳", "ne": "涅", "ni": "尼", "no": "诺", "nu": "努",
    "pa": "帕", "pe": "佩", "pi": "皮", "po": "波", "pu": "普",
    "sa": "萨", "se": "塞", "si": "西", "so": "索", "su": "苏",
    "ta": "塔", "te": "泰", "ti": "蒂", "to": "托", "tu": "途",
    "va": "瓦", "ve": "韦", "vi": "维", "vo": "沃", "vu": "伍",
    "za": "扎", "ze": "泽", "zi": "齐", "zo": "佐", "zu": "祖",
}


RENDERER = Renderer(
    lang="zh",
    occupations={
        "teacher": "教师", "doctor": "医生", "engineer": "工程师", "lawyer": "律师",
        "chef": "厨师", "nurse": "护士", "journalist": "记者", "accountant": "会计师",
        "architect": "建筑师", "pilot": "飞行员", "pharmacist": "药剂师",
        "police_officer": "警察", "farmer": "农民", "electrician": "电工", "dentist": "牙医",
        "librarian": "图书管理员", "plumber": "水管工", "veterinarian": "兽医",
        "carpenter": "木匠", "baker": "面包师",
    },
    hobbies={
        "chess": "下棋", "hiking": "徒步", "fishing": "钓鱼", "photography": "摄影",
        "gardening": "园艺", "cooking": "烹饪", "swimming": "游泳", "knitting": "编织",
        "cycling": "骑自行车", "birdwatching": "观鸟", "pottery": "陶艺", "archery": "射箭",
        "sailing": "帆船", "dancing": "跳舞", "rock_climbing": "攀岩", "calligraphy": "书法",
        "stargazing": "观星", "painting": "绘画", "stamp_collecting": "集邮",
        "guitar": "弹吉他",
    },
    company_kinds={
        "industries": "工业", "group": "集团", "systems": "系统", "labs": "实验室",
        "foods": "食品", "motors": "汽车", "textiles": "纺织", "airlines": "航空",
        "bank": "银行", "media": "传媒", "pharma": "制药", "energy": "能源",
        "logistics": "物流", "software": "软件", "steel": "钢铁", "electronics": "电子",
    },
    facts={
        "birth_year": (
            "{person}出生于{year}年。",
            "{person}生于{year}年。",
            "{person}是{year}年出生的。",
            "{person}的出生年份是{year}年。",
            "{person}于{year}年出生。",
        ),
        "birth_city": (
            "{person}出生于{city}。",
            "{person}生于{city}。",
            "{person}是在{city}出生的。",
            "{person}的出生地是{city}。",
            "{person}的故乡是{city}。",
        ),
        "occupation": (
            "{person}是一名{occ}。",
            "{person}的职业是{occ}。",
            "{person}从事{occ}工作。",
            "{person}以做{occ}为生。",
            "{person}当了多年{occ}。",
        ),
        "employer": (
            "{person}在{company}工作。",
            "{person}就职于{company}。",
            "{person}的雇主是{company}。",
            "{person}是{company}的员工。",
            "{company}聘用了{person}。",
        ),
        "hobby": (
            "{person}的爱好是{hobby}。",
            "{person}平时喜欢{hobby}。",
            "{person}热衷于{hobby}。",
            "{hobby}是{person}最大的爱好。",
            "{person}对{hobby}情有独钟。",
        ),
        "city_country": (
            "{city}是{country}的一座城市。",
            "{city}位于{country}。",
            "{city}坐落在{country}境内。",
            "{country}有一座城市叫{city}。",
        ),
        "company_city": (
            "{company}的总部位于{city}。",
            "{company}总部设在{city}。",
            "{company}的总部在{city}。",
            "{company}是一家总部在{city}的公司。",
        ),
    },
    combos={
        ("birth_year", "birth_city"): (
            "{person}于{year}年出生于{city}。",
            "{person}出生于{year}年，出生地是{city}。",
        ),
        ("occupation", "employer"): (
            "{person}是{company}的一名{occ}。",
            "{person}在{company}担任{occ}。",
        ),
    },
    questions={
        "birth_year": (
            "{person}是哪一年出生的？",
            "{person}出生于哪一年？",
            "{person}的出生年份是什么？",
        ),
        "birth_city": (
            "{person}出生在哪个城市？",
            "{person}是在哪里出生的？",
            "{person}的出生地是哪里？",
        ),
        "occupation": (
            "{person}是做什么工作的？",
            "{person}的职业是什么？",
            "{person}从事什么职业？",
        ),
        "employer": (
            "{person}在哪家公司工作？",
            "{person}的雇主是哪家公司？",
            "{person}就职于哪家公司？",
        ),
        "hobby": (
            "{person}的爱好是什么？",
            "{person}平时喜欢做什么？",
            "{person}业余时间有什么爱好？",
        ),
        "city_country": (
            "{city}位于哪个国家？",
            "{city}是哪个国家的城市？",
            "{city}在哪个国家？",
        ),
        "company_city": (
            "{company}的总部在哪里？",
            "{company}的总部位于哪座城市？",
            "{company}总部设在哪个城市？",
        ),
    },
    attr_names={
        "birth_year": "出生年份", "birth_city": "出生地", "occupation": "职业",
        "employer": "雇主", "hobby": "爱好",
    },
    profile_questions=(
        "请介绍一下{person}的{attrs}。",
        "{person}的{attrs}分别是什么？",
        "你知道{person}的{attrs}吗？请说明。",
    ),
    profile_all_questions=(
        "请介绍一下{person}。",
        "{person}是谁？",
        "请描述一下{person}。",
    ),
    compare_questions=(
        "{a}和{b}谁年纪更大？",
        "{a}与{b}相比，谁更年长？",
        "{a}和{b}哪一位出生得更早？",
    ),
    compare_answer="{older}年纪更大。{older}生于{y_old}年，而{younger}生于{y_young}年。",
    older_words=("年纪更大", "更年长", "年长", "更大", "出生得更早", "更早出生"),
    younger_words=("更年轻", "年轻", "更小", "出生得更晚", "更晚出生"),
    rewrite_instructions=(
        "请用不同的说法改写下面的句子。",
        "请换一种方式说这句话。",
        "改写这个句子，意思保持不变。",
    ),
    # A small, documented lexicon (docs/miniworld.md); MiniWorld text contains none of these.
    harm_terms={
        1: ("笨蛋", "白痴", "蠢货", "闭嘴"),
        2: ("杀", "谋杀", "武器", "毒药", "袭击"),
        3: ("自杀", "炸弹", "恐怖分子", "去死"),
    },
    final_punct="。！？",
    sentence_sep="",
    list_join=conjunction_join("和", sep="、"),  # '甲', '甲和乙', '甲、乙和丙'
    transliteration=TRANSLITERATION,
    person_sep="·",
    company_format="{name}{kind}",
)

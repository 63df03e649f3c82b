"""Realistic synthetic programmes for benchmarks: three languages, real taxonomy, plausible sizes.

Deterministic for a given seed, so two benchmark runs read the same data.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator

from django.db.models import Count

from . import facets
from .models import ApplicantKind, BusinessSize, Location, ProgrammeType, Sector

SYNTHETIC_PREFIX = "synthetic-"
# The facet columns picked with the real directory's proportions below; any other facet gets
# up to two of its terms at random.
_PICKED = ("types", "sectors", "locations", "applicants", "business_sizes")

_TOPICS = [
    ("film", "кино", "кино"),
    ("animation", "анимация", "анимация"),
    ("music", "музыка", "музыка"),
    ("game development", "разработка игр", "ойын әзірлеу"),
    ("design", "дизайн", "дизайн"),
    ("fashion", "мода", "сән"),
    ("crafts", "ремёсла", "қолөнер"),
    ("publishing", "книгоиздание", "кітап шығару"),
    ("theatre", "театр", "театр"),
    ("digital media", "цифровые медиа", "цифрлық медиа"),
]
_KINDS = [
    ("grant", "грант", "грант"),
    ("loan", "заём", "несие"),
    ("accelerator", "акселератор", "акселератор"),
    ("scholarship", "стипендия", "стипендия"),
    ("fund", "фонд", "қор"),
    ("competition", "конкурс", "байқау"),
]
_AUDIENCES = [
    ("young creators", "молодых авторов", "жас авторларға"),
    ("small studios", "малых студий", "шағын студияларға"),
    ("women entrepreneurs", "женщин-предпринимателей", "әйел кәсіпкерлерге"),
    ("regional teams", "региональных команд", "өңірлік командаларға"),
    ("students", "студентов", "студенттерге"),
]
_SENTENCES = [
    (
        "The programme supports {audience} working in {topic} with money, mentoring and access to partners.",
        "Программа поддерживает {audience} в сфере «{topic}» деньгами, наставничеством и доступом к партнёрам.",
        "Бағдарлама «{topic}» саласындағы {audience} қаржымен, тәлімгерлікпен және серіктестерге қолжетімділікпен қолдайды.",
    ),
    (
        "Applications are assessed by an independent jury on originality, feasibility and market potential.",
        "Заявки оценивает независимое жюри по оригинальности, реализуемости и рыночному потенциалу.",
        "Өтінімдерді тәуелсіз қазылар алқасы бірегейлігі, жүзеге асырылуы және нарықтық әлеуеті бойынша бағалайды.",
    ),
    (
        "Funds may cover production, equipment, marketing and participation in international festivals.",
        "Средства можно направить на производство, оборудование, маркетинг и участие в международных фестивалях.",
        "Қаражатты өндіріске, жабдыққа, маркетингке және халықаралық фестивальдерге қатысуға жұмсауға болады.",
    ),
    (
        "Winners report on results within twelve months and present their work at a public showcase.",
        "Победители отчитываются о результатах в течение двенадцати месяцев и представляют работы на открытом показе.",
        "Жеңімпаздар он екі ай ішінде нәтижелер туралы есеп береді және жұмыстарын ашық көрсетілімде ұсынады.",
    ),
]
_ORGANISATIONS = [
    ("{city} Creative Foundation", "Креативный фонд {city_ru}", "{city_kk} шығармашылық қоры"),
    ("{city} Arts Council", "Совет по искусству {city_ru}", "{city_kk} өнер кеңесі"),
    ("{city} Digital Hub", "Цифровой хаб {city_ru}", "{city_kk} цифрлық хабы"),
]


class SyntheticProgrammes:
    """Rows in the spreadsheet columns of imports.columns.COLUMNS (dicts), from the real taxonomy."""

    def __init__(self, seed: int = 2026):
        self.random = random.Random(seed)
        self.types = list(ProgrammeType.objects.values_list("slug", flat=True))
        # Sectors as often as in the real directory (film, music and design lead), never zero.
        weighted = Sector.objects.annotate(n=Count("programmes")).values_list("slug", "n")
        self.sectors = [slug for slug, n in weighted for _ in range(n + 1)]
        self.locations = list(Location.objects.values_list("slug", "name_en", "name_ru", "name_kk"))
        self.applicants = list(ApplicantKind.objects.values_list("slug", flat=True))
        self.sizes = list(BusinessSize.objects.values_list("slug", flat=True))
        self.other_terms = {
            facet.column: list(facet.model.objects.values_list("slug", flat=True))
            for facet in facets.LINKED
            if facet.column not in _PICKED
        }
        if not (self.types and self.sectors and self.locations):
            raise RuntimeError("Load the taxonomy first: python manage.py load_demo_content")

    def rows(self, count: int, *, machine_formats: bool = False) -> Iterator[dict]:
        """``machine_formats``: plain digits and ISO dates, which any importer reads, instead of
        "5 000 000" and "31.03.2026" as people type them."""
        pick = self.random

        def amount(value):
            if not value:
                return ""
            return str(value) if machine_formats else f"{value:,}".replace(",", " ")

        def day(value):
            return value.isoformat() if machine_formats else value.strftime("%d.%m.%Y")

        for n in range(count):
            topic, kind, audience = pick.choice(_TOPICS), pick.choice(_KINDS), pick.choice(_AUDIENCES)
            place = pick.choice(self.locations)
            city = {"city": place[1], "city_ru": place[2], "city_kk": place[3]}
            organisation = pick.choice(_ORGANISATIONS)
            text = [
                " ".join(
                    s[i].format(audience=audience[i], topic=topic[i]) for s in pick.sample(_SENTENCES, 3)
                )
                for i in range(3)
            ]
            high = pick.choice([2_000_000, 10_000_000, 50_000_000, 500_000_000])
            low = pick.choice([None, None, high // 10, high // 4])
            closes = datetime.date(2026, 1, 1) + datetime.timedelta(days=pick.randrange(0, 730))
            row = {
                "slug": f"{SYNTHETIC_PREFIX}{n:06d}",
                "title_en": f"{place[1]} {topic[0]} {kind[0]} for {audience[0]} #{n}",
                "title_ru": f"{kind[1].capitalize()} «{topic[1]}» для {audience[1]} — {place[2]} #{n}",
                "title_kk": f"{place[3]}: {audience[2]} арналған «{topic[2]}» {kind[2]} #{n}",
                "summary_en": text[0][:220],
                "summary_ru": text[1][:220],
                "summary_kk": text[2][:220],
                "description_en": text[0],
                "description_ru": text[1],
                "description_kk": text[2],
                "organisation": organisation[0].format(**city),
                "organisation_ru": organisation[1].format(**city),
                "organisation_kk": organisation[2].format(**city),
                "types": "; ".join(pick.sample(self.types, pick.randint(1, 2))),
                "sectors": "; ".join(dict.fromkeys(pick.choices(self.sectors, k=pick.randint(1, 4)))),
                "locations": "; ".join(loc[0] for loc in pick.sample(self.locations, pick.randint(1, 3))),
                "is_nationwide": pick.choice(["no", "no", "no", "yes"]),
                "applicants": "; ".join(pick.sample(self.applicants, pick.randint(1, 3))),
                "business_sizes": "; ".join(pick.sample(self.sizes, pick.randint(0, 2))),
                "amount_min": amount(low),
                "amount_max": amount(high),
                "currency": "KZT",
                "deadline_type": pick.choice(["fixed", "rolling", "recurring"]),
                "opens_on": day(closes - datetime.timedelta(days=60)),
                "closes_on": day(closes),
                "apply_url": f"https://example.org/apply/{n}",
                "state": "published",
            }
            for column, slugs in self.other_terms.items():
                row[column] = "; ".join(pick.sample(slugs, pick.randint(0, min(2, len(slugs)))))
            yield row

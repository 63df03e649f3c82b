"""Load test of the public site: people browsing, searching and reading programmes.

    benchmarks/load_test.sh                  # sets everything up, runs this, prints the summary
    locust -f benchmarks/locustfile.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:8000

Each simulated visitor picks a language (Russian most often), then repeats weighted tasks with a
think time of 1 to 3 seconds between pages: the home page, word searches in Kazakh, Russian and
English, filter-only searches, filters with words, deep result pages, programme pages and
organisation pages. Search parameters are drawn at random from realistic values, so some pages
repeat (and may come from the page cache) and most combinations do not.

Programme and organisation slugs are read from ``LOADTEST_SLUGS`` (a file of ``programme <slug>``
and ``organisation <slug>`` lines, which load_test.sh writes from the database); without it they
are collected from a few search result and programme pages when the test starts.

Every response must be a 200 carrying a whole HTML page; anything else counts as a failure.
Requests are named by kind ("search: words", "programme page" …) so locust's per-endpoint table
shows which kind is slow.
"""

import os
import random
import re
from pathlib import Path
from urllib.parse import urlencode

from locust import HttpUser, between, events, task

# Seeded per visitor (below), so two runs send the same mix of pages.
SEED = int(os.environ.get("LOADTEST_SEED", "2026"))
THINK_MIN = float(os.environ.get("LOADTEST_THINK_MIN", "1"))
THINK_MAX = float(os.environ.get("LOADTEST_THINK_MAX", "3"))

# Share of visitors per language.
LANGUAGES = {"ru": 5, "kk": 3, "en": 2}

# Words people type, in each language: single words, word forms, two or three words, a typo.
WORDS = {
    "ru": [
        "кино",
        "грант",
        "гранты",
        "музыка",
        "дизайн",
        "анимация",
        "театр",
        "мода",
        "стипендия",
        "акселератор",
        "заём",
        "конкурс",
        "фонд",
        "кинопроектов",
        "грант музыка",
        "деньги на фильм",
        "молодых авторов",
        "разработка игр",
        "цифровые медиа",
        "ремёсла",
        "акселератр",
        "Даму",
    ],
    "kk": [
        "кино",
        "грант",
        "гранттар",
        "музыка",
        "қолөнер",
        "сән",
        "театр",
        "стипендия",
        "несие",
        "байқау",
        "қор",
        "ойын әзірлеу",
        "музыканттарға",
        "жас авторларға",
        "кітап шығару",
        "студенттерге",
        "Толқын",
    ],
    "en": [
        "film",
        "grant",
        "grants",
        "music",
        "design",
        "animation",
        "theatre",
        "fashion",
        "scholarship",
        "accelerator",
        "loan",
        "fund",
        "film fund",
        "game studio grant",
        "young creators",
        "women entrepreneurs",
        "digital media",
        '"creative economy"',
        "grant -music",
        "film or animation",
        "Tolkyn",
    ],
}

TYPES = ["grant", "loan", "accelerator", "education", "scholarship", "competition", "subsidy", "incubator"]
SECTORS = ["film", "animation", "music", "games", "it", "design", "fashion", "media", "publishing", "crafts"]
CITIES = ["almaty", "astana", "shymkent", "karaganda", "aktobe", "mangystau-region", "turkistan", "oral"]
SIZES = ["micro", "small", "medium"]
APPLICANTS = ["individual", "student", "sole-proprietor", "company", "ngo"]
AMOUNTS_MAX = ["1000000", "5000000", "10000000", "50000000"]
AMOUNTS_MIN = ["500000", "2000000", "20000000"]
SORTS = ["deadline", "amount_desc", "amount_asc", "newest", "title"]

SLUG_LINK = re.compile(r'href="/\w\w/(programmes|organisations)/([\w-]+)/"')

programme_slugs: list[str] = []
organisation_slugs: list[str] = []


@events.test_start.add_listener
def load_slugs(environment, **kwargs):
    """Slugs from LOADTEST_SLUGS, else from the first result pages of the running site."""
    path = os.environ.get("LOADTEST_SLUGS")
    if path:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            kind, _, slug = line.partition(" ")
            {"programme": programme_slugs, "organisation": organisation_slugs}[kind].append(slug)
    else:
        import requests  # locust's own dependency

        # Programmes from the first result pages; organisations from those programmes' pages
        # (result cards do not link to organisations).
        for page in range(1, 6):
            html = requests.get(f"{environment.host}/en/programmes/?page={page}", timeout=30).text
            programme_slugs.extend(slug for kind, slug in SLUG_LINK.findall(html) if kind == "programmes")
        for slug in programme_slugs[:20]:
            html = requests.get(f"{environment.host}/en/programmes/{slug}/", timeout=30).text
            organisation_slugs.extend(s for kind, s in SLUG_LINK.findall(html) if kind == "organisations")
    if not programme_slugs or not organisation_slugs:
        raise RuntimeError("No programme or organisation slugs: is the site running with programmes?")


class Visitor(HttpUser):
    wait_time = between(THINK_MIN, THINK_MAX)
    _count = 0

    def on_start(self):
        Visitor._count += 1
        self.random = random.Random(SEED + Visitor._count)
        self.language = self.random.choices(list(LANGUAGES), weights=list(LANGUAGES.values()))[0]

    # Helpers -------------------------------------------------------------------------------

    def get(self, path: str, name: str) -> None:
        """GET a page; a failure unless it is a 200 with a whole HTML document."""
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif "</html>" not in response.text:
                response.failure("incomplete page")

    def search(self, name: str, **params) -> None:
        # doseq: a list repeats the parameter (sector=film&sector=music).
        self.get(f"/{self.language}/programmes/?{urlencode(params, doseq=True)}", name)

    def words(self) -> str:
        return self.random.choice(WORDS[self.language])

    def filters(self) -> dict:
        """One to three filters, as people combine them on the search page."""
        choices = {
            "sector": lambda: self.random.sample(SECTORS, self.random.choice([1, 1, 1, 2])),
            "city": lambda: self.random.choice(CITIES),
            "type": lambda: self.random.choice(TYPES),
            "amount_max": lambda: self.random.choice(AMOUNTS_MAX),
            "amount_min": lambda: self.random.choice(AMOUNTS_MIN),
            "closing_within": lambda: self.random.choice(["7", "30", "90"]),
            "business_size": lambda: self.random.choice(SIZES),
            "applicant": lambda: self.random.choice(APPLICANTS),
        }
        names = self.random.sample(list(choices), self.random.choice([1, 1, 2, 2, 3]))
        params = {name: choices[name]() for name in names}
        if self.random.random() < 0.2:
            params["sort"] = self.random.choice(SORTS)
        return params

    # Tasks: weights are the share of page views ---------------------------------------------

    @task(10)
    def home(self):
        self.get(f"/{self.language}/", "home")

    @task(20)
    def search_words(self):
        self.search("search: words", q=self.words())

    @task(15)
    def search_filters(self):
        self.search("search: filters", **self.filters())

    @task(10)
    def search_words_and_filters(self):
        self.search("search: words + filters", q=self.words(), **self.filters())

    @task(5)
    def search_deep_page(self):
        if self.random.random() < 0.5:
            self.search("search: deep page", page=self.random.randint(2, 250))
        else:
            self.search(
                "search: deep page", sector=self.random.choice(SECTORS), page=self.random.randint(2, 30)
            )

    @task(30)
    def programme(self):
        self.get(f"/{self.language}/programmes/{self.random.choice(programme_slugs)}/", "programme page")

    @task(5)
    def organisation(self):
        self.get(
            f"/{self.language}/organisations/{self.random.choice(organisation_slugs)}/", "organisation page"
        )

    @task(5)
    def search_page(self):
        # The search page as reached from the home page's menu: no parameters at all.
        self.get(f"/{self.language}/programmes/", "search: first page")

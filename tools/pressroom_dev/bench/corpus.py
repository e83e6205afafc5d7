# ruff: noqa: E501  (templates are kept as Hugo and Jinja2 read them, one line a tag)
"""A seeded corpus shaped like the news site: Jekyll posts of about 8 KB (YAML front matter with a
+0800 date, raw `<p>` paragraphs of Chinese text, a Markdown autolink and footer links), spread
over 200 categories with Zipf sizes; and the same posts as a Hugo site.

Nothing here is the news site's text: paragraphs are drawn from a fixed character set with a
seeded random generator, so one seed gives the same bytes on every machine."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

# Common characters of Chinese news text (no two alike), and the punctuation between clauses.
CHARACTERS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
    "子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体"
    "制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内"
    "数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提"
    "直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计"
    "别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海"
    "口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身"
    "车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石"
    "记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青"
    "省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型"
    "眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严港股债银基券融资"
)
PUNCTUATION = "，，，、。；"
SYLLABLES = [
    "bei",
    "jing",
    "shang",
    "hai",
    "guang",
    "zhou",
    "shen",
    "zhen",
    "xia",
    "men",
    "hang",
    "nan",
    "tian",
    "jin",
    "cheng",
    "du",
    "wu",
    "han",
    "xi",
    "an",
    "chong",
    "qing",
    "su",
    "ning",
    "bo",
    "qing",
    "dao",
    "da",
    "lian",
    "fu",
    "he",
    "zheng",
    "jiang",
    "shan",
    "dong",
    "ri",
    "bao",
    "wan",
    "zhi",
    "quan",
    "zheng",
    "cai",
    "lian",
    "she",
    "shi",
    "jie",
    "jing",
    "ji",
    "xin",
    "wen",
    "dian",
    "zi",
    "ke",
    "ji",
    "tou",
    "zi",
    "huo",
    "bi",
    "qi",
    "huo",
]
SOURCE_SUFFIXES = ("日报", "晚报", "证券报", "财经", "新闻网", "时报")
CATEGORIES = 200
TARGET_BYTES = 8000
START = datetime(2022, 1, 1, 6, 0, 0, tzinfo=timezone(timedelta(hours=8)))
SITE_HOST = "finews.withounder.com"


@dataclass(frozen=True)
class Category:
    slug: str  # pinyin, as the news site's categories are
    name: str  # its Chinese name, the posts' tag


@dataclass(frozen=True)
class CorpusPost:
    file_name: str  # `YYYY-MM-DD-<id>.md`, as the site's generator names posts
    title: str
    date: datetime  # +0800
    category: Category
    paragraphs: tuple[str, ...]
    link: str  # the autolinked share URL

    @property
    def tag(self) -> str:
        return self.category.name + "新闻"

    def body(self) -> str:
        html = "".join(f"<p>{paragraph}</p>" for paragraph in self.paragraphs)
        media = f'<p class="em_media">（文章来源：{self.category.name}）</p>'
        return (
            f"{html}\n {media}\n\n<{self.link}>\n\n"
            f"[返回{self.tag}](//{SITE_HOST}/category/{self.category.slug}.html)"
            f"｜[返回首页](//{SITE_HOST}/)\n"
        )

    def jekyll(self) -> bytes:
        """The post as the news site's generator writes it."""
        front = "\n".join(
            [
                "---",
                "layout: post",
                f'title: "{self.title}"',
                f"date: {self.date.strftime('%Y-%m-%d %H:%M:%S %z')}",
                f"categories: {self.category.slug}",
                f"tags: {self.tag}",
                "---",
            ]
        )
        return f"{front}\n{self.body()}".encode()

    def hugo(self) -> bytes:
        """The same post for Hugo: YAML front matter Hugo accepts (ISO 8601 date, lists)."""
        front = "\n".join(
            [
                "---",
                f'title: "{self.title}"',
                f"date: {self.date.isoformat()}",
                f"slug: {self.file_name.removesuffix('.md')[11:]}",
                f"categories: [{self.category.slug}]",
                f"tags: [{self.tag}]",
                "---",
            ]
        )
        return f"{front}\n{self.body()}".encode()


def zipf_sizes(total: int, buckets: int = CATEGORIES, exponent: float = 1.0) -> list[int]:
    """`total` split over `buckets` in proportion to 1/k^exponent (largest remainders), largest
    first; the sizes add up to `total` exactly."""
    weights = [1 / (rank**exponent) for rank in range(1, buckets + 1)]
    scale = total / sum(weights)
    shares = [weight * scale for weight in weights]
    sizes = [int(share) for share in shares]
    by_remainder = sorted(range(buckets), key=lambda i: (sizes[i] - shares[i], i))
    for index in by_remainder[: total - sum(sizes)]:
        sizes[index] += 1
    return sizes


def categories(rng: random.Random, count: int = CATEGORIES) -> list[Category]:
    """`count` categories with distinct pinyin slugs and distinct Chinese names."""
    found: list[Category] = []
    slugs: set[str] = set()
    names: set[str] = set()
    while len(found) < count:
        slug = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        name = "".join(rng.choice(CHARACTERS) for _ in range(2)) + rng.choice(SOURCE_SUFFIXES)
        if slug in slugs or name in names:
            continue
        slugs.add(slug)
        names.add(name)
        found.append(Category(slug, name))
    return found


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = []
    for _ in range(rng.randint(low, high)):
        words.append("".join(rng.choice(CHARACTERS) for _ in range(rng.randint(2, 12))))
        words.append(rng.choice(PUNCTUATION[:-2]))
    return "".join(words[:-1]) + "。"


def generate(posts: int, seed: int = 12) -> list[CorpusPost]:
    """`posts` posts, dated in order from 2022-01-01 about 30 a day, over 200 categories of Zipf
    sizes (each post in one category, tagged with its name). The same arguments give the same
    posts."""
    rng = random.Random(seed)
    terms = categories(rng)
    assignment = [
        term
        for term, size in zip(terms, zipf_sizes(posts, len(terms)), strict=True)
        for _ in range(size)
    ]
    rng.shuffle(assignment)
    when = START
    made = []
    for number, category in enumerate(assignment):
        when += timedelta(seconds=rng.randint(60, 5700))
        identifier = f"NW{when:%Y%m%d}{number:08d}"
        paragraphs: list[str] = []
        size = 0
        while size < TARGET_BYTES - 700:  # front matter, links and markup make up the rest
            paragraph = _sentence(rng, 4, 14)
            paragraphs.append(paragraph)
            size += len(paragraph.encode()) + 7
        made.append(
            CorpusPost(
                file_name=f"{when:%Y-%m-%d}-{identifier}.md",
                title=_sentence(rng, 2, 4).rstrip("。")[:40],
                date=when,
                category=category,
                paragraphs=tuple(paragraphs),
                link=f"https://finews.example.com/html_News/NewsShare.html?infoCode={identifier}",
            )
        )
    return made


def write_jekyll(posts: list[CorpusPost], folder: Path) -> Path:
    """The posts as a Jekyll `_posts` folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for post in posts:
        (folder / post.file_name).write_bytes(post.jekyll())
    return folder


HUGO_CONFIG = """\
baseURL = "https://finews.withounder.com/"
languageCode = "zh-cn"
title = "金融消息"
timeZone = "Asia/Shanghai"
paginate = 50
disableKinds = []
[taxonomies]
  category = "categories"
  tag = "tags"
[permalinks]
  posts = "/:year/:month/:day/:slug.html"
[markup.goldmark.renderer]
  unsafe = true
"""

HUGO_BASEOF = """\
<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{{ .Title }} | {{ .Site.Title }}</title>
<link rel="canonical" href="{{ .Permalink }}"></head>
<body><header><a href="/">{{ .Site.Title }}</a></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer>{{ .Site.Title }} · <a href="/">首页</a></footer>
</body></html>
"""

HUGO_SINGLE = """\
{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2006-01-02 15:04:05 -0700" }}</time></p>
<p>分类：{{ range .Params.categories }}<a href="{{ "categories/" | relURL }}{{ . | urlize }}/">{{ . }}</a>{{ end }}</p>
<div class="post-body">{{ .Content }}</div>
<p>标签：{{ range .Params.tags }}<a href="{{ "tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a>{{ end }}</p>
</article>{{ end }}
"""

HUGO_LIST = """\
{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
<span>{{ .Date.Format "2006-01-02 15:04" }}</span> <span>{{ .Summary | plainify | truncate 140 }}</span></li>{{ end }}</ul>
{{ template "_internal/pagination.html" . }}{{ end }}
"""

HUGO_TERMS = """\
{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>{{ end }}
"""


def write_hugo(posts: list[CorpusPost], root: Path) -> Path:
    """The posts as a Hugo site: content/posts/*.md, a minimal layout with single, list and
    taxonomy templates; `hugo --quiet -d OUT` in `root` builds it."""
    (root / "content" / "posts").mkdir(parents=True, exist_ok=True)
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True, exist_ok=True)
    (root / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in (
        ("baseof.html", HUGO_BASEOF),
        ("single.html", HUGO_SINGLE),
        ("list.html", HUGO_LIST),
        ("terms.html", HUGO_TERMS),
    ):
        (layouts / name).write_text(text, encoding="utf-8")
    for post in posts:
        (root / "content" / "posts" / post.file_name).write_bytes(post.hugo())
    return root

"""The site's Jinja2 templates: one Environment per container, autoescaped and strict."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pressroom.config import SiteConfig
from pressroom.urls import SiteUrls, href

# What XML 1.0 cannot carry at all, even escaped (C0 controls but tab and line ends, U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Text as an XML document can hold it: characters XML 1.0 forbids are dropped."""
    return _NOT_XML.sub("", str(value))


class SiteRenderer:
    """Renders a template with its context to text; knows nothing of where pages are stored.
    Each kind of page (pressroom.pages) decides its template, context and bytes."""

    def __init__(self, config: SiteConfig, layouts_dir: Path) -> None:
        self.config = config
        self.urls = SiteUrls(config)
        self.env = Environment(
            loader=FileSystemLoader(str(layouts_dir)),
            autoescape=select_autoescape(["html", "xml"], default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # a container's templates never change
        )
        self.env.filters["href"] = href
        self.env.filters["xml_text"] = xml_text
        self.env.globals.update(site=config, urls=self.urls)
        self._html_layouts = frozenset(path.name for path in layouts_dir.glob("*.html"))

    @property
    def post_layouts(self) -> frozenset[str]:
        """Layouts a post may name: every HTML layout but `base`, partials (`_name`) and the
        templates of the registered kinds of page."""
        from pressroom.pages import site_templates

        reserved = site_templates() | {"base.html"}
        return frozenset(
            name.removesuffix(".html")
            for name in self._html_layouts - reserved
            if not name.startswith("_")
        )

    @classmethod
    def from_directory(cls, templates_dir: str | Path) -> SiteRenderer:
        """Load `site.yaml` and `layouts/` from a templates folder (the templates layer)."""
        root = Path(templates_dir)
        return cls(SiteConfig.load(root / "site.yaml"), root / "layouts")

    def render(self, template: str, **context: Any) -> str:
        """Render `layouts/<template>` (a file name, e.g. `home.html`)."""
        return self.env.get_template(template).render(**context)

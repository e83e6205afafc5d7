"""Content parsing: a source file's bytes to a validated Post.

Pure: no AWS, no environment, no clock. `source` decodes, `frontmatter` reads the YAML,
`fields` applies each field's rules (Jekyll 4 semantics), `body` renders the body's HTML.
"""

from pressroom.content.body import excerpt, internal_links, render_markdown
from pressroom.content.fields import parse_post
from pressroom.content.source import decode_source

__all__ = ["decode_source", "excerpt", "internal_links", "parse_post", "render_markdown"]

"""Front matter: a strict YAML subset (no YAML 1.1 surprises, aliases, tags or duplicate keys),
and errors an editor can act on. The rules are PyYAML's pure-Python loader with our resolvers
and constructors; libyaml reads what it reads the same way, and that loader reads the rest."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import yaml
from frontmatter.default_handlers import YAMLHandler

from pressroom.errors import InvalidPost
from pressroom.model import PostProblem


class _StrictMappings(yaml.constructor.SafeConstructor):
    """Mappings whose keys are plain words, each written once."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool | None):
                raise yaml.constructor.ConstructorError(
                    None, None, "found a key that is not a plain word", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _FrontMatterLoader(_StrictMappings, yaml.SafeLoader):
    """Safe YAML that keeps `10:00`, `yes`, `on` and dates as strings and rejects duplicate keys."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}  # type: ignore[misc]
    # Constructors of our own, so that what other code registers on yaml.SafeLoader later (SAM
    # CLI's YAML helper adds a `!` multi-constructor to it) never reaches front matter.
    yaml_constructors: ClassVar[dict[Any, Any]] = dict(yaml.SafeLoader.yaml_constructors)
    yaml_multi_constructors: ClassVar[dict[Any, Any]] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Aliases are refused outright: "billion laughs" documents cannot expand.
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "an alias (*name) is not allowed", mark)
        return super().compose_node(parent, index)


# Only unambiguous scalars are typed; `10:00`, `yes`, `3.10`, `+1`, dates and numbers of more
# than 18 digits stay text.
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^-?(?:0|[1-9][0-9]{0,17})$", "-0123456789"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _FrontMatterLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))

_CLoader: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CFrontMatterLoader(_StrictMappings, yaml.CSafeLoader):
        """The same rules on libyaml's parser and composer (about ten times faster)."""

        yaml_implicit_resolvers = _FrontMatterLoader.yaml_implicit_resolvers
        yaml_constructors = _FrontMatterLoader.yaml_constructors
        yaml_multi_constructors = _FrontMatterLoader.yaml_multi_constructors

    _CLoader = _CFrontMatterLoader

# Text only the pure-Python loader reads: tags and directives, tabs, line breaks and marks the
# two parsers treat apart, and what else they were found to read differently.
_PURE_PYTHON_ONLY = re.compile(
    r"[\t\r\x85\u2028\u2029\ufeff]|[|>][-+0-9]*#|(?:^|[\s\[\]{},:?-])!|^%", re.M
)
# Every collection in the text owns one of these marks, so their count bounds its nesting:
# libyaml's composer recurses in C, and text nested thousands deep would overflow the stack.
_NESTING_MARKS = "[{-?:"
_MAX_NESTING_MARKS = 1000
# Front matter nested deeper than this is read by the pure-Python loader, whose recursion
# limit decides it as it always has.
_MAX_DEPTH = 50


def load_front_matter(text: str) -> Any:
    """The YAML of front matter, read by libyaml when it reads it as the pure-Python loader
    would and without error; otherwise, and for every error, by the pure-Python loader."""
    if (
        _CLoader is None
        or _PURE_PYTHON_ONLY.search(text)
        or ("?" in text and ("[" in text or "{" in text))  # `[a?b]` is one item to libyaml
        or (marks := sum(text.count(mark) for mark in _NESTING_MARKS)) > _MAX_NESTING_MARKS
    ):
        return load_front_matter_pure(text)
    loader = _CLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        # Without `!`, `&` or `*` nothing is tagged or reached twice, and under _MAX_DEPTH
        # nesting marks nothing is nested as deep: the check can only pass.
        plain = not any(mark in text for mark in "!&*") and marks < _MAX_DEPTH
        if not plain and not _composed_alike(node, loader.resolve):
            return load_front_matter_pure(text)
        return loader.construct_document(node)
    except Exception:
        return load_front_matter_pure(text)
    finally:
        loader.dispose()


def load_front_matter_pure(text: str) -> Any:
    """The YAML of front matter by PyYAML's pure-Python loader: the reference semantics."""
    return yaml.load(text, Loader=_FrontMatterLoader)


def _composed_alike(root: yaml.Node, resolve: Any) -> bool:
    """Whether libyaml's node tree is the one the pure-Python composer builds: no node reached
    twice (an alias, which that composer refuses), no explicit tag, at most `_MAX_DEPTH` deep."""
    seen: set[int] = set()
    pending: list[tuple[yaml.Node, int]] = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > _MAX_DEPTH or id(node) in seen:
            return False
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            plain = not node.style
            if node.tag != resolve(yaml.ScalarNode, node.value, (plain, not plain)):
                return False
        elif isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                return False
            pending.extend((item, depth + 1) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                return False
            for key, value in node.value:
                pending.append((key, depth + 1))
                pending.append((value, depth + 1))
        else:
            return False
    return True


class _FrontMatterHandler(YAMLHandler):
    """python-frontmatter's YAML handler with an exact boundary (blank lines are content)."""

    FM_BOUNDARY = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)

    def load(self, fm: str, **kwargs: object) -> Any:
        return load_front_matter(fm)


def split_front_matter(
    source_key: str, text: str, max_body_chars: int
) -> tuple[dict[str, Any], str]:
    first_line = text.split("\n", 1)[0]
    if first_line.rstrip() != "---":
        if text.lstrip().startswith("---"):
            blank = len(text) - len(text.lstrip())
            line = text[:blank].count("\n") + 1
            problem = PostProblem(
                "front matter",
                f"does not start on line 1 (line 1 is {'blank' if line > 1 else 'indented'})",
                "delete everything before the first `---`",
                1,
            )
        else:
            problem = PostProblem(
                "front matter",
                "is missing: the file must begin with a line `---`",
                "start the file with `---`, then `title: ...`, `date: ...`, then `---`",
                1,
            )
        raise InvalidPost(source_key, [problem])
    if not re.search(r"^-{3,}[ \t]*$", text.split("\n", 1)[1] if "\n" in text else "", re.M):
        raise InvalidPost(
            source_key,
            [
                PostProblem(
                    "front matter", "is not closed", "add a line `---` after the last key", 1
                )
            ],
        )
    handler = _FrontMatterHandler()
    front, body = handler.split(text)
    body = body.removeprefix("\n")
    if len(body) > max_body_chars:  # before the YAML is read or the body rendered
        raise InvalidPost(
            source_key,
            [
                PostProblem(
                    "body",
                    f"has {len(body):,} characters, over the limit of {max_body_chars:,}",
                    "split the post into parts",
                )
            ],
        )
    try:
        metadata = handler.load(front) if front.strip() else {}
    except yaml.YAMLError as error:
        raise InvalidPost(source_key, [_yaml_problem(error, text)]) from None
    except (RecursionError, ValueError, OverflowError) as error:
        raise InvalidPost(
            source_key, [PostProblem("front matter", f"cannot be read ({error})", "simplify it")]
        ) from None
    if not isinstance(metadata, dict):
        raise InvalidPost(
            source_key,
            [PostProblem("front matter", "is not a list of `key: value` lines", "see README", 2)],
        )
    bad_keys = [key for key in metadata if not isinstance(key, str)]
    if bad_keys:
        raise InvalidPost(
            source_key,
            [PostProblem("front matter", f"key {bad_keys[0]!r} is not text", "use words as keys")],
        )
    problems: list[PostProblem] = []
    metadata = {key: _readable(value, key, problems) for key, value in metadata.items()}
    if problems:
        raise InvalidPost(source_key, problems)
    return metadata, body


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _readable(value: Any, field: str, problems: list[PostProblem]) -> Any:
    """Front-matter text as characters a page can hold: `\\u` escapes of surrogate pairs (JSON
    style emoji) joined; a lone half of a pair, or an invisible control character, refused."""
    if isinstance(value, dict):
        return {key: _readable(item, field, problems) for key, item in value.items()}
    if isinstance(value, list):
        return [_readable(item, field, problems) for item in value]
    if not isinstance(value, str) or value.isprintable():  # no surrogate, no control character
        return value
    if any("\ud800" <= char <= "\udfff" for char in value):
        try:
            value = value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            problems.append(
                PostProblem(
                    field,
                    "contains half of a \\u escape pair (an emoji or rare character cut in two)",
                    "write the character itself instead of its \\u escape",
                )
            )
            return value
    control = _CONTROL.search(value)
    if control:
        problems.append(
            PostProblem(
                field,
                f"contains the invisible control character U+{ord(control.group()):04X}",
                "delete it (it may come from a `\\x`, `\\0` or `\\e` escape or a copy and paste)",
            )
        )
    return value


_UNCLOSED = {
    "while scanning a quoted scalar": "quote",
    "while parsing a flow sequence": "`[`",
    "while parsing a flow mapping": "`{`",
}


def _yaml_problem(error: yaml.YAMLError, text: str) -> PostProblem:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = str(getattr(error, "problem", None) or error)
    lines = text.split("\n")
    source_line = lines[line - 1].strip() if line and line <= len(lines) else ""
    shown = f" in `{source_line[:80]}`" if source_line else ""
    message = f"is not valid YAML ({problem}){shown}"
    hint = "quote values that contain `: ` or start with `[`, `{`, `*`, `&`, `!` or `|`"
    opened = _UNCLOSED.get(str(getattr(error, "context", "") or ""))
    context_mark = getattr(error, "context_mark", None)
    unclosed = "end of stream" in problem or (
        mark is not None and context_mark is not None and mark.line > context_mark.line
    )
    if opened and context_mark is not None and unclosed:
        line = context_mark.line + 1
        start = lines[line - 1].strip() if line <= len(lines) else ""
        message = f"has a {opened} that is never closed in `{start[:80]}`"
        hint = f"close the {opened} on the same line"
        if opened != "quote":
            hint += ", or quote the whole value"
    elif "expected ','" in problem:
        hint = "separate the items with `, ` and put an item with quotes or commas in single quotes"
    elif "duplicate key" in problem:
        message, hint = f"has a {problem}", "keep only one line for each key"
    elif "alias" in problem:
        message = f"uses an alias (*name), which is not allowed{shown}"
        hint = "write the value out in full, or quote a value that starts with `*`"
    elif "could not determine a constructor" in problem:
        message = f"uses a tag that is not allowed{shown}"
        hint = "remove the `!!...` or `!...` tag, or quote the value"
    elif "not a plain word" in problem:
        hint = "write each key as a plain word followed by `: `, like `title: ...`"
    elif "\\t" in problem or "\t" in source_line:
        hint = "indent with spaces, not tabs"
    elif _has_inner_quote(source_line):
        key = source_line.split(":", 1)[0]
        message = f"{key} contains a double quote inside double quotes{shown}"
        hint = (
            f'write \\" for each quote inside the value, or wrap the {key} in single quotes, '
            "or use “” or 「」"
        )
    return PostProblem("front matter", message, hint, line)


def _has_inner_quote(line: str) -> bool:
    _, _, value = line.partition(":")
    value = value.strip()
    return value.startswith('"') and value.replace('\\"', "").count('"') > 2

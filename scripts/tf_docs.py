#!/usr/bin/env python3
"""Write (or check) the inputs/outputs tables of each Terraform module's README.

terraform-docs cannot be installed here, so this is our own small HCL reader: it finds the top-level
`variable` and `output` blocks of a module's `*.tf` files and reads their `type`, `description`, `default`,
`sensitive` and `ephemeral` attributes as source text (enough for documentation; it does not evaluate HCL).
The tables go between the markers below in the module's README.md; `--check` fails when one is stale.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from repository_paths import TERRAFORM_DIR

BEGIN_MARKER = "<!-- BEGIN_TF_DOCS -->"
END_MARKER = "<!-- END_TF_DOCS -->"

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")
_CLOSERS = {"{": "}", "[": "]", "(": ")"}


class HclSyntaxError(ValueError):
    """The file is not HCL this reader understands (unbalanced braces, unterminated string...)."""


@dataclass(frozen=True)
class Block:
    """A block as source text: its type, labels and the body between its braces."""

    type: str
    labels: tuple[str, ...]
    body: str


@dataclass
class Variable:
    name: str
    type: str | None = None
    description: str = ""
    default: str | None = None
    sensitive: bool = False
    ephemeral: bool = False

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass
class Output:
    name: str
    description: str = ""
    sensitive: bool = False


@dataclass
class ModuleDoc:
    variables: list[Variable] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)


# --- scanning -------------------------------------------------------------------------------------------


def _skip_comment(text: str, i: int) -> int:
    """If a comment starts at i, return the index after it; else return i."""
    if text.startswith("#", i) or text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        if end < 0:
            raise HclSyntaxError("unterminated /* comment")
        return end + 2
    return i


def _skip_string(text: str, i: int) -> int:
    """text[i] is '"'; return the index after the closing quote, skipping ${...} templates."""
    i += 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            return i + 1
        if text.startswith("${", i) or text.startswith("%{", i):
            i = _skip_balanced(text, i + 1)
            continue
        if char == "\n":
            raise HclSyntaxError("newline in a quoted string")
        i += 1
    raise HclSyntaxError("unterminated string")


def _skip_heredoc(text: str, i: int) -> int | None:
    match = _HEREDOC.match(text, i)
    if not match:
        return None
    marker = match.group(1)
    end = re.compile(rf"^[ \t]*{re.escape(marker)}[ \t]*$", re.MULTILINE).search(text, match.end())
    if not end:
        raise HclSyntaxError(f"unterminated heredoc <<{marker}")
    return end.end()


def _skip_balanced(text: str, i: int) -> int:
    """text[i] is an opening bracket; return the index after its matching closer."""
    stack = [_CLOSERS[text[i]]]
    i += 1
    while i < len(text):
        after_comment = _skip_comment(text, i)
        if after_comment != i:
            i = after_comment
            continue
        char = text[i]
        if char == '"':
            i = _skip_string(text, i)
            continue
        if char == "<":
            after_heredoc = _skip_heredoc(text, i)
            if after_heredoc is not None:
                i = after_heredoc
                continue
        if char in _CLOSERS:
            stack.append(_CLOSERS[char])
        elif char in "}])":
            if not stack or stack.pop() != char:
                raise HclSyntaxError(f"unbalanced {char!r}")
            if not stack:
                return i + 1
        i += 1
    raise HclSyntaxError("unbalanced brackets at end of file")


def _skip_space(text: str, i: int, newlines: bool = True) -> int:
    while i < len(text):
        after_comment = _skip_comment(text, i)
        if after_comment != i:
            i = after_comment
            continue
        if text[i] in " \t\r" or (newlines and text[i] == "\n"):
            i += 1
            continue
        break
    return i


def _expression_end(text: str, i: int) -> int:
    """Return the end of the attribute value starting at i: the first newline outside brackets."""
    while i < len(text):
        char = text[i]
        if char == "\n":
            return i
        if text.startswith("#", i) or text.startswith("//", i):
            return _skip_comment(text, i)
        if char == '"':
            i = _skip_string(text, i)
            continue
        if char == "<":
            after_heredoc = _skip_heredoc(text, i)
            if after_heredoc is not None:
                i = after_heredoc
                continue
        if char in _CLOSERS:
            i = _skip_balanced(text, i)
            continue
        i += 1
    return i


def parse_body(text: str) -> tuple[dict[str, str], list[Block]]:
    """Split HCL text into its attributes (name -> value source) and blocks, at the top level only."""
    attributes: dict[str, str] = {}
    blocks: list[Block] = []
    i = _skip_space(text, 0)
    while i < len(text):
        match = _IDENT.match(text, i)
        if not match:
            raise HclSyntaxError(f"unexpected {text[i : i + 20]!r}")
        name = match.group(0)
        i = _skip_space(text, match.end(), newlines=False)
        if text.startswith("=", i) and not text.startswith("==", i):
            start = _skip_space(text, i + 1, newlines=False)
            end = _expression_end(text, start)
            attributes[name] = _strip_trailing_comment(text[start:end]).strip()
            i = _skip_space(text, end)
            continue
        labels: list[str] = []
        while i < len(text) and text[i] != "{":
            if text[i] == '"':
                end = _skip_string(text, i)
                labels.append(json.loads(text[i:end]))
                i = _skip_space(text, end, newlines=False)
                continue
            label = _IDENT.match(text, i)
            if not label:
                raise HclSyntaxError(f"unexpected {text[i : i + 20]!r} after {name!r}")
            labels.append(label.group(0))
            i = _skip_space(text, label.end(), newlines=False)
        if i >= len(text):
            raise HclSyntaxError(f"block {name!r} has no body")
        end = _skip_balanced(text, i)
        blocks.append(Block(name, tuple(labels), text[i + 1 : end - 1]))
        i = _skip_space(text, end)
    return attributes, blocks


def _strip_trailing_comment(value: str) -> str:
    """Drop a trailing `# comment` that follows a single-line value (outside strings)."""
    i = 0
    while i < len(value):
        if value[i] == '"':
            i = _skip_string(value, i)
            continue
        if value[i] == "<":
            after_heredoc = _skip_heredoc(value, i)
            if after_heredoc is not None:
                i = after_heredoc
                continue
        if value[i] in _CLOSERS:
            i = _skip_balanced(value, i)
            continue
        if value.startswith("#", i) or value.startswith("//", i):
            return value[:i]
        i += 1
    return value


def _string_value(source: str | None) -> str:
    if source is None:
        return ""
    source = source.strip()
    if _HEREDOC.match(source + "\n"):
        body = source.split("\n", 1)[1].rsplit("\n", 1)[0] if "\n" in source else ""
        return " ".join(textwrap.dedent(body).split())
    if source.startswith('"') and source.endswith('"'):
        # HCL escapes are a superset of what we use in descriptions; JSON decodes the common ones.
        return json.loads(source.replace("\\$", "$"))
    return source


# --- modules --------------------------------------------------------------------------------------------


def read_module(module_dir: Path) -> ModuleDoc:
    """Read the variable and output blocks of every *.tf file in module_dir (not subdirectories)."""
    doc = ModuleDoc()
    for path in sorted(module_dir.glob("*.tf")):
        try:
            _, blocks = parse_body(path.read_text(encoding="utf-8"))
        except HclSyntaxError as error:
            raise HclSyntaxError(f"{path}: {error}") from None
        for block in blocks:
            if block.type not in ("variable", "output") or len(block.labels) != 1:
                continue
            attributes, _ = parse_body(block.body)
            if block.type == "variable":
                doc.variables.append(
                    Variable(
                        name=block.labels[0],
                        type=attributes.get("type"),
                        description=_string_value(attributes.get("description")),
                        default=attributes.get("default"),
                        sensitive=attributes.get("sensitive") == "true",
                        ephemeral=attributes.get("ephemeral") == "true",
                    )
                )
            else:
                doc.outputs.append(
                    Output(
                        name=block.labels[0],
                        description=_string_value(attributes.get("description")),
                        sensitive=attributes.get("sensitive") == "true",
                    )
                )
    doc.variables.sort(key=lambda v: (not v.required, v.name))
    doc.outputs.sort(key=lambda o: o.name)
    return doc


def variable_defaults(module_dir: Path) -> dict[str, str | None]:
    """Map each variable of a module to the source text of its default (None when required)."""
    return {v.name: v.default for v in read_module(module_dir).variables}


def _cell(text: str | None) -> str:
    if text is None:
        return "n/a"
    collapsed = " ".join(text.split())
    return collapsed.replace("|", "\\|")


def _code(text: str | None) -> str:
    if text is None:
        return "n/a"
    return "`" + _cell(text).replace("`", "'") + "`"


def render(doc: ModuleDoc) -> str:
    lines = [BEGIN_MARKER, "## Inputs", ""]
    if doc.variables:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for v in doc.variables:
            flags = [flag for flag, on in (("sensitive", v.sensitive), ("ephemeral", v.ephemeral)) if on]
            description = _cell(v.description) + (f" ({', '.join(flags)})" if flags else "")
            lines.append(
                f"| `{v.name}` | {description} | {_code(v.type or 'any')} | {_code(v.default)} | "
                f"{'yes' if v.required else 'no'} |"
            )
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    if doc.outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        for o in doc.outputs:
            lines.append(f"| `{o.name}` | {_cell(o.description)}{' (sensitive)' if o.sensitive else ''} |")
    else:
        lines.append("No outputs.")
    lines.append(END_MARKER)
    return "\n".join(lines)


def updated_readme(readme_text: str, doc: ModuleDoc) -> str:
    """The README text with the generated section replaced (appended when the markers are missing)."""
    section = render(doc)
    start = readme_text.find(BEGIN_MARKER)
    end = readme_text.find(END_MARKER)
    if start < 0 or end < start:
        return readme_text.rstrip("\n") + "\n\n" + section + "\n"
    return readme_text[:start] + section + readme_text[end + len(END_MARKER) :]


def module_dirs(terraform_dir: Path) -> list[Path]:
    """The root module, every module under modules/ and every module of the acceptance configuration under
    acceptance/modules/ (examples and the acceptance configuration itself document themselves)."""
    dirs = [terraform_dir]
    for modules in (terraform_dir / "modules", terraform_dir / "acceptance" / "modules"):
        if modules.is_dir():
            dirs += sorted(p for p in modules.iterdir() if p.is_dir() and any(p.glob("*.tf")))
    return dirs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail when a README is stale instead of writing it"
    )
    parser.add_argument("--terraform-dir", type=Path, default=TERRAFORM_DIR)
    parser.add_argument(
        "modules",
        nargs="*",
        type=Path,
        help="module directories (default: root, modules/* and acceptance/modules/*)",
    )
    args = parser.parse_args(argv)

    stale: list[Path] = []
    for module_dir in args.modules or module_dirs(args.terraform_dir):
        readme = module_dir / "README.md"
        current = readme.read_text(encoding="utf-8") if readme.exists() else f"# {module_dir.name}\n"
        wanted = updated_readme(current, read_module(module_dir))
        if wanted == current:
            continue
        if args.check:
            stale.append(readme)
        else:
            readme.write_text(wanted, encoding="utf-8")
            print(f"tf_docs: wrote {readme}")
    if stale:
        for readme in stale:
            print(f"tf_docs: {readme} is stale; run scripts/tf_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

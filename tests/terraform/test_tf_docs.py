"""scripts/tf_docs.py: our small HCL reader and the README tables it keeps current."""

from __future__ import annotations

from pathlib import Path

import pytest

import tf_docs
from sp_reports_harness.repository import REPO_ROOT

MODULE = """
# A comment with "quotes" and { braces }
variable "name_prefix" {
  type        = string
  description = "Prefix of every name, e.g. \\"acme\\" (see ${path.module})."

  validation {
    condition     = can(regex("^[a-z]{1,24}$", var.name_prefix)) # trailing comment
    error_message = "name_prefix must be {lowercase}."
  }
}

variable "settings" {
  description = "Nested settings."
  type = object({
    size = optional(number, 1) // inline comment
    tags = optional(map(string), {})
  })
  default = {
    size = 2
    tags = { Team = "reports" }
  }
}

variable "policy" {
  type        = string
  description = <<-EOT
    Heredoc text with } and " inside.
  EOT
  default     = null
  sensitive   = true
}

resource "aws_sqs_queue" "this" {
  name = "${var.name_prefix}-queue"
  /* block comment { */
}

output "queue_arn" {
  description = "ARN of the queue | with a pipe."
  value       = aws_sqs_queue.this.arn
}
"""


@pytest.fixture
def module(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(MODULE, encoding="utf-8")
    return tmp_path


def test_variables_are_read_with_type_description_and_default(module):
    doc = tf_docs.read_module(module)
    variables = {v.name: v for v in doc.variables}

    assert set(variables) == {"name_prefix", "settings", "policy"}
    assert variables["name_prefix"].type == "string"
    assert variables["name_prefix"].description == 'Prefix of every name, e.g. "acme" (see ${path.module}).'
    assert variables["name_prefix"].required
    assert " ".join(variables["settings"].default.split()) == '{ size = 2 tags = { Team = "reports" } }'
    assert variables["settings"].type.startswith("object({")
    assert variables["policy"].default == "null" and not variables["policy"].required
    assert variables["policy"].sensitive
    assert variables["policy"].description == 'Heredoc text with } and " inside.'


def test_outputs_are_read_and_resources_ignored(module):
    doc = tf_docs.read_module(module)

    assert [(o.name, o.description) for o in doc.outputs] == [
        ("queue_arn", "ARN of the queue | with a pipe.")
    ]


def test_required_inputs_come_first_and_cells_escape_pipes(module):
    rendered = tf_docs.render(tf_docs.read_module(module))
    rows = [line for line in rendered.splitlines() if line.startswith("| `")]

    assert rows[0].startswith("| `name_prefix`")
    assert "with a pipe" in rendered and "queue \\| with a pipe" in rendered
    assert all(row.count(" | ") >= 1 and "\n" not in row for row in rows)


def test_readme_section_is_replaced_between_markers_and_appended_when_missing(module):
    doc = tf_docs.read_module(module)
    readme = f"# mod\n\nUsage.\n\n{tf_docs.BEGIN_MARKER}\nold table\n{tf_docs.END_MARKER}\n\nFooter.\n"

    updated = tf_docs.updated_readme(readme, doc)
    assert (
        "old table" not in updated and updated.startswith("# mod\n\nUsage.") and updated.endswith("Footer.\n")
    )
    assert "`settings`" in updated

    appended = tf_docs.updated_readme("# mod\n", doc)
    assert appended.startswith("# mod\n") and tf_docs.BEGIN_MARKER in appended


def test_check_fails_on_a_stale_readme_and_passes_once_written(module, capsys):
    (module / "README.md").write_text(
        f"# mod\n\n{tf_docs.BEGIN_MARKER}\n{tf_docs.END_MARKER}\n", encoding="utf-8"
    )

    assert tf_docs.main(["--check", str(module)]) == 1
    assert "stale" in capsys.readouterr().err
    assert tf_docs.main([str(module)]) == 0
    assert tf_docs.main(["--check", str(module)]) == 0


def test_unbalanced_braces_are_reported_with_the_file(tmp_path):
    (tmp_path / "broken.tf").write_text('variable "x" {\n  type = string\n', encoding="utf-8")

    with pytest.raises(tf_docs.HclSyntaxError, match=r"broken\.tf"):
        tf_docs.read_module(tmp_path)


def test_repository_module_readmes_are_current():
    assert tf_docs.main(["--check"]) == 0


def test_every_repository_variable_and_output_is_described():
    for module_dir in tf_docs.module_dirs(REPO_ROOT / "terraform"):
        doc = tf_docs.read_module(module_dir)
        undocumented = [v.name for v in doc.variables if not v.description or not v.type]
        undocumented += [o.name for o in doc.outputs if not o.description]
        assert not undocumented, f"{module_dir}: {undocumented}"

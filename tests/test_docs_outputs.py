# SPDX-License-Identifier: GPL-2.0-or-later
"""Every command the documentation shows with its output is run here with the
fresh build, and what tshark prints must be what the text shows.

The blocks are the ```console blocks of README.md, captures/README.md,
docs/tutorial.md, docs/tutorial-answers.md and docs/teaching.md (format:
tools/docblocks.py). `tshark` in them is the staged fresh build, run as the
unprivileged user, in a copy of captures/. A block marked with versions runs
only there; a command shown for some versions only must be shown for the
others too. On a difference the test prints a diff; `tools/doc-outputs FILE`
shows the same, and `tools/doc-outputs --update FILE` rewrites the outputs
(read the diff before committing it)."""
import difflib
import re

import pytest

import docblocks
from conftest import REPO

BLOCKS = docblocks.all_blocks()


@pytest.fixture(scope="module")
def runner(tshark):
    return docblocks.Runner(tshark.stage_.command([]), tshark.env, tshark.root / "docs-run")


def _applies(block, version):
    return version in block.versions


@pytest.mark.parametrize("block", [b for b in BLOCKS if not b.live], ids=lambda b: b.name)
def test_shown_output(block, tshark, runner):
    if not _applies(block, tshark.version):
        pytest.skip(f"shown for {', '.join(block.versions)} only")
    for step in block.steps:
        rc, out, err = runner.run(step.command)
        where = f"{block.path}:{step.line}: $ {step.command}"
        assert rc == 0, f"{where}\nexited {rc}:\n{err}"
        assert err.strip() == "", f"{where}\nwrote to stderr:\n{err}"
        if not docblocks.matches(step.output, out):
            diff = "\n".join(difflib.unified_diff(
                [ln.rstrip() for ln in step.output], out, "shown in " + block.path,
                f"printed by tshark {tshark.version}", lineterm=""))
            pytest.fail(f"{where}\nthe text shows something else than the command prints:\n"
                        f"{diff}\n(tools/doc-outputs --update {block.path} rewrites it)")


def test_blocks_found():
    names = {b.path for b in BLOCKS}
    for doc in ("README.md", "captures/README.md", "docs/tutorial.md",
                "docs/tutorial-answers.md", "docs/teaching.md"):
        assert doc in names, f"{doc} shows no ```console block"


def test_version_variants_cover_every_version():
    """A command shown for some versions only is shown for every version."""
    seen = {}
    for b in BLOCKS:
        for s in b.steps:
            seen.setdefault((b.path, s.command), set()).update(b.versions)
    partial = {k: v for k, v in seen.items() if set(v) != set(docblocks.VERSIONS)}
    assert not partial, "commands shown for some versions only: " + repr(partial)


OUTPUT_AS_COMMENT = re.compile(r"^\s*tshark .*#\s*(->|\d)|^#\s+\d")


def test_no_unchecked_outputs():
    """Outputs are shown in ```console blocks only, never as comments beside a
    command in a ```sh block, where no test would compare them."""
    bad = []
    for doc in docblocks.DOCS:
        path = REPO / doc
        if not path.is_file():
            continue
        lang = None
        for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            if line.startswith("```"):
                lang = None if lang is not None else (line[3:].split() or [""])[0]
                continue
            if lang in ("sh", "shell", "bash") and OUTPUT_AS_COMMENT.search(line):
                bad.append(f"{doc}:{n}: {line}")
    assert not bad, "outputs shown outside ```console blocks:\n" + "\n".join(bad)

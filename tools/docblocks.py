# SPDX-License-Identifier: GPL-2.0-or-later
"""Command/output blocks of the documentation, and how to run them.

A block is a fenced ```console block. Lines starting with "$ " are commands
(a trailing backslash continues a command on the next line); the lines that
follow, up to the next command, are what the command prints. Words after
"console" in the fence say where the block applies:

  ```console            every supported Wireshark version
  ```console 4.0        only on 4.0 (another block shows 4.4 and 4.6)
  ```console 4.4 4.6    only on these versions
  ```console live       output of a live capture: not compared here (its
                        properties are asserted by tests/test_live_docs.py)

A line "..." in an output stands for any number of lines (used to shorten
long decodes; the lines around it are still compared).

tests/test_docs_outputs.py runs every block with the fresh build; `tools/doc-outputs`
shows the difference for one file and, with --update, rewrites the outputs
(read the diff before committing it).
"""
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = ["README.md", "captures/README.md", "docs/tutorial.md", "docs/tutorial-answers.md",
        "docs/teaching.md"]
VERSIONS = ("4.0", "4.4", "4.6")
FENCE = re.compile(r"^```console(?P<info>[^`]*)$")


@dataclass
class Step:
    command: str                  # as shown, continuation lines joined
    output: list                  # expected lines
    line: int                     # 1-based line of the "$ " in the file


@dataclass
class Block:
    path: str
    line: int                     # line of the opening fence
    versions: tuple
    live: bool
    steps: list = field(default_factory=list)
    end: int = 0                  # line of the closing fence

    @property
    def name(self):
        return f"{self.path}:{self.line}"


def parse(path, text=None):
    rel = str(Path(path).relative_to(REPO)) if Path(path).is_absolute() else str(path)
    if text is None:
        text = (REPO / rel).read_text(encoding="utf-8")
    lines = text.split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        words = m.group("info").split()
        bad = [w for w in words if w not in VERSIONS and w != "live"]
        if bad:
            raise ValueError(f"{rel}:{i + 1}: unknown word(s) {bad} after ```console")
        vers = tuple(w for w in words if w in VERSIONS) or VERSIONS
        blk = Block(rel, i + 1, vers, "live" in words)
        i += 1
        step = None
        while i < len(lines) and lines[i] != "```":
            ln = lines[i]
            if ln.startswith("$ "):
                cmd, start = ln[2:], i
                while cmd.endswith("\\") and i + 1 < len(lines) and lines[i + 1] != "```":
                    i += 1
                    cmd += "\n" + lines[i]
                step = Step(cmd, [], start + 1)
                blk.steps.append(step)
            elif step is None:
                raise ValueError(f"{rel}:{i + 1}: output before any '$ ' command")
            else:
                step.output.append(ln)
            i += 1
        if i >= len(lines):
            raise ValueError(f"{rel}:{blk.line}: unterminated ```console block")
        blk.end = i + 1
        blocks.append(blk)
        i += 1
    return blocks


def all_blocks():
    out = []
    for d in DOCS:
        if (REPO / d).is_file():
            out += parse(d)
    return out


def matches(expected, actual):
    """Line lists equal (trailing blanks ignored: -T fields ends a line with
    tabs for empty fields), where a "..." line of expected stands for any lines."""
    expected = [ln.rstrip() for ln in expected]
    actual = [ln.rstrip() for ln in actual]
    if "..." not in expected:
        return expected == actual
    head = expected[:expected.index("...")]
    rest = expected[expected.index("...") + 1:]
    if actual[:len(head)] != head:
        return False
    tail = actual[len(head):]
    return any(matches(rest, tail[k:]) for k in range(len(tail) + 1))


class Runner:
    """Runs documented commands in a copy of the repository's captures, with
    `tshark` on PATH meaning: the given command prefix (the staged fresh
    build, as nobody when root)."""

    def __init__(self, tshark_argv, env, workdir):
        self.work = Path(workdir)
        self.bin = self.work / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        wrapper = self.bin / "tshark"
        # the real tshark by its full path: the wrapper itself is "tshark" on PATH
        real = shutil.which("tshark", path=env.get("PATH", os.environ["PATH"])) or "tshark"
        argv = [real if a == "tshark" else a for a in tshark_argv]
        wrapper.write_text("#!/bin/sh\nexec " + " ".join(_sh(a) for a in argv)
                           + ' "$@"\n')
        wrapper.chmod(0o755)
        self.cwd = self.work / "repo"
        if not (self.cwd / "captures").is_dir():
            shutil.copytree(REPO / "captures", self.cwd / "captures")
        for dirpath, _dirs, files in os.walk(self.work):
            os.chmod(dirpath, 0o755)
            for f in files:
                p = os.path.join(dirpath, f)
                os.chmod(p, 0o755 if p == str(wrapper) else 0o644)
        self.env = dict(env, PATH=f"{self.bin}:{env.get('PATH', os.environ['PATH'])}")

    def run(self, command, timeout=300):
        proc = subprocess.run(["bash", "-c", command], cwd=self.cwd,
                              env=self.env, capture_output=True, text=True,
                              timeout=timeout, errors="replace")
        lines = proc.stdout.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return proc.returncode, [ln.rstrip() for ln in lines], proc.stderr


def _sh(word):
    return "'" + str(word).replace("'", "'\\''") + "'"

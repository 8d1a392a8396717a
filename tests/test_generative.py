# SPDX-License-Identifier: GPL-2.0-or-later
"""Generative tests: random traffic of fixed seeds (tools/xsangen/randtraffic.py),
valid and with a fraction of its messages damaged, decoded in one pass and
with -2 and checked against what the generator wrote
(tools/xsangen/gencheck.py). tools/xsan-gentest runs the same check over a
seed range; seeds it found failing are committed captures (vectors_random)."""
import pytest

from xsangen import gencheck, randtraffic, vectors_random

SEEDS = [1, 2, 3, 4]
CORRUPT = 0.3


def _check(tshark, traffic, path):
    problems = gencheck.check(traffic, lambda names, dfilter, two_pass:
                              tshark.fields(path, names, dfilter, two_pass))
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("corrupt", [0.0, CORRUPT], ids=["valid", "damaged"])
@pytest.mark.parametrize("seed", SEEDS)
def test_seed(tshark, tmp_path, seed, corrupt):
    traffic = randtraffic.generate(seed, corrupt)
    path = tmp_path / vectors_random.name(seed, corrupt)
    traffic.cap.write(path)
    _check(tshark, traffic, path)


@pytest.mark.parametrize("seed,corrupt", sorted(vectors_random.FOUND))
def test_found_seed(tshark, seed, corrupt):
    """A seed that once failed, from its committed capture."""
    traffic = randtraffic.generate(seed, corrupt)
    assert vectors_random.FOUND[(seed, corrupt)](traffic), "the seed no longer writes its case"
    _check(tshark, traffic, vectors_random.name(seed, corrupt))


def test_reproducible():
    a, b = randtraffic.generate(7, CORRUPT), randtraffic.generate(7, CORRUPT)
    assert [p.data for p in a.cap.packets] == [p.data for p in b.cap.packets]
    assert [p.data for p in randtraffic.generate(8).cap.packets] != [p.data for p in a.cap.packets]


def test_coverage_of_ci_seeds():
    """The CI seeds together write what the generator promises."""
    seen_ops, seen_types, kinds, depth = set(), set(), set(), 0
    v4 = v6 = tcp = udp = heur = pieces = reordered = retries = multi = False

    def walk(attrs, d):
        nonlocal depth
        for a in attrs:
            if a.tag in randtraffic.Tag._value2member_map_:
                seen_types.add(randtraffic._TYPES[randtraffic.Tag(a.tag)])
            if a.children:
                depth = max(depth, d)
                walk(a.children, d + 1)

    for seed in SEEDS:
        for corrupt in (0.0, CORRUPT):
            t = randtraffic.generate(seed, corrupt)
            for w in t.wholes:
                seen_ops.add(w.msg.opcode)
                if not w.corruption:
                    walk(w.msg.attrs, 1)
                kinds.add(w.corruption)
                tcp |= w.tcp
                udp |= not w.tcp
                pieces |= w.pieces > 1
                retries |= w.retry_of is not None
            multi |= any(len(ws) > 3 for ws in t.by_frame().values())
            order = {}
            for x in sorted(t.wires, key=lambda x: x.seq):
                order.setdefault(id(x.whole), []).append(x.msg.frag_index)
            reordered |= any(ix != sorted(ix) for ix in order.values())
            heur |= any(c.end["s"].port in randtraffic.HEUR_TCP for c in t.cap.conns)
            v6 |= any(c.end["c"].host.v6 for c in t.cap.conns)
            v4 |= any(not c.end["c"].host.v6 for c in t.cap.conns)
    assert seen_ops >= set(randtraffic.Op), set(randtraffic.Op) - seen_ops
    assert seen_types == set(randtraffic._TYPES.values())
    assert depth == randtraffic.MAX_DEPTH
    assert kinds - {None} == set(randtraffic.CORRUPTIONS)
    assert all((v4, v6, tcp, udp, heur, pieces, reordered, retries, multi))

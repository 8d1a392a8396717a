# SPDX-License-Identifier: GPL-2.0-or-later
"""The attribute table of plugin/xsan-attrs.c as a literal field array.

xsan-attrs.c registers one field per table row at run time, which no
checker can see. This writes what registration builds from the rows as the
literal hf_register_info array a dissector would have, plus the item calls
the walker makes with each field, so that the checkers judge those fields
too. The rows are read through the C preprocessor (the table's own
macros), so the table stays the one place a tag is described; the result
is compared with `tshark -G fields` of the built plugin, so a generator
that drifts from registration fails instead of checking something else.
"""
import re
import subprocess


def _split_top(text, sep=","):
    """Split at sep outside strings, parentheses and braces."""
    out, depth, cur, i = [], 0, [], 0
    while i < len(text):
        c = text[i]
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "({":
            depth += 1
        elif c in ")}":
            depth -= 1
        if c == sep and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def _block(src, start_re):
    m = re.search(start_re, src, re.M)
    if not m:
        raise ValueError(f"not found in xsan-attrs.c: {start_re}")
    end = src.index("\n};", m.end())
    return src[m.start():end + 3]


def rows(src):
    """Each table row as {member: C expression}, macros expanded by cpp."""
    members = re.findall(r"^\s+[\w\s\*]*?[\s\*](\w+);",
                         _block(src, r"^typedef struct xsan_attr_def \{"), re.M)
    defines = "\n".join(m.group(0) for m in re.finditer(
        r"^#define [A-Z]\((?:.*\\\n)*.*", src, re.M))
    table = _block(src, r"^static xsan_attr_def_t attr_table\[\] = \{")
    out = subprocess.run(["gcc", "-E", "-P", "-x", "c", "-"], input=defines + "\n" + table,
                         capture_output=True, text=True, check=True).stdout
    body = out[out.index("{", out.index("attr_table")) + 1:out.rindex("}")]
    result = []
    for init in _split_top(body):
        vals = _split_top(init.strip()[1:-1])
        if len(vals) != len(members):
            raise ValueError(f"row {init[:60]}... has {len(vals)} values for {len(members)} members")
        result.append(dict(zip(members, vals)))
    return result


def _cstr(expr):
    """The text of a C string literal (adjacent literals joined)."""
    return "".join(bytes(s, "utf-8").decode("unicode_escape") for s in re.findall(r'"((?:[^"\\]|\\.)*)"', expr))


def generate(src, fields_g=None):
    """C text to append to xsan-attrs.c; fields_g: `tshark -G fields` output to check against."""
    ftenum = dict(re.findall(r"case (XSAN_T_\w+):\s+return (FT_\w+);", src))
    size = {f"XSAN_T_{k}": int(v) for k, v in re.findall(r"\[XSAN_T_(\w+)\] = (\d+)", src)}
    defs = rows(src)
    seen = {}
    if fields_g is not None:
        for line in fields_g.splitlines():
            f = line.split("\t")
            if f[0] == "F" and len(f) >= 8:
                seen[f[2]] = {"label": f[1], "type": f[3], "base": f[5], "mask": f[6], "blurb": f[7]}
    hf_lines, ett_vars, ett_refs, calls, problems = [], [], [], [], []
    for d in defs:
        abbrev, label, blurb = _cstr(d["abbrev"]), _cstr(d["label"]), _cstr(d["blurb"])
        ft = ftenum[d["type"]]
        var = "hf_" + abbrev.replace(".", "_")
        display, strings = d["display"], d["strings"]
        # what xsan_attrs_register() does to each row
        if ft == "FT_ABSOLUTE_TIME":
            display = "ABSOLUTE_TIME_UTC"
        elif ft in ("FT_STRING", "FT_GUID", "FT_IPv4", "FT_IPv6", "FT_NONE", "FT_BOOLEAN"):
            display = "BASE_NONE"
        if d.get("units", "NULL") not in ("NULL", "0", "((void*)0)"):
            display = f"{display}|BASE_UNIT_STRING"
            strings = f"UNS({d['units']})"
        hf_lines.append(f'        {{ &{var}, {{ "{label}", "{abbrev}", {ft}, {display}, {strings}, 0x0,\n'
                        f'            "{blurb}", HFILL }} }},')
        bits = d["bits"] not in ("NULL", "((void*)0)")
        ett = None
        if d["type"] == "XSAN_T_GROUP" or bits:
            ett = "ett_" + abbrev.replace(".", "_")
            ett_vars.append(f"static int {ett} = XSAN_ETT_INIT;")
            ett_refs.append(f"&{ett}")
        # what the walker adds for the row (decode_value(), decode_group())
        n = size.get(d["type"], 0)
        length = str(n) if n else "len"
        if bits:
            calls.append(f"    proto_tree_add_bitmask(tree, tvb, 0, {var}, {ett}, {d['bits']}, ENC_BIG_ENDIAN);")
        elif d["type"] == "XSAN_T_GROUP":
            calls.append(f"    proto_item_add_subtree(proto_tree_add_item(tree, {var}, tvb, 0, len, ENC_NA), {ett});")
        elif d["type"] == "XSAN_T_TIME":
            calls.append(f"    proto_tree_add_item(tree, {var}, tvb, 0, {length}, ENC_TIME_NSECS | ENC_BIG_ENDIAN);")
        elif d["type"] == "XSAN_T_STRING":
            calls.append(f"    proto_tree_add_item(tree, {var}, tvb, 0, {length}, ENC_UTF_8);")
        else:
            calls.append(f"    proto_tree_add_item(tree, {var}, tvb, 0, {length}, ENC_BIG_ENDIAN);")
        if fields_g is not None:
            g = seen.get(abbrev)
            if not g:
                problems.append(f"{abbrev}: not registered (tshark -G fields)")
            else:
                if g["label"] != label or g["blurb"] != blurb or g["type"] != ft:
                    problems.append(f"{abbrev}: generated {label!r}/{ft} differs from tshark's "
                                    f"{g['label']!r}/{g['type']}")
                base = display.split("|")[0]
                if g["base"].startswith("BASE_") and g["base"] != base:
                    problems.append(f"{abbrev}: generated {base}, tshark says {g['base']}")
    if problems:
        raise ValueError("attr_fields.py no longer matches registration:\n  " + "\n  ".join(problems))
    hf_vars = ["static int %s;" % re.search(r"&(hf_\w+)", h).group(1) for h in hf_lines]
    return "\n".join([
        "",
        "/* ---- Generated by tests/checkers/attr_fields.py for the checkers: the",
        " * fields xsan_attrs_register() builds from attr_table, as a literal array,",
        " * and the item calls the walker makes with them. */",
        *hf_vars, *ett_vars,
        "void xsan_attr_table_register(int proto);",
        "void xsan_attr_table_items(proto_tree *tree, tvbuff_t *tvb, int len);",
        "void",
        "xsan_attr_table_register(int proto)",
        "{",
        "    static hf_register_info hf[] = {",
        *hf_lines,
        "    };",
        f"    static int *ett[] = {{ {', '.join(ett_refs)} }};",
        "    proto_register_field_array(proto, hf, array_length(hf));",
        "    proto_register_subtree_array(ett, array_length(ett));",
        "}",
        "",
        "void",
        "xsan_attr_table_items(proto_tree *tree, tvbuff_t *tvb, int len)",
        "{",
        *calls,
        "}",
        ""])

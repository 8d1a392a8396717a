# SPDX-License-Identifier: GPL-2.0-or-later
"""The Xsan metadata wire model v1 (docs: ../shared/spec/xsan-wire-v1.md).

Encoder: attr(), group(), message(), fragment() return bytes. The results
are bytes subclasses (Attr, Message) that also remember what they were built
from, so tests can derive their expectations from the very objects a
scenario wrote instead of retyping values.

Decoder: parse_header(), parse_attrs(), split_stream(): a tolerant walk used
by tests and simulators. It never raises on hostile input; problems are
reported in the returned objects.
"""
import enum
import ipaddress
import struct
import uuid
from collections import namedtuple

MAGIC = 0x5853414E  # "XSAN"
VERSION = 1
HDR_LEN = 24
MAX_BODY = 1048576
MAX_PIECES = 64
MAX_DEPTH = 4
GROUP_BIT = 0x8000
PORT = 60868

_HDR = struct.Struct(">IBBHHHIII")


class Flag(enum.IntFlag):
    RESPONSE = 0x0001
    ERROR = 0x0002
    MORE = 0x0004
    NOTIFY = 0x0008
    RETRY = 0x0010
    RESERVED = 0xFFE0


class Op(enum.IntEnum):
    HELLO = 0x0101
    MOUNT = 0x0102
    UNMOUNT = 0x0103
    KEEPALIVE = 0x0104
    GOODBYE = 0x0105
    LOOKUP = 0x0201
    GETATTR = 0x0202
    SETATTR = 0x0203
    CREATE = 0x0204
    REMOVE = 0x0205
    RENAME = 0x0206
    READDIR = 0x0207
    ALLOCATE = 0x0301
    GET_EXTENTS = 0x0302
    TRUNCATE = 0x0303
    COMMIT_SIZE = 0x0304
    TOKEN_ACQUIRE = 0x0401
    TOKEN_RELEASE = 0x0402
    TOKEN_REVOKE = 0x0403
    LOCK = 0x0404
    UNLOCK = 0x0405
    HEARTBEAT = 0x0501
    FSM_QUERY = 0x0502
    FSM_REGISTER = 0x0503
    ELECTION_VOTE = 0x0504
    ACTIVATE = 0x0505
    ADMIN = 0x0601
    STATS = 0x0602


UDP_OPS = frozenset({Op.HEARTBEAT, Op.FSM_QUERY, Op.FSM_REGISTER,
                     Op.ELECTION_VOTE, Op.ACTIVATE})
TCP_OPS = frozenset(Op) - UDP_OPS
NOTIFY_OPS = frozenset({Op.GOODBYE, Op.TOKEN_REVOKE, Op.ACTIVATE})


class Status(enum.IntEnum):
    OK = 0
    PERM = 1
    NOENT = 2
    IO = 5
    ACCES = 13
    EXIST = 17
    NOTDIR = 20
    ISDIR = 21
    INVAL = 22
    NOSPC = 28
    NAMETOOLONG = 36
    NOTEMPTY = 39
    STALE = 116
    BAD_SESSION = 0x1001
    NOT_MOUNTED = 0x1002
    TOKEN_CONFLICT = 0x1003
    LOCK_CONFLICT = 0x1004
    NOT_ACTIVE = 0x1005
    VOTE_REJECTED = 0x1006
    BAD_VERSION = 0x1007
    QUOTA_EXCEEDED = 0x1008


class Tag(enum.IntEnum):
    STATUS = 0x0001
    ERROR_TEXT = 0x0002
    CLIENT_ID = 0x0010
    HOSTNAME = 0x0011
    CLIENT_VERSION = 0x0012
    CAPABILITIES = 0x0013
    VOLUME = 0x0020
    VOLUME_UUID = 0x0021
    MOUNT_FLAGS = 0x0022
    BLOCK_SIZE = 0x0023
    STRIPE_GROUPS = 0x0024
    ROOT_INODE = 0x0025
    LEASE_SECS = 0x0026
    INODE = 0x0030
    PARENT_INODE = 0x0031
    NAME = 0x0032
    NEW_PARENT_INODE = 0x0033
    NEW_NAME = 0x0034
    FILE_TYPE = 0x0035
    MODE = 0x0036
    UID = 0x0037
    GID = 0x0038
    SIZE = 0x0039
    NLINK = 0x003A
    MTIME = 0x003B
    ATIME = 0x003C
    CTIME = 0x003D
    ATTR_MASK = 0x003E
    COOKIE = 0x003F
    COUNT = 0x0040
    EOF = 0x0041
    DIRENT = 0x8042
    OFFSET = 0x0050
    LENGTH = 0x0051
    SG_HINT = 0x0052
    EXTENT = 0x8053
    STRIPE_GROUP = 0x0054
    START_BLOCK = 0x0055
    BLOCK_COUNT = 0x0056
    TOKEN_ID = 0x0060
    TOKEN_CLASS = 0x0061
    TOKEN_MODE = 0x0062
    REVOKE_REASON = 0x0063
    LOCK_TYPE = 0x0064
    OWNER = 0x0065
    CLUSTER = 0x0070
    IPV4 = 0x0072
    IPV6 = 0x0073
    PORT = 0x0074
    PRIORITY = 0x0075
    FSM_STATE = 0x0076
    EPOCH = 0x0077
    HB_SEQ = 0x0078
    UPTIME = 0x0079
    ADMIN_COMMAND = 0x0080
    ADMIN_OUTPUT = 0x0081
    COUNTER = 0x8082
    VALUE = 0x0083


_T = {  # value type of each tag, as in the spec's tag table
    "u8": "FILE_TYPE TOKEN_CLASS TOKEN_MODE REVOKE_REASON LOCK_TYPE PRIORITY FSM_STATE",
    "u16": "STRIPE_GROUPS SG_HINT STRIPE_GROUP PORT",
    "u32": "STATUS CAPABILITIES MOUNT_FLAGS BLOCK_SIZE LEASE_SECS MODE UID GID NLINK "
           "ATTR_MASK COUNT BLOCK_COUNT OWNER EPOCH HB_SEQ UPTIME",
    "u64": "ROOT_INODE INODE PARENT_INODE NEW_PARENT_INODE SIZE COOKIE OFFSET LENGTH "
           "START_BLOCK TOKEN_ID VALUE",
    "bool": "EOF",
    "string": "ERROR_TEXT HOSTNAME CLIENT_VERSION VOLUME NAME NEW_NAME CLUSTER "
              "ADMIN_COMMAND ADMIN_OUTPUT",
    "bytes16": "CLIENT_ID VOLUME_UUID",
    "ipv4": "IPV4",
    "ipv6": "IPV6",
    "time": "MTIME ATIME CTIME",
    "group": "DIRENT EXTENT COUNTER",
}
TAG_TYPE = {Tag[n]: t for t, names in _T.items() for n in names.split()}
assert set(TAG_TYPE) == set(Tag), set(Tag) - set(TAG_TYPE)

# Fixed size of each type; None means any length.
TYPE_SIZE = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "bool": 1, "bytes16": 16,
             "ipv4": 4, "ipv6": 16, "time": 8, "string": None, "group": None}
_INT_FMT = {"u8": ">B", "u16": ">H", "u32": ">I", "u64": ">Q", "time": ">Q"}


def field(tag):
    """Display-filter field of a tag: Tag.STRIPE_GROUP -> 'xsan.stripe_group'."""
    return "xsan." + Tag(tag).name.lower()


def tag_type(tag):
    """Value type of a tag; unknown tags are raw bytes."""
    try:
        return TAG_TYPE[Tag(tag)]
    except ValueError:
        return "bytes"


# ---------------------------------------------------------------- encoder

class Attr(bytes):
    """Encoded attribute; .tag, .value (Python value), .children (groups)."""
    tag: int
    value: object
    children: list


def encode_value(tag, value):
    """Bytes of a value for its tag's type; bytes are always taken as-is."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    t = tag_type(tag)
    if t in _INT_FMT:
        return struct.pack(_INT_FMT[t], value)
    if t == "bool":
        return b"\x01" if value else b"\x00"
    if t == "string":
        return value.encode("utf-8")
    if t == "bytes16":
        return (value if isinstance(value, uuid.UUID) else uuid.UUID(value)).bytes
    if t == "ipv4":
        return ipaddress.IPv4Address(value).packed
    if t == "ipv6":
        return ipaddress.IPv6Address(value).packed
    if t == "group":
        return b"".join(value)
    raise TypeError(f"no encoding for {value!r} as tag 0x{int(tag):04x} ({t})")


def attr(tag, value, *, length=None):
    """One TLV. `length` overrides the length field (for malformed bodies)."""
    data = encode_value(tag, value)
    n = len(data) if length is None else length
    a = Attr(struct.pack(">HH", int(tag) & 0xFFFF, n & 0xFFFF) + data)
    a.tag = int(tag)
    a.value = value
    a.children = list(value) if tag_type(tag) == "group" and not isinstance(value, bytes) else []
    return a


def group(tag, attrs, *, length=None):
    """A group attribute holding already encoded attributes."""
    return attr(tag, list(attrs), length=length)


def raw_attr(raw):
    """Arbitrary bytes standing in for an attribute (no structure kept)."""
    a = Attr(raw)
    a.tag, a.value, a.children = None, raw, []
    return a


class Message(bytes):
    """Encoded message; remembers header fields and its attributes."""
    opcode: int
    xid: int
    flags: int
    session: int
    frag_index: int
    version: int
    hdr_len: int
    body_len: int
    attrs: list
    body: bytes


def make_flags(attrs=(), *, response=False, notify=False, retry=False,
               error=None, more=False, extra_flags=0):
    """Flag word; error=None sets ERROR when a response's first STATUS != 0."""
    if error is None:
        first = attrs[0] if attrs else None
        error = bool(response and first is not None and first.tag == Tag.STATUS
                     and not isinstance(first.value, bytes) and first.value != 0)
    return ((Flag.RESPONSE if response else 0) | (Flag.ERROR if error else 0)
            | (Flag.MORE if more else 0) | (Flag.NOTIFY if notify else 0)
            | (Flag.RETRY if retry else 0) | extra_flags)


def header(opcode, xid, flags, body_len, *, session=0, frag_index=0,
           version=VERSION, hdr_len=HDR_LEN, magic=MAGIC, extra_header=None):
    """The header bytes; hdr_len > 24 is padded with extra_header (or zeros)."""
    h = _HDR.pack(magic, version, hdr_len & 0xFF, int(flags) & 0xFFFF,
                  int(opcode) & 0xFFFF, frag_index & 0xFFFF, xid & 0xFFFFFFFF,
                  session & 0xFFFFFFFF, body_len & 0xFFFFFFFF)
    if hdr_len > HDR_LEN:
        extra = extra_header if extra_header is not None else bytes(hdr_len - HDR_LEN)
        h += extra
    return h  # hdr_len < 24: the 24 bytes stay, only the field lies


def message(opcode, xid, attrs=(), *, response=False, notify=False,
            retry=False, error=None, session=0, frag_index=0, more=False,
            version=VERSION, hdr_len=HDR_LEN, extra_flags=0, raw_body=None,
            body_len=None, magic=MAGIC, extra_header=None):
    """One message. raw_body replaces the encoded attrs, body_len lies about
    the body length; both only for malformed messages."""
    attrs = list(attrs)
    body = raw_body if raw_body is not None else b"".join(attrs)
    flags = make_flags(attrs, response=response, notify=notify, retry=retry,
                       error=error, more=more, extra_flags=extra_flags)
    blen = len(body) if body_len is None else body_len
    m = Message(header(opcode, xid, flags, blen, session=session,
                       frag_index=frag_index, version=version, hdr_len=hdr_len,
                       magic=magic, extra_header=extra_header) + body)
    m.opcode, m.xid, m.flags, m.session = int(opcode), xid, int(flags), session
    m.frag_index, m.version, m.hdr_len, m.body_len = frag_index, version, hdr_len, blen
    m.attrs, m.body = attrs, body
    return m


def fragment(opcode, xid, attrs, piece_size, **kw):
    """Cut one body into pieces of piece_size bytes (the last may be shorter):
    frag_index 0..n-1, MORE on all but the last, same flags otherwise.
    Boundaries fall wherever piece_size puts them, inside attributes too.
    Each piece's .whole is the unfragmented Message."""
    attrs = list(attrs)
    whole = message(opcode, xid, attrs, **kw)
    body = whole.body
    cuts = range(0, max(len(body), 1), piece_size)
    pieces = []
    for i, start in enumerate(cuts):
        last = i == len(cuts) - 1
        kw2 = dict(kw, frag_index=i, more=not last,
                   error=bool(whole.flags & Flag.ERROR))
        p = message(opcode, xid, (), raw_body=body[start:start + piece_size], **kw2)
        p.whole = whole
        pieces.append(p)
    return pieces


# ---------------------------------------------------------------- decoder

Header = namedtuple("Header", "magic version hdr_len flags opcode frag_index "
                              "xid session body_len")
Decoded = namedtuple("Decoded", "tag length value children problem")


def parse_header(buf):
    """Header of the message at the start of buf, or None when under 24 bytes."""
    if len(buf) < HDR_LEN:
        return None
    return Header(*_HDR.unpack_from(buf))


def is_message(buf, udp=False):
    """The spec's heuristic: what the dissector should accept."""
    h = parse_header(buf)
    if h is None or h.magic != MAGIC or h.version != VERSION:
        return False
    if h.hdr_len < HDR_LEN or h.body_len > MAX_BODY:
        return False
    return not udp or h.hdr_len + h.body_len <= len(buf)


def decode_value(tag, data):
    """Python value of a tag's bytes; raw bytes if the length is wrong."""
    t = tag_type(tag)
    size = TYPE_SIZE.get(t)
    if t == "bytes" or (size is not None and len(data) != size):
        return bytes(data)
    if t in _INT_FMT:
        return struct.unpack(_INT_FMT[t], data)[0]
    if t == "bool":
        return data[0] != 0
    if t == "string":
        return data.decode("utf-8", errors="replace")
    if t == "bytes16":
        return uuid.UUID(bytes=bytes(data))
    if t == "ipv4":
        return str(ipaddress.IPv4Address(bytes(data)))
    if t == "ipv6":
        return str(ipaddress.IPv6Address(bytes(data)))
    return bytes(data)


def parse_attrs(body, depth=1):
    """Walk a body or group: list of Decoded. Stops at the first attribute
    that runs past the end (problem 'overrun') or nests too deep."""
    out, off = [], 0
    while off < len(body):
        if len(body) - off < 4:
            out.append(Decoded(None, None, bytes(body[off:]), [], "short"))
            break
        tag, n = struct.unpack_from(">HH", body, off)
        data = body[off + 4:off + 4 + n]
        if len(data) < n:
            out.append(Decoded(tag, n, bytes(data), [], "overrun"))
            break
        if tag & GROUP_BIT:
            if depth > MAX_DEPTH:
                out.append(Decoded(tag, n, bytes(data), [], "too deep"))
                break
            out.append(Decoded(tag, n, None, parse_attrs(data, depth + 1), None))
        else:
            size = TYPE_SIZE.get(tag_type(tag))
            bad = size is not None and n != size
            out.append(Decoded(tag, n, decode_value(tag, data), [],
                               "length" if bad else None))
        off += 4 + n
    return out


def split_stream(data):
    """Cut a TCP byte stream into (header, body) pairs; stops at the first
    header it cannot trust (returns the rest as the second value)."""
    msgs, off = [], 0
    while True:
        h = parse_header(data[off:])
        if h is None or not is_message(data[off:]):
            return msgs, data[off:]
        end = off + h.hdr_len + h.body_len
        if end > len(data):
            return msgs, data[off:]
        msgs.append((h, data[off + h.hdr_len:end]))
        off = end

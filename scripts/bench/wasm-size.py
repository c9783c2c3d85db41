"""A diagnostic (not a test): where the app's wasm bytes go. Reads the code section and the name
section of a wasm file and prints the code bytes per crate (the first path segment of each
function's Rust name), and the size of the static constructors' caller.

usage: python3 scripts/bench/wasm-size.py dist-release/playground-web-*_bg.wasm [top]
"""
import collections
import re
import sys


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def sections(data):
    i = 8
    while i < len(data):
        sid = data[i]
        size, i = leb(data, i + 1)
        yield sid, i, size
        i += size


def imported_functions(data, off):
    count, j = leb(data, off)
    funcs = 0
    for _ in range(count):
        for _ in range(2):  # module and field names
            n, j = leb(data, j)
            j += n
        kind = data[j]
        j += 1
        if kind == 0:  # function: type index
            _, j = leb(data, j)
            funcs += 1
        elif kind == 1:  # table: element type, limits
            j += 1
            flags, j = leb(data, j)
            _, j = leb(data, j)
            if flags & 1:
                _, j = leb(data, j)
        elif kind == 2:  # memory: limits
            flags, j = leb(data, j)
            _, j = leb(data, j)
            if flags & 1:
                _, j = leb(data, j)
        elif kind == 3:  # global: type, mutability
            j += 2
        elif kind == 4:  # tag
            j += 1
            _, j = leb(data, j)
    return funcs


def function_names(data, off, size):
    n, j = leb(data, off)
    j += n
    names = {}
    while j < off + size:
        sub = data[j]
        ssize, j = leb(data, j + 1)
        if sub == 1:
            k = j
            count, k = leb(data, k)
            for _ in range(count):
                idx, k = leb(data, k)
                n, k = leb(data, k)
                names[idx] = data[k:k + n].decode("utf8", "replace")
                k += n
        j += ssize
    return names


def main(path, top=25):
    data = open(path, "rb").read()
    imports, names, bodies = 0, {}, []
    for sid, off, size in sections(data):
        if sid == 2:
            imports = imported_functions(data, off)
        elif sid == 0:
            n, j = leb(data, off)
            if data[j:j + n] == b"name":
                names = function_names(data, off, size)
        elif sid == 10:
            count, j = leb(data, off)
            for _ in range(count):
                body, k = leb(data, j)
                bodies.append((body, k))
                j = k + body
    sized = [(names.get(imports + f, "?"), s) for f, (s, _) in enumerate(bodies)]
    total = sum(s for _, s in sized)
    print(f"{path}: {len(data) / 1e6:.1f} MB; {len(sized)} functions, {total / 1e6:.1f} MB of code")
    by_crate = collections.Counter()
    for name, s in sized:
        m = re.match(r"[<&_ ]*(?:impl )?([A-Za-z0-9_]+)", name)
        by_crate[m.group(1) if m else name[:20]] += s
    for crate, s in by_crate.most_common(top):
        print(f"{s / 1e6:8.2f} MB {100 * s / total:5.1f}%  {crate}")
    for f, (s, start) in enumerate(bodies):
        if names.get(imports + f) != "__wasm_call_ctors":
            continue
        # its body: no locals, then `call f` after `call f` (opcode 0x10)
        groups, j = leb(data, start)
        assert groups == 0, "__wasm_call_ctors has locals: not the layout this reads"
        callees = collections.Counter()
        while data[j] == 0x10:
            callee, j = leb(data, j + 1)
            name = names.get(callee, "?")
            m = re.match(r"[<&_ ]*(?:impl )?([A-Za-z0-9_]+)", name)
            callees[m.group(1) if m else name[:20]] += 1
        print(f"__wasm_call_ctors: {s} bytes, {sum(callees.values())} constructors called:",
              ", ".join(f"{k} {v}" for k, v in callees.most_common(6)))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))

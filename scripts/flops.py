#!/usr/bin/env python3
"""Forward multiply-accumulates per image of the shipped presets (convolutions, linears and
attention products; norms and activations left out). Training costs about 3x the forward
(forward + two backward products); classifier-free guidance doubles a sampling step."""


def unet(size, cin, ch, layers, attn_down, attn_up):
    macs = 0
    s = size
    conv = lambda s, a, b, k=3: s * s * a * b * k * k
    temb = ch[0] * 4
    macs += conv(s, cin, ch[0]) + ch[0] * temb + temb * temb
    def res(s, a, b):
        return conv(s, a, b) + conv(s, b, b) + temb * b + (s * s * a * b if a != b else 0)
    def att(s, c):
        n = s * s
        return 4 * n * c * c + 2 * n * n * c
    skips = [(s, ch[0])]
    cur = ch[0]
    for i, c in enumerate(ch):
        for _ in range(layers):
            macs += res(s, cur, c)
            cur = c
            if attn_down[i]:
                macs += att(s, c)
            skips.append((s, c))
        if i + 1 < len(ch):
            s2 = s // 2
            macs += conv(s2, c, c)
            s = s2
            skips.append((s, c))
    macs += 2 * res(s, cur, cur) + att(s, cur)
    for i, c in enumerate(reversed(ch)):
        for _ in range(layers + 1):
            ss, sc = skips.pop()
            macs += res(s, cur + sc, c)
            cur = c
            if attn_up[i]:
                macs += att(s, c)
        if i + 1 < len(ch):
            s *= 2
            macs += conv(s, c, c)
    macs += conv(s, ch[0], cin)
    return macs


def scorenet():
    c = [32, 64, 128, 256]
    conv = lambda s, a, b: s * s * a * b * 9
    return (conv(26, 1, c[0]) + conv(12, c[0], c[1]) + conv(5, c[1], c[2]) + conv(2, c[2], c[3])
            + conv(5, c[3], c[2]) + conv(12, 2 * c[2], c[1]) + conv(26, 2 * c[1], c[0]) + conv(28, 2 * c[0], 1))


def classifier():
    return 28 * 28 * 32 * 9 + 28 * 28 * 32 * 64 * 9 + 14 * 14 * 64 * 128 * 9 + 6272 * 256 + 2560


rows = {
    "mnist-unet-cond": unet(28, 1, [16, 32, 64], 1, [0, 1, 1], [1, 1, 0]),
    "cifar10-unet-cond": unet(32, 3, [64, 128, 128], 2, [0, 1, 1], [1, 1, 0]),
    "cifar10-unet-cond (the first, CPU-sized: 16/32/64, 1 layer)": unet(32, 3, [16, 32, 64], 1, [0, 1, 1], [1, 1, 0]),
    "mnist-scorenet-ve": scorenet(),
    "mnist-classifier": classifier(),
}
for k, v in rows.items():
    print(f"{k}: {2 * v / 1e9:.3f} GFLOP forward per image, ~{6 * v / 1e9 * 128:.1f} GFLOP per training step at batch 128")

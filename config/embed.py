#!/usr/bin/env python3
"""Embed a text file as a NUL-terminated C string: embed.py IN OUT SYMBOL."""
import sys

src, dst, sym = sys.argv[1:4]
data = open(src, 'rb').read()
with open(dst, 'w') as f:
    f.write('/* generated from %s by config/embed.py */\n' % src.split('/')[-1])
    f.write('const char %s[] =\n' % sym)
    for i in range(0, len(data), 16):
        f.write('\t"' + ''.join('\\x%02x' % b for b in data[i:i + 16]) + '"\n')
    f.write(';\n')

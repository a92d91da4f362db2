#!/usr/bin/env python3
# Turns a text file into a C string constant: embed.py INPUT OUTPUT SYMBOL
import sys

src, dst, symbol = sys.argv[1:4]
with open(src, 'rb') as f:
    data = f.read()
if b'\0' in data:
    sys.exit(f'{src}: contains a NUL byte')
lines = []
for line in data.decode('utf-8').splitlines(keepends=True):
    esc = line.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n').replace('\t', '\\t')
    lines.append(f'        "{esc}"')
with open(dst, 'w') as f:
    f.write('/* generated from %s by tools/embed.py */\n' % src.split('/')[-1])
    f.write(f'const char {symbol}[] =\n')
    f.write('\n'.join(lines) if lines else '        ""')
    f.write(';\n')

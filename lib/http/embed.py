#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write a file's bytes as a C array: embed.py INPUT OUTPUT [NAME] (sf_dashboard_html)."""
import sys

data = open(sys.argv[1], 'rb').read()
name = sys.argv[3] if len(sys.argv) > 3 else 'sf_dashboard_html'
with open(sys.argv[2], 'w') as f:
    f.write('/* Generated from %s by embed.py; do not edit. */\n' % sys.argv[1].split('/')[-1])
    f.write('#include <stddef.h>\n\n')
    f.write('extern const unsigned char %s[];\n' % name)
    f.write('extern const size_t %s_len;\n\n' % name)
    f.write('const unsigned char %s[] = {\n' % name)
    for i in range(0, len(data), 16):
        f.write('\t' + ', '.join('0x%02x' % b for b in data[i:i + 16]) + ',\n')
    f.write('};\n\nconst size_t %s_len = %d;\n' % (name, len(data)))

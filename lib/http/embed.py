#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write a file's bytes as a C array: embed.py INPUT OUTPUT."""
import sys

data = open(sys.argv[1], 'rb').read()
with open(sys.argv[2], 'w') as f:
    f.write('/* Generated from %s by embed.py; do not edit. */\n' % sys.argv[1].split('/')[-1])
    f.write('#include <stddef.h>\n\n')
    f.write('extern const unsigned char sf_dashboard_html[];\n')
    f.write('extern const size_t sf_dashboard_html_len;\n\n')
    f.write('const unsigned char sf_dashboard_html[] = {\n')
    for i in range(0, len(data), 16):
        f.write('\t' + ', '.join('0x%02x' % b for b in data[i:i + 16]) + ',\n')
    f.write('};\n\nconst size_t sf_dashboard_html_len = %d;\n' % len(data))

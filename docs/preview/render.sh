#!/usr/bin/env bash
# Render a .docx to PDF (LibreOffice) and PNG pages (pdftoppm) to look at the layout.
#   docs/preview/render.sh report.docx [OUTDIR] [DPI]
# Needs Debian's libreoffice-writer, poppler-utils, fonts-noto-cjk, fonts-arphic-ukai and
# fonts-liberation; fonts.conf maps the official font names to those free fonts.
#
# The preview lays lines out as Word does in one place where LibreOffice does not: Word
# never breaks a line at a non-breaking hyphen (w:noBreakHyphen, which drafter writes inside
# telephone numbers such as 0595-22579359), while LibreOffice 7.4, when such a number meets
# the end of a line in Chinese text, breaks it between two digits. The copy converted here
# (never the file itself) has a hyphen between word joiners (U+2060) there instead, which
# LibreOffice keeps together as Word keeps the non-breaking hyphen.
set -euo pipefail
docx=$1
out=${2:-preview}
dpi=${3:-80}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
export FONTCONFIG_FILE="$here/fonts.conf"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
copy="$profile/$(basename "$docx")"
python3 - "$docx" "$copy" <<'EOF'
import sys
import zipfile

source, target = sys.argv[1], sys.argv[2]
joined = '<w:t xml:space="preserve">\u2060-\u2060</w:t>'.encode()
with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename.startswith("word/") and item.filename.endswith(".xml"):
            data = data.replace(b"<w:noBreakHyphen/>", joined)
        zout.writestr(item, data)
EOF
libreoffice -env:UserInstallation="file://$profile/user" --headless --convert-to pdf --outdir "$out" "$copy" >/dev/null
pdf="$out/$(basename "${docx%.*}").pdf"
pdftoppm -r "$dpi" -png "$pdf" "$out/page"
ls "$out"

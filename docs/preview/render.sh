#!/usr/bin/env bash
# Render a .docx to PDF (LibreOffice) and PNG pages (pdftoppm) to look at the layout.
#   docs/preview/render.sh report.docx [OUTDIR] [DPI]
# Needs Debian's libreoffice-writer, poppler-utils, fonts-noto-cjk, fonts-arphic-ukai and
# fonts-liberation; fonts.conf maps the official font names to those free fonts.
set -euo pipefail
docx=$1
out=${2:-preview}
dpi=${3:-80}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
export FONTCONFIG_FILE="$here/fonts.conf"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
libreoffice -env:UserInstallation="file://$profile" --headless --convert-to pdf --outdir "$out" "$docx" >/dev/null
pdf="$out/$(basename "${docx%.*}").pdf"
pdftoppm -r "$dpi" -png "$pdf" "$out/page"
ls "$out"

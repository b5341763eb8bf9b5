#!/usr/bin/env bash
# Rebuild the design system assets the app serves (app/static/uswds/) from the pinned npm
# package @uswds/uswds (package.json): its Sass with only the packages Tramita uses
# (scripts/design_system/tramita-uswds.scss), its JavaScript bundle (mobile menu, accordion),
# and the icons the compiled CSS refers to. Needs Node (`npm ci`); `make run` does not: the
# output is committed. Usage: scripts/build_design_system.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=node_modules/@uswds/uswds
OUT=app/static/uswds
test -d "$PKG" || { echo "run npm ci first" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT/css" "$OUT/js" "$OUT/img"
npx sass --no-source-map --style=compressed --quiet --load-path="$PKG/packages" \
  scripts/design_system/tramita-uswds.scss "$OUT/css/uswds.css"
cp "$PKG/dist/js/uswds.min.js" "$OUT/js/uswds.js"
cp "$PKG/LICENSE.md" "$OUT/LICENSE.md"
# Only the images the CSS refers to (url("../img/...")).
grep -o 'url("\?\.\./img/[^")]*' "$OUT/css/uswds.css" | sed 's/^url("\?\.\.\/img\///' | sort -u |
  while read -r image; do
    mkdir -p "$OUT/img/$(dirname "$image")"
    cp "$PKG/dist/img/$image" "$OUT/img/$image"
    # A versioned URL (as app/assets.py gives the app's own): cached for a year, no 304s.
    version=$(sha256sum "$OUT/img/$image" | cut -c1-12)
    sed -i "s#\.\./img/$image\([\")]\)#../img/$image?v=$version\1#g" "$OUT/css/uswds.css"
  done
if grep -q 'url(\.\./fonts' "$OUT/css/uswds.css"; then
  echo "the CSS refers to web fonts; the theme uses system fonts only" >&2
  exit 1
fi
echo "$(grep '"version"' "$PKG/package.json" | head -1 | tr -d ' ,') -> $OUT"

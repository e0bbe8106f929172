#!/usr/bin/env bash
# Copy GraphiQL's browser files into server/static/graphiql/, so that /graphql serves GraphiQL
# without reaching a CDN. The versions are those strawberry's own GraphiQL page loads from unpkg
# (strawberry/static/graphiql.html), and the files are the same bytes: their SRI hashes are kept in
# server/static/graphiql.html. The graphql-ws client is bundled in graphiql.min.js.
# Needs npm; downloads the packages into a temporary directory (nothing lands in the repository but
# the copied files). Run from anywhere: scripts/vendor-graphiql.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=$ROOT/server/static/graphiql
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

PACKAGES=(react@18.2.0 react-dom@18.2.0 js-cookie@3.0.5 graphiql@3.8.3 @graphiql/plugin-explorer@1.0.2)

(cd "$WORK" && npm pack --silent "${PACKAGES[@]}" >/dev/null)
for tarball in "$WORK"/*.tgz; do
    name=$(basename "$tarball" .tgz)
    mkdir -p "$WORK/$name"
    tar xzf "$tarball" -C "$WORK/$name"
done

rm -rf "$DEST"
mkdir -p "$DEST/licenses"
cp "$WORK"/react-18.2.0/package/umd/react.production.min.js "$DEST/"
cp "$WORK"/react-dom-18.2.0/package/umd/react-dom.production.min.js "$DEST/"
cp "$WORK"/js-cookie-3.0.5/package/dist/js.cookie.min.js "$DEST/"
cp "$WORK"/graphiql-3.8.3/package/graphiql.min.js "$WORK"/graphiql-3.8.3/package/graphiql.min.css "$DEST/"
cp "$WORK"/graphiql-plugin-explorer-1.0.2/package/dist/index.umd.js "$DEST/plugin-explorer.umd.js"
cp "$WORK"/graphiql-plugin-explorer-1.0.2/package/dist/style.css "$DEST/plugin-explorer.css"

cp "$WORK"/react-18.2.0/package/LICENSE "$DEST/licenses/react.LICENSE"
cp "$WORK"/react-dom-18.2.0/package/LICENSE "$DEST/licenses/react-dom.LICENSE"
cp "$WORK"/js-cookie-3.0.5/package/LICENSE "$DEST/licenses/js-cookie.LICENSE"
cp "$WORK"/graphiql-3.8.3/package/LICENSE "$DEST/licenses/graphiql.LICENSE"
# @graphiql/plugin-explorer ships no licence file; its package.json says MIT, and it comes from the
# same repository (graphql/graphiql) under the same licence as graphiql
cp "$WORK"/graphiql-3.8.3/package/LICENSE "$DEST/licenses/graphiql-plugin-explorer.LICENSE"

{
    echo "GraphiQL's browser files, copied by scripts/vendor-graphiql.sh from these npm packages:"
    echo
    for package in "${PACKAGES[@]}"; do
        echo "- $package (MIT, licenses/)"
    done
} >"$DEST/README.md"

echo "vendored into $DEST:"
ls -l "$DEST"

#!/bin/sh
# The sample app's "build": compiles src/ into .next/build.json, like `next build` fills .next.
set -e
cd "$(dirname "$0")"
version=$(cat src/version)
health=$(cat src/health 2>/dev/null || echo 200)
mkdir -p .next
printf '{"version": "%s", "health": %s}\n' "$version" "$health" > .next/build.json
echo "built version $version"

#!/usr/bin/env bash
# One-time, run by whoever merges the branches, after the last merge: format the whole code base with Biome (one
# commit of formatting only), then make `npm run lint` (and so `npm test` and CI) check the format too.
set -euo pipefail
cd "$(dirname "$0")/.."
npx biome format --write .
npm pkg set scripts.lint="biome ci ."
npx biome ci .
npx tsc --noEmit
echo "formatted; now: git commit -am 'Format with Biome' (and delete scripts/format-all.sh)"

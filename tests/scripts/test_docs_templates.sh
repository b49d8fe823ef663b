#!/usr/bin/env bash
# docs/formats.md ends with the output of `bangfu templates`: keep it true.
set -euo pipefail
src=${BF_SOURCE_DIR:?}
bin=${BF_BINARY:?}
if diff <(sed -n '/^### `regions`/,$p' "$src/docs/formats.md") <("$bin" templates); then
  echo "1 passed, 0 failed"
else
  echo "docs/formats.md is out of date: regenerate its template section with bangfu templates"
  echo "0 passed, 1 failed"
  exit 1
fi

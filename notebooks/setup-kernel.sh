#!/usr/bin/env bash
# `npm run notebooks`: sets up the TypeScript Jupyter kernel (tslab) for the notebooks in this folder.
#
# tslab is installed here, in notebooks/kernel/node_modules from notebooks/kernel/package-lock.json, and not among
# the platform's dependencies: tslab brings its own TypeScript 5.0 whose `tsc` would take the place of the
# platform's TypeScript 5.9 in node_modules/.bin. The kernel spec (`tslab install --user`) points at this copy.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kernel="$root/notebooks/kernel"

if ! command -v jupyter >/dev/null 2>&1; then
  echo "jupyter not found: install Jupyter first (Debian: apt-get install jupyter-nbconvert python3-ipykernel" \
    "jupyter-client; or pip install jupyterlab)" >&2
  exit 1
fi
# tslab's installer runs in the Python that has Jupyter's client library.
python=""
for candidate in python3 /usr/bin/python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import jupyter_client' >/dev/null 2>&1; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then
  echo "no Python with jupyter_client found (tried python3, /usr/bin/python3, python)" >&2
  exit 1
fi

echo "== installing tslab into $kernel/node_modules"
npm ci --prefix "$kernel" --ignore-scripts --no-audit --no-fund
echo "== registering the tslab kernel with Jupyter ($python)"
node "$kernel/node_modules/tslab/bin/tslab" install --user --python "$python" \
  --binary "$kernel/node_modules/.bin/tslab"
jupyter kernelspec list
cat <<TEXT

Kernel ready. Open the notebooks with Jupyter (kernel "TypeScript"), or run one headlessly:
  cd notebooks && jupyter nbconvert --to notebook --execute --output /tmp/out.ipynb strategy-research.ipynb
TEXT

#!/bin/sh
# Print the path of a Python >= 3.12 interpreter that actually runs.
# Looks on PATH first (python3.13, python3.12, python3), then under `pyenv root`
# (the pyenv shims on these machines refuse to run a version that is not global,
# so the interpreters are called by their full path). Exits 1 with a message if none.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for name in python3.14 python3.13 python3.12 python3; do
    p=$(command -v "$name" 2>/dev/null) || continue
    if ok "$p"; then echo "$p"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root 2>/dev/null)
    for p in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do
        if ok "$p"; then echo "$p"; exit 0; fi
    done
fi
echo "mechtms needs Python >= 3.12: none found on PATH (python3.14/3.13/3.12/python3) or under \`pyenv root\`/versions. Install one (e.g. 'pyenv install 3.12') and retry." >&2
exit 1

#!/bin/sh
# Print the path of a Python >= 3.12 interpreter that actually runs.
# Prefers 3.12 (the version the pins are tested with), then any newer one.
# Looks on PATH first, then under `pyenv root` (the pyenv shims on these machines refuse
# to run a version that is not global, so interpreters are called by their full path).
# Exits 1 with a message if none.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
candidates() {
    for name in python3.12 python3 python3.13 python3.14; do command -v "$name" 2>/dev/null; done
    if command -v pyenv >/dev/null 2>&1; then
        root=$(pyenv root 2>/dev/null)
        ls -d "$root"/versions/3.12*/bin/python3 2>/dev/null | sort -rV
        ls -d "$root"/versions/3.1[3-9]*/bin/python3 2>/dev/null | sort -V
    fi
}
for p in $(candidates); do
    if ok "$p"; then echo "$p"; exit 0; fi
done
echo "mechtms needs Python >= 3.12: none found on PATH (python3.14/3.13/3.12/python3) or under \`pyenv root\`/versions. Install one (e.g. 'pyenv install 3.12') and retry." >&2
exit 1

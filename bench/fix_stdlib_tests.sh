#!/usr/bin/env bash
# CPython's own test suites on the standard-library modules that `gclint check --fix` changes.
#
# Usage: bench/fix_stdlib_tests.sh PYTHON [WORKDIR] [TEST ...]
#   PYTHON   an installed CPython with its test package (python -m test --help works), e.g.
#            /root/.pyenv/versions/3.11.7/bin/python3.11
#   WORKDIR  default: a new temporary directory (kept: the logs are there)
#   TEST     the test modules to run; default: the ones named in docs/fixes.md for 3.11
#            (test_contextlib test_contextlib_async test_pdb); "ALL" runs the whole suite
#
# Steps (docs/fixes.md, "CPython test suites", explains the choices):
# 1. copy the interpreter's stdlib .py files (lib/python3.X without site-packages and without
#    the test packages: test/, tests/, idle_test/) to WORKDIR/stdlib and run
#    `gclint check --isolated --fix` on it (safe fixes only);
# 2. make two copies of the installation, WORKDIR/py-base and WORKDIR/py-fixed (bin/python3.X
#    and lib/python3.X with the test package, site-packages left empty); py-fixed gets the fixed
#    files (and loses their stale .pyc). A copied interpreter finds its stdlib beside itself, so
#    every process it starts (regrtest workers, script_helper's `-I` children) uses that copy:
#    unlike PYTHONPATH, which `-I` ignores;
# 3. check in child processes that each fixed module is imported from py-fixed, not frozen;
# 4. run `python -m test -j2 --timeout 900 -w TESTS` with each copy, same flags, and print the
#    summary lines of both.
# gclint is the one of this checkout (.venv/bin/gclint; run `make test` once to create it).
set -euo pipefail
py=${1:?usage: $0 PYTHON [WORKDIR] [TEST ...]}
work=${2:-$(mktemp -d /tmp/gclint-stdlib-tests.XXXXXX)}
shift $(( $# >= 2 ? 2 : 1 ))
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(test_contextlib test_contextlib_async test_pdb)
[ "${tests[0]}" = ALL ] && tests=()
here=$(cd "$(dirname "$0")/.." && pwd)
gclint="$here/.venv/bin/gclint"
"$py" -m test --help > /dev/null || { echo "$py has no test package" >&2; exit 2; }
prefix=$("$py" -c 'import sys; print(sys.base_prefix)')
ver=$("$py" -c 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}")')
mkdir -p "$work"
cd "$work"

rm -rf stdlib && mkdir stdlib
(cd "$prefix/lib/$ver" && find . -name '*.py' -not -path './site-packages/*' -not -path '*/test/*' \
    -not -path '*/tests/*' -not -path '*/idle_test/*' -print0 | tar --null -cf - -T -) \
  | (cd stdlib && tar xf -)
(cd stdlib && nice -n 10 "$gclint" check --isolated --fix . > ../fix.out 2> ../fix.err) || true
grep -E '^(Fixed|[0-9]+ fix)' fix.err || echo "nothing fixed"
changed=$(cd stdlib && find . -name '*.py' -print0 | while IFS= read -r -d '' f; do
  cmp -s "$f" "$prefix/lib/$ver/$f" || echo "${f#./}"; done)
echo "changed modules:" ${changed:-none}

for v in base fixed; do
  rm -rf "py-$v" && mkdir -p "py-$v/bin" "py-$v/lib"
  cp -a "$prefix/bin/$ver" "py-$v/bin/"
  (cd "$prefix/lib" && tar --exclude="$ver/site-packages/*" -cf - "$ver") | (cd "py-$v/lib" && tar xf -)
done
for f in $changed; do
  cp "stdlib/$f" "py-fixed/lib/$ver/$f"
  rm -f "py-fixed/lib/$ver/$(dirname "$f")/__pycache__/$(basename "$f" .py)".*.pyc
  diff -u "py-base/lib/$ver/$f" "py-fixed/lib/$ver/$f" >> fixes.diff || true
  mod=$(echo "${f%.py}" | sed 's|/__init__$||; s|/|.|g')
  py-fixed/bin/$ver -c "import _imp, $mod as m; print('$mod', m.__file__, 'frozen' if _imp.is_frozen('$mod') else 'not frozen')"
done

for v in base fixed; do
  start=$(date +%s)
  status=0
  nice -n 10 "py-$v/bin/$ver" -m test -j2 --timeout 900 -w "${tests[@]}" > "tests-$v.log" 2>&1 || status=$?
  echo "== $v: exit $status, $(( $(date +%s) - start )) s"
  grep -E '^(Total tests|Total test files|Result):' "tests-$v.log" || tail -5 "tests-$v.log"
done
echo "logs and diffs in $work"

#!/usr/bin/env bash
# Runs every test of the repository: the formatting gate, every test project of the solution, a benchmark smoke run.
# Prints one closing line "tests: N passed, N failed, N skipped" and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"

configuration="${CONFIGURATION:-Release}"
results="$(pwd)/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

echo "== formatting (dotnet format --verify-no-changes)"
dotnet format Messaging.sln --verify-no-changes

echo "== build ($configuration)"
dotnet build Messaging.sln -c "$configuration" -nologo -clp:ErrorsOnly

echo "== tests"
status=0
dotnet test Messaging.sln -c "$configuration" --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" 2>&1 \
  | tee "$results/console.log" || status=$?

# Totals from the TRX files (one per test project): the counters element holds passed, failed and notExecuted.
summary=$(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
files = glob.glob(sys.argv[1] + "/**/*.trx", recursive=True)
for f in files:
    c = ET.parse(f).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    # xunit's skips are counted as total minus executed (its TRX leaves notExecuted at zero).
    skipped += int(c.get("total", 0)) - int(c.get("executed", 0))
print(f"{passed} {failed} {skipped} {len(files)}")
PY
)
read -r passed failed skipped files <<<"$summary"

# The failed tests with the first lines of their messages, printed again at the very end: CI keeps only the tail.
failures=$(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for f in sorted(glob.glob(sys.argv[1] + "/**/*.trx", recursive=True)):
    for r in ET.parse(f).getroot().iterfind("t:Results/t:UnitTestResult", ns):
        if r.get("outcome") not in ("Failed", "Error", "Timeout"):
            continue
        message = r.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns).strip().splitlines()
        stack = r.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=ns).strip().splitlines()
        print(f"FAILED {r.get('testName')} ({r.get('duration')})")
        for line in message[:6] + [l for l in stack if "Messaging." in l][:4]:
            print(f"    {line.strip()[:300]}")
PY
)

# Say plainly which tests were skipped and why (the MongoDB contract run, when no MongoDB is configured).
grep -E "^\s+Skipped " "$results/console.log" | sed -E 's/^\s+/  /' | sort -u | head -n 5 || true
if [ "$skipped" -gt 0 ]; then
  echo "note: $skipped tests skipped; set MESSAGING_TEST_MONGODB=mongodb://HOST:27017/?replicaSet=rs0 to run the MongoDB contract suite."
fi

# The benchmark is not a test of speed (docs/benchmarks.md holds measured runs), but it must keep working: a smoke
# run drives every phase against the real server and the relay, must print its comparison table, and must end with
# nothing undelivered and no send refused (every copy the server stored was pushed, acknowledged and deleted). A
# second one runs the server with the Redis backplane (every push through Redis and back), and must report Redis's CPU.
bench_smoke() {
  local name="$1" expect="$2"
  shift 2
  local bench_status=0
  dotnet run --project bench/Messaging.Bench -c "$configuration" --no-build -- --quick "$@" \
    --chart "$results/$name.svg" --markdown "$results/$name.md" > "$results/$name.out" 2> "$results/$name.err" || bench_status=$?
  if [ "$bench_status" -ne 0 ] || ! grep -q "Against the targets of issue 5" "$results/$name.out" \
    || ! grep -qE "$expect" "$results/$name.out" \
    || ! grep -qE "^\| send errors / overloaded / undelivered at end \| 0 / (yes|no) / 0 \| 0 / (yes|no) / 0 \|" "$results/$name.out"; then
    echo "benchmark smoke run $name failed (exit $bench_status):" >&2
    tail -n 30 "$results/$name.err" >&2
    grep -E "undelivered at end" "$results/$name.out" >&2 || true
    status=1
  else
    grep -E "deliveries/s at peak" "$results/$name.out" | head -n 1
  fi
}
echo "== benchmark smoke run (bench/Messaging.Bench --quick)"
bench_smoke bench-smoke "deliveries/s at peak" --connections 200
echo "== benchmark smoke run with the Redis backplane (bench/Messaging.Bench --quick --backplane)"
bench_smoke bench-backplane "^\| Redis CPU at peak" --backplane --connections 0 --backlog 0

if [ -n "$failures" ]; then
  echo "== failed tests"
  echo "$failures"
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$files" -eq 0 ] || [ "$passed" -eq 0 ]; then
  echo "FAILED" >&2
  exit 1
fi

#!/usr/bin/env bash
# CPU seconds (user + sys) to compile each source file of some targets, without ccache, one file
# at a time: what a file's includes cost (docs/ARCHITECTURE.md, "LibTorch surface"). CPU time,
# not wall time, so a busy machine changes the figures little. Prints "seconds file" per file
# and the total; compiles into a scratch folder, leaves the build alone.
#
#   bash bench/compile_time.sh [BUILD_DIR] [TARGET ...]     # default: build galien_training
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; shift || true
targets=("$@"); ((${#targets[@]})) || targets=(galien_training)
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
total=0
for target in "${targets[@]}"; do
  # ninja's own compile commands, ccache and the object path dropped.
  while IFS= read -r cmd; do
    src=$(grep -oE '\S+\.cpp$' <<<"$cmd")
    cmd=${cmd/\/usr\/bin\/ccache /}
    cmd=$(sed -E 's/ -o [^ ]+/ -o __OBJ__/; s/ -MD -MT [^ ]+ -MF [^ ]+//' <<<"$cmd")
    cmd=${cmd/__OBJ__/$scratch/out.o}
    if ! /usr/bin/time -o "$scratch/time" -f '%U %S' bash -c "cd '$build' && $cmd" \
         >/dev/null 2>"$scratch/err"; then
      echo "compile failed: $src" >&2; cat "$scratch/err" >&2; exit 1
    fi
    secs=$(awk '{printf "%.1f", $1 + $2}' "$scratch/time")
    total=$(awk -v a="$total" -v b="$secs" 'BEGIN{printf "%.1f", a + b}')
    printf "%6s  %s\n" "$secs" "${src#"$PWD"/}"
  done < <(cd "$build" && ninja -t commands "$target" | grep -E ' -c \S+\.cpp$' |
           grep -F "CMakeFiles/$target.dir/")
done
printf '%6s  total (%s)\n' "$total" "${targets[*]}"

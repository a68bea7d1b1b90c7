# Sourced by scripts/test.sh when SANITIZE is set (and usable by hand: `source
# scripts/sanitizers/env.sh` before running one test binary of build-asan/). Options for ASan,
# LeakSanitizer and UBSan, with the suppression files beside this one. Every suppression names
# third-party code only (never galien's) and says why in its file.
_galien_san_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# halt_on_error/abort: a report fails the test. detect_leaks: leaks in galien code fail too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=0:check_initialization_order=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=${_galien_san_dir}/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-suppressions=${_galien_san_dir}/ubsan.supp:print_stacktrace=1:halt_on_error=1}"
unset _galien_san_dir

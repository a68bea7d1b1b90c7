# Sourced by scripts/test.sh when SANITIZE is set (and usable by hand: `source
# scripts/sanitizers/env.sh` before running one test binary of build-asan/). Options for ASan,
# LeakSanitizer and UBSan, with the suppression files beside this one. Every suppression names
# third-party code only (never galien's) and says why in its file.
_galien_san_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# halt_on_error/abort: a report fails the test. detect_leaks: leaks in galien code fail too.
# fast_unwind_on_malloc=0: third-party libraries built without frame pointers (Open MPI's,
# LibTorch's) give one-frame allocation stacks to the fast unwinder, "(<unknown module>)", which
# no suppression can name; the slow unwinder gives full stacks, so lsan.supp matches them
# (2026-12-07: every MPI test "leaked" ~117 KB in ~3,350 allocations at exit without it, none with).
# asan.supp: HDF5's own over-read on damaged files (its comment says why; the damaged-shard tests
# of test_reliability feed HDF5 such files on purpose).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=0:check_initialization_order=1:fast_unwind_on_malloc=0:suppressions=${_galien_san_dir}/asan.supp}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=${_galien_san_dir}/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-suppressions=${_galien_san_dir}/ubsan.supp:print_stacktrace=1:halt_on_error=1}"
# Open MPI dlopen()s its components (mca_*.so) and dlclose()s them in MPI_Finalize, before
# LeakSanitizer reports at exit: their process-lifetime allocations then show as "<unknown
# module>" and escape lsan.supp's leak:mca_. Keeping them loaded (an Open MPI parameter meant
# for valgrind and sanitizers) lets the suppression name them.
export OMPI_MCA_mca_base_component_disable_dlclose=1
unset _galien_san_dir

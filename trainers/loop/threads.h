// Intra-op threads per rank. LibTorch picks 1 on these VMs and its setting does not reach
// OpenBLAS's own pool, so both are set explicitly: trainer.threads, or cores on this node
// divided by the ranks on this node (never more than the cores this rank is bound to).
#pragma once

namespace galien {

int choose_threads(int requested, int local_ranks);
void apply_threads(int threads);  // LibTorch intra-op + OpenBLAS (when loaded)
// Keeps freed tensor memory in the process heap instead of returning it to the kernel each step
// (glibc mallopt); called once at the start of training.
void keep_freed_memory();

}  // namespace galien

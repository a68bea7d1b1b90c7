// Intra-op threads per rank. LibTorch picks 1 on these VMs and its setting does not reach
// OpenBLAS's own pool, so both are set explicitly: trainer.threads, or cores on this node
// divided by the ranks on this node (never more than the cores this rank is bound to).
#pragma once

namespace galien {

int choose_threads(int requested, int local_ranks);
void apply_threads(int threads);  // LibTorch intra-op + OpenBLAS (when loaded)

}  // namespace galien

// Deterministic randomness that gives the same sequence with every standard library:
// std::shuffle and std::uniform_int_distribution are implementation-defined, std::mt19937_64
// is not. Used wherever a seed must reproduce a result (epoch order, splits).
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace galien {

// Mixes several integers into one seed (splitmix64 finaliser), e.g. (seed, epoch, shard).
inline std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) {
  auto mix = [](std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(a) ^ b) ^ c);
}

// Uniform integer in [0, bound) without modulo bias (rejection sampling).
inline std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  std::uint64_t x;
  do {
    x = rng();
  } while (x >= limit);
  return x % bound;
}

// Fisher-Yates shuffle.
template <typename T>
void deterministic_shuffle(std::vector<T>& items, std::mt19937_64& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    std::size_t j = static_cast<std::size_t>(uniform_below(rng, i));
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace galien

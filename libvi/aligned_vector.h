// std::vector whose storage starts on a 64-byte (cache-line) boundary.
//
// Eigen peels scalar iterations until its SIMD loads are aligned, and the
// peeled head takes the scalar code path (std::exp instead of Eigen's
// vectorised exp, for instance), so a result can depend on where malloc put a
// buffer. Every buffer libvi computes in is an AlignedVector (or an Eigen
// matrix, which Eigen aligns itself): the same input then gives the same bits
// in every run, on every rank, for any SIMD width up to AVX-512.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace ntm {

inline constexpr std::size_t kBufferAlignment = 64;

// A standard allocator returning kBufferAlignment-aligned storage.
template <typename T>
struct CacheAlignedAllocator {
  using value_type = T;

  CacheAlignedAllocator() = default;
  template <typename U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{kBufferAlignment}));
  }
  void deallocate(T* p, std::size_t) noexcept {
    ::operator delete (p, std::align_val_t{kBufferAlignment});
  }
  template <typename U>
  bool operator==(const CacheAlignedAllocator<U>&) const noexcept {
    return true;
  }
};

template <typename T>
using AlignedVector = std::vector<T, CacheAlignedAllocator<T>>;

}  // namespace ntm

// The input of the device drivers (make_flashinfer_46_inputs.py): u32 blocks
// (a multiple of 32), f32 S[blocks], u16 BF16 x[blocks * 16].
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

inline bool read_blocks(const char* path, std::vector<float>& s, std::vector<uint16_t>& x) {
  FILE* in = std::fopen(path, "rb");
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    return false;
  }
  uint32_t blocks = 0;
  bool ok = std::fread(&blocks, 4, 1, in) == 1 && blocks != 0 && blocks % 32 == 0;
  if (ok) {
    s.resize(blocks);
    x.resize(size_t{blocks} * 16);
    ok = std::fread(s.data(), 4, blocks, in) == blocks && std::fread(x.data(), 2, x.size(), in) == x.size();
  }
  std::fclose(in);
  if (!ok) std::fprintf(stderr, "%s: bad or short input\n", path);
  return ok;
}

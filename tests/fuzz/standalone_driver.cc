// Runs a libFuzzer target without libFuzzer: replays every file of a corpus folder, then
// feeds a fixed-seed sequence of mutated corpus entries. Prints the seed so a failure is
// reproducible; a crash or sanitizer report fails the ctest run.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string mutate(std::string s, std::mt19937_64& rng, const std::vector<std::string>& corpus) {
  const int steps = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < steps; ++i) {
    switch (rng() % 7) {
      case 0:  // flip a byte
        if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // set a byte to an interesting value
        if (!s.empty()) {
          static const unsigned char kVals[] = {0, 1, 0x7f, 0x80, 0xff, '\'', ';', '(', ')', '$'};
          s[rng() % s.size()] = static_cast<char>(kVals[rng() % sizeof(kVals)]);
        }
        break;
      case 2:  // insert random bytes
        s.insert(s.begin() + static_cast<long>(s.empty() ? 0 : rng() % (s.size() + 1)),
                 static_cast<char>(rng() & 0xff));
        break;
      case 3:  // erase a range
        if (!s.empty()) {
          size_t pos = rng() % s.size();
          s.erase(pos, 1 + rng() % std::min<size_t>(8, s.size() - pos));
        }
        break;
      case 4:  // truncate
        if (!s.empty()) s.resize(rng() % s.size());
        break;
      case 5:  // splice with another entry
        if (!corpus.empty()) {
          const std::string& o = corpus[rng() % corpus.size()];
          if (!o.empty()) s += o.substr(rng() % o.size());
        }
        break;
      default:  // duplicate a chunk
        if (!s.empty()) {
          size_t pos = rng() % s.size();
          s.insert(pos, s.substr(pos, 1 + rng() % 16));
        }
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1;
  long runs = 10000;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--seed=", 0) == 0) {
      seed = std::stoull(arg.substr(7));
    } else if (arg.rfind("--runs=", 0) == 0) {
      runs = std::stol(arg.substr(7));
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        std::ifstream in(entry.path(), std::ios::binary);
        corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
    } else if (std::filesystem::is_regular_file(arg)) {
      std::ifstream in(arg, std::ios::binary);
      corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  std::printf("standalone fuzz driver: seed=%llu runs=%ld corpus=%zu\n",
              static_cast<unsigned long long>(seed), runs, corpus.size());
  for (const auto& c : corpus) LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(c.data()), c.size());
  std::mt19937_64 rng(seed);
  for (long i = 0; i < runs; ++i) {
    std::string base = corpus.empty() ? std::string() : corpus[rng() % corpus.size()];
    std::string input = mutate(base, rng, corpus);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("standalone fuzz driver: %ld inputs, no crash\n", runs + static_cast<long>(corpus.size()));
  return 0;
}

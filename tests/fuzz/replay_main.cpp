// Replays fuzz inputs without libFuzzer: each argument is a file or a
// directory of files, each fed once to the target's LLVMFuzzerTestOneInput.
// Built with the project's normal compiler, so the corpus and every crash
// that became a regression input run on every `scripts/test`.
//
// With --expect-crash first, each input runs in a child process that must
// die (abort, signal, non-zero exit): for regressions/open/, inputs that
// still crash code waiting for its fix. Once fixed, the test fails, saying
// which input to move to regressions/<target>/.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  int first = 1;
  const bool expect_crash = argc > 1 && std::string_view(argv[1]) == "--expect-crash";
  if (expect_crash) ++first;
  std::vector<std::filesystem::path> files;
  for (int i = first; i < argc; ++i) {
    const std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (std::filesystem::exists(p)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "no such file or directory: %s\n", argv[i]);
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replaying %s (%zu bytes)\n", f.c_str(), bytes.size());
    // A copy of exactly the input's size, so a read past its end is caught under ASan.
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
    static const std::uint8_t kNothing = 0;  // libFuzzer never passes a null pointer, even for no bytes
    const std::uint8_t* data = copy.empty() ? &kNothing : copy.data();
    if (!expect_crash) {
      LLVMFuzzerTestOneInput(data, copy.size());
      continue;
    }
    std::fflush(nullptr);
    const pid_t child = ::fork();
    if (child < 0) return 2;
    if (child == 0) {
      LLVMFuzzerTestOneInput(data, copy.size());
      std::_Exit(0);
    }
    int status = 0;
    if (::waitpid(child, &status, 0) != child) return 2;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      std::fprintf(stderr, "%s no longer crashes: move it to regressions/<target>/\n", f.c_str());
      return 1;
    }
  }
  std::printf("replayed %zu inputs\n", files.size());
  return 0;
}

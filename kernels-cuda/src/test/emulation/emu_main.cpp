// The emulation harness: runs the checks of the groups named on the command line (all when none)
// and exits with 1 when any check failed.
#define EMU_NO_ASM_MACRO
#include "emu_check.h"

void test_shim();
void test_vector();
void test_simplex();
void test_symk();
void test_rbf();

int main(int argc, char** argv) {
    harness::install_signal_handlers();
    const std::vector<std::pair<std::string, void (*)()>> groups = {
            {"shim", test_shim},     {"vector", test_vector}, {"simplex", test_simplex},
            {"symk", test_symk},     {"rbf", test_rbf}};
    std::set<std::string> wanted(argv + 1, argv + argc);
    const auto start = std::chrono::steady_clock::now();
    for (const auto& [name, fn] : groups) {
        if (!wanted.empty() && !wanted.count(name)) {
            continue;
        }
        const auto t0 = std::chrono::steady_clock::now();
        std::printf("== %s\n", name.c_str());
        std::fflush(stdout);
        fn();
        std::printf("== %s: %.1f s\n", name.c_str(),
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("== %d checks passed, %d failed, %.1f s\n", harness::passed(), harness::failed(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return harness::failed() == 0 ? 0 : 1;
}

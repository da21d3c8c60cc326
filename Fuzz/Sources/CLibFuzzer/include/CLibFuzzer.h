// libFuzzer's driver, as a library function (llvm.org/docs/LibFuzzer.html, "Using libFuzzer as a
// library"): what libFuzzer's own `main` calls. The runtime comes with -sanitize=fuzzer.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

// libFuzzer's own byte-level mutation of `data` (`size` bytes, room for `max_size`); returns the new size.
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

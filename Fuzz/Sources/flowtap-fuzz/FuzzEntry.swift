import CLibFuzzer
import FlowFuzzing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The target `FLOWTAP_FUZZ_TARGET` names, looked up on the first input.
private let target: FuzzTarget = {
    let name = getenv("FLOWTAP_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget.named(name) else {
        let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
        let message = "flowtap-fuzz: set FLOWTAP_FUZZ_TARGET to one of: \(names) (got \"\(name)\")\n"
        _ = message.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        exit(2)
    }
    return target
}()

/// libFuzzer's entry point: one input, handed to the chosen target as bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    target.run(bytes)
    return 0
}

/// libFuzzer's hook for custom mutations: every other one is the target's structure-aware
/// ``FuzzTarget/mutation`` when it has one, the rest libFuzzer's own.
@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(
    _ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: CUnsignedInt
) -> Int {
    guard let data, let mutation = target.mutation, seed & 1 == 0,
        let out = mutation(
            Array(UnsafeBufferPointer(start: data, count: size)), maxSize, seed >> 1, mutatePart),
        out.count <= maxSize
    else { return LLVMFuzzerMutate(data, size, maxSize) }
    out.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: $0.count) }
    return out.count
}

/// libFuzzer's byte-level mutation of `part`, which may grow to `limit` bytes.
private func mutatePart(_ part: [UInt8], _ limit: Int) -> [UInt8] {
    var buffer = part + [UInt8](repeating: 0, count: max(1, limit - part.count))
    let count = buffer.withUnsafeMutableBufferPointer {
        LLVMFuzzerMutate($0.baseAddress, part.count, $0.count)
    }
    return Array(buffer[..<count])
}

/// The process's `main`. SwiftPM links an executable with `--defsym main=<module>_main` (so that
/// tests could import it), which would shadow libFuzzer's own `main`; this is that symbol, and it
/// does what libFuzzer's `main` does: hands the command line to libFuzzer's driver.
@_cdecl("flowtap_fuzz_main")
public func fuzzMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in testOneInput(data, size) }
}

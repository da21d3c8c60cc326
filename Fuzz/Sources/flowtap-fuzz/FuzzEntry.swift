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

/// One fuzzing entry point: a name and a function that takes any bytes and must neither trap,
/// hang nor leak on them.
///
/// The libFuzzer executable in `Fuzz/` runs the target named by `FLOWTAP_FUZZ_TARGET`; the
/// regression tests (`Tests/FlowFuzzingTests`) run the same function on the inputs that once
/// failed. A target checks the promises its parser documents (a round trip, a length) with
/// ``FuzzTarget/require(_:_:)``, so a broken promise is a crash the fuzzer keeps.
///
/// Adding a target (a protocol framer, say) is one file in this folder declaring a
/// `static let` ``FuzzTarget`` in an extension, one line in ``all``, and a seed folder
/// `Fuzz/Corpus/NAME/`.
public struct FuzzTarget: Sendable {
    /// The name used by `FLOWTAP_FUZZ_TARGET`, `Fuzz/run.sh` and the corpus folder
    /// `Fuzz/Corpus/NAME/`.
    public let name: String
    /// Runs the target on one input.
    public let run: @Sendable ([UInt8]) -> Void
    /// A structure-aware mutation for the target's inputs (see ``Mutation``), or `nil` for
    /// libFuzzer's own byte-level mutations only.
    public let mutation: Mutation?

    /// A mutation of an input of at most `maxSize` bytes after it: given the input, `maxSize`,
    /// a random number, and libFuzzer's byte-level mutator (a part, and the most bytes it may grow
    /// to), it returns the mutated input, or `nil` to leave this one to libFuzzer.
    public typealias Mutation =
        @Sendable (_ input: [UInt8], _ maxSize: Int, _ random: UInt32, _ mutate: ([UInt8], Int) -> [UInt8])
        -> [UInt8]?

    /// A target named `name` running `run` on each input, with an optional structure-aware
    /// `mutation`.
    public init(name: String, mutation: Mutation? = nil, run: @escaping @Sendable ([UInt8]) -> Void) {
        self.name = name
        self.mutation = mutation
        self.run = run
    }

    /// Every target, in the order `Fuzz/run.sh` runs them.
    public static let all: [FuzzTarget] =
        [capture, address, faultSpec, rewrite, escapes, clientHello] + framers + [proxySOCKS5, proxyHTTP]

    /// The target called `name`, if there is one.
    public static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }

    /// Traps with `message` when `condition` is false: a documented promise was broken.
    public static func require(
        _ condition: Bool, _ message: @autoclosure () -> String, line: UInt = #line
    ) {
        if !condition { fatalError("fuzz check failed: \(message())", line: line) }
    }

    /// The input as text, the way the command line gets it (invalid UTF-8 repaired with U+FFFD).
    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}

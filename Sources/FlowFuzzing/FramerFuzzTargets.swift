@_spi(Fuzzing) import FlowFramers

extension FuzzTarget {
    /// Every protocol framer (and `auto` and the `--decode` spec grammar): the input is a
    /// schedule of pieces and ends for both sides (`FramerFuzzing.schedule`); each is decoded
    /// split three ways, which must agree, and every framer invariant is checked (messages
    /// contiguous and within the bytes fed, one decode error per side at most, nothing after an
    /// error or a switch to raw, summaries escaped and bounded). A broken one traps.
    static let framers: [FuzzTarget] = [
        framer("http", FramerFuzzing.http),
        framer("resp", FramerFuzzing.resp),
        framer("postgres", FramerFuzzing.postgres),
        framer("mqtt", FramerFuzzing.mqtt),
        framer("lines", FramerFuzzing.lines),
        framer("len", FramerFuzzing.length),
        framer("decode-auto", FramerFuzzing.auto),
        framer("decode-spec", FramerFuzzing.spec),
    ]

    private static func framer(
        _ name: String, _ check: @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) -> FuzzTarget {
        FuzzTarget(name: "framer-\(name)") { bytes in bytes.withUnsafeBytes { check($0) } }
    }
}

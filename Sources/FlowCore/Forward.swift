import Logging
import NIOCore

/// Forwards what `source` reads to `destination` until either side is closed (mirage-flow's
/// `forward ?verbose ~src ~dst`).
///
/// - Returns when `source` reaches end-of-file, when reading `source` fails, or when writing
///   `destination` fails. It never throws: each of these ends is logged to `logger` (by default labelled `"flowcore.forward"`)
///   (level `.info` for end-of-file, `.error` for failures) as `forward[SRC => DST] …`.
///   Neither flow is closed or shut down.
/// - Each chunk is logged at `.debug`: its size, or when `verbose` is set its full contents
///   (printable ASCII as is, other bytes as `\xNN` escapes).
public func forward(
    from source: AnyFlow, to destination: AnyFlow, verbose: Bool = false,
    logger: Logger = Logger(label: "flowcore.forward")
) async {
    // Flow names and errors may carry peers' addresses: escaped for the terminal.
    let tag = TerminalText.escape("forward[\(source) => \(destination)]")
    while true {
        let result: ReadResult
        do {
            result = try await source.read()
        } catch {
            logger.error("\(tag) \(TerminalText.escape(String(describing: error)))")
            return
        }
        guard case .data(let buffer) = result else {
            logger.info("\(tag) EOF")
            return
        }
        logger.debug(
            "\(tag) \(verbose ? "[\(ByteEscapes.encode(buffer.readableBytesView))]" : "\(buffer.readableBytes) bytes")"
        )
        do {
            try await destination.write(buffer)
        } catch {
            logger.error("\(tag) \(TerminalText.escape(String(describing: error)))")
            return
        }
    }
}

/// Forwards both ways between `a` and `b` at once, and returns when both directions have
/// ended (mirage-flow's `proxy ?verbose x y`, that is `forward x y <*> forward y x`).
///
/// As in the original, an end-of-file is not passed on: neither flow is shut down or closed.
/// Use ``proxy(_:_:clock:)`` on ``ShutdownableFlow``s to pass half-closes on.
public func proxy(
    _ a: AnyFlow, _ b: AnyFlow, verbose: Bool = false, logger: Logger = Logger(label: "flowcore.forward")
) async {
    async let ab: Void = forward(from: a, to: b, verbose: verbose, logger: logger)
    await forward(from: b, to: a, verbose: verbose, logger: logger)
    await ab
}

import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SIGINT and SIGTERM, handled on a dispatch queue (never in a signal handler): the first one
/// runs `action` (stop accepting, end the sessions); a second one exits at once with status 130.
final class TerminationSignals: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private var count = 0
    private let queue = DispatchQueue(label: "flowtap.signals")

    init(_ action: @escaping @Sendable () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [unowned self] in
                self.count += 1
                if self.count == 1 { action() } else { Glibc.exit(130) }
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        queue.sync {
            for source in sources { source.cancel() }
            sources.removeAll()
        }
    }
}

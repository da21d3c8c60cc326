import ArgumentParser
import FlowTapKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `flowtap`: an interactive inspector for byte streams.
@main
struct Flowtap: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "flowtap",
        abstract:
            "An interactive inspector for byte streams: a proxy that shows what goes over a connection.",
        discussion: """
            Addresses: tcp-listen:[HOST:]PORT, tcp-listen:[::1]:PORT, tcp:HOST:PORT, tcp:[IPv6]:PORT, \
            unix-listen:PATH, unix:PATH. Listening is on 127.0.0.1 unless a host is given; port 0 \
            takes a free port (the real one is printed first).

            Exit status: 0 done, 1 runtime failure (a capture that could not be written whole \
            included: forwarding goes on, and the file keeps the whole blocks before the failure), \
            2 bad usage or bad address.
            """,
        version: version,
        subcommands: [
            ProxyCommand.self, ViewCommand.self, ReplayCommand.self, DemoCommand.self, CACommand.self,
        ],
        defaultSubcommand: ProxyCommand.self
    )

    /// Asks glibc's allocator to keep the large buffers flowtap frees for its next ones.
    ///
    /// The UI's history holds up to `--history` of read buffers per direction, so socket reads
    /// cannot reuse theirs: with glibc's defaults each new 64–256 KiB buffer was mapped fresh
    /// (page faults, the kernel zeroing every page) and unmapped when the history let it go —
    /// 6–7% of the event loop's time under iperf3 with the UI open (perf), the UI at 0.81 of
    /// headless against 1.02 without the churn. Buffers up to 32 MiB now come from the heap, and
    /// the heap's free top is handed back to the system only beyond 128 MiB.
    private static func keepFreedBuffers() {
        #if canImport(Glibc)
            // `mallopt` (malloc.h) is not in Swift's Glibc module: looked up by name instead.
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(nil, "mallopt") else { return }
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
            let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
            _ = mallopt(mmapThreshold, 32 << 20)
            _ = mallopt(trimThreshold, 128 << 20)
        #endif
    }

    /// Parses, runs, and maps every failure to the documented exit status: 2 for usage
    /// (ArgumentParser's own errors included), 1 for runtime failures.
    static func main() async {
        // A capture that reaches the file size limit (`ulimit -f`) fails with EFBIG (reported,
        // forwarding goes on, the exit status is 1) instead of killing the process.
        signal(SIGXFSZ, SIG_IGN)
        keepFreedBuffers()
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            if code == .success { printHelp(error) }
            FileHandleOutput.message(fullMessage(for: error).trimmingPrefix("Error: "))
            Glibc.exit(2)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
            Glibc.exit(0)
        } catch let failure as Failure {
            FileHandleOutput.message(failure.message)
            Glibc.exit(failure.status)
        } catch {
            let code = exitCode(for: error)
            if code == .success { printHelp(error) }
            FileHandleOutput.message(fullMessage(for: error).trimmingPrefix("Error: "))
            Glibc.exit(code == .validationFailure ? 2 : 1)
        }
    }
}

extension Flowtap {
    /// Prints the help or version text a clean exit carries, and exits 0.
    static func printHelp(_ error: any Error) -> Never {
        FileHandleOutput.stdout(fullMessage(for: error) + "\n")
        Glibc.exit(0)
    }
}

/// A failure with its exit status: 2 for usage and addresses, 1 at run time.
struct Failure: Error {
    var message: String
    var status: Int32

    static func usage(_ message: String) -> Failure { Failure(message: message, status: 2) }
    static func runtime(_ message: String) -> Failure { Failure(message: message, status: 1) }
}

extension String {
    func trimmingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}

import FlowTransport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How many sessions the process can hold without reaching its file descriptor limit.
///
/// No Swift process may run out of descriptors: on Linux libdispatch (under the Swift runtime
/// and Foundation) opens `/proc` files from its worker-pool monitor and traps when that fails
/// with EMFILE. So, as HAProxy derives `maxconn` from the descriptor limit, the accept loop
/// caps the live sessions at
///
///     sessionCap = max(1, (limit − reserve) / 2)
///     reserve    = open + Listener.maximumAcceptedAhead + slack
///
/// - `limit`: the soft `RLIMIT_NOFILE`, first raised to the hard limit (``raiseLimit()``);
/// - `2`: each session holds two sockets, the client's and the target's;
/// - `open`: descriptors already open when the loop starts (stdio, the listening socket, the
///   capture file, SwiftNIO's epoll, eventfd and timerfd of each event loop, the terminal);
/// - `Listener.maximumAcceptedAhead`: connections the listener accepted that no session owns
///   yet (7);
/// - `slack` (32): what opens later and briefly: libdispatch's `/proc/self/task/*/stat`
///   reads, a second socket while a host name's addresses race ("happy eyeballs"), a file the
///   UI's `w` writes, new threads' descriptors.
///
/// With `ulimit -n 64` and about 12 descriptors open at start, the cap is (64 − 51) / 2 = 6;
/// with the usual hard limit of 1,048,576 it is about 524,000.
public struct DescriptorBudget: Sendable, Equatable {
    /// Descriptors kept free for what opens later and briefly (see the type's documentation).
    public static let slack = 32
    /// Descriptors one session holds.
    public static let perSession = 2

    /// The soft descriptor limit.
    public var limit: Int
    /// Descriptors open when the budget was measured.
    public var open: Int

    /// A budget for `limit` descriptors with `open` of them already in use.
    public init(limit: Int, open: Int) {
        self.limit = limit
        self.open = open
    }

    /// Descriptors not available to sessions.
    public var reserve: Int { open + Listener.maximumAcceptedAhead + Self.slack }

    /// The most sessions that may be live at once (at least 1).
    public var sessionCap: Int { max(1, (limit - reserve) / Self.perSession) }

    /// Raises the soft limit to the hard one (``raiseLimit()``) and counts what is open now.
    public static func measure() -> DescriptorBudget {
        DescriptorBudget(limit: raiseLimit(), open: openDescriptors())
    }

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the soft limit in force
    /// (unchanged when raising fails; an unlimited hard limit is taken as 1,048,576). Harmless
    /// to call again.
    @discardableResult
    public static func raiseLimit() -> Int {
        var limits = rlimit()
        guard getrlimit(Self.resource, &limits) == 0 else { return 1024 }
        let ceiling: rlim_t = 1 << 20
        let wanted = limits.rlim_max == Self.infinity ? ceiling : limits.rlim_max
        if limits.rlim_cur != Self.infinity, limits.rlim_cur < wanted {
            var raised = limits
            raised.rlim_cur = wanted
            if setrlimit(Self.resource, &raised) == 0 { limits = raised }
        }
        return limits.rlim_cur == Self.infinity ? Int(ceiling) : Int(clamping: limits.rlim_cur)
    }

    /// The number of descriptors open in this process (listed in `/proc/self/fd`, or
    /// `/dev/fd` on Darwin, not counting the one used to list them); 0 when it cannot be read.
    public static func openDescriptors() -> Int {
        #if canImport(Darwin)
            let folder = "/dev/fd"
        #else
            let folder = "/proc/self/fd"
        #endif
        guard let directory = opendir(folder) else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let first = withUnsafeBytes(of: entry.pointee.d_name) { $0.first ?? 0 }
            if first != UInt8(ascii: ".") { count += 1 }
        }
        return max(0, count - 1)
    }

    #if canImport(Darwin)
        private static let infinity = RLIM_INFINITY
    #else
        /// `RLIM_INFINITY` (Glibc's macro does not import as a constant).
        private static let infinity = rlim_t.max
    #endif

    #if canImport(Glibc)
        private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let resource = RLIMIT_NOFILE
    #endif
}

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the end-to-end tests of several test targets ask of the machine they run on.
public enum Machine {
    /// The `flowtap` binary under test: `FLOWTAP_BIN`, else `flowtap` beside the test bundle (or
    /// up to two folders above it), else `.build/debug/flowtap`.
    public static var flowtapBinary: String {
        if let path = ProcessInfo.processInfo.environment["FLOWTAP_BIN"] { return path }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("flowtap").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/flowtap"
    }

    /// The path of the program `name`: the first executable file of that name in a folder of
    /// `PATH`, else in the folders `alsoIn` (tried in order; a folder may end in a `*` pattern of
    /// one level, e.g. `/usr/lib/postgresql/*/bin`, whose matches are tried newest version
    /// first); `nil` when there is none.
    public static func executable(named name: String, alsoIn folders: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        var candidates = path.split(separator: ":").map(String.init)
        for folder in folders {
            guard let star = folder.firstIndex(of: "*") else {
                candidates.append(folder)
                continue
            }
            let parent = String(folder[..<star])
            let rest = String(folder[folder.index(after: star)...])
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
            // Numeric versions, newest first: 16 before 15 before 9.6.
            let sorted = entries.sorted {
                $0.compare($1, options: .numeric) == .orderedDescending
            }
            candidates += sorted.map { parent + $0 + rest }
        }
        for folder in candidates where !folder.isEmpty {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether the IPv6 loopback address `::1` is configured (a socket can bind to it).
    public static func ipv6LoopbackAvailable() -> Bool {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
            }
        }
    }
}

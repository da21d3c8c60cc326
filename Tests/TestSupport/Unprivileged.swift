import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Running a server the tests start as a user other than root: PostgreSQL's `initdb` and
/// `postgres` refuse to run as root, and CI runs the tests as root.
///
/// As root, a program runs as `nobody` (and its primary group, no supplementary groups) through
/// `setpriv`; any other user runs it directly. The parent-death signal that ``ChildProcess``
/// sets is cleared by the change of user (prctl(2)), so it is set again after it: the program
/// still dies with the test process.
public enum Unprivileged {
    /// The user servers run as when the tests run as root.
    public static let userName = "nobody"

    /// True when the test process runs as root (servers then run as ``userName``).
    public static var isRoot: Bool { geteuid() == 0 }

    /// `nobody`'s user and group ids, or `nil` when the machine has no such user.
    public static let account: (uid: uid_t, gid: gid_t)? = {
        guard let entry = getpwnam(userName) else { return nil }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }()

    /// The executable and arguments that run `executable` with `arguments` as ``userName``
    /// (as root) or as they are (otherwise).
    /// - Throws: ``SpawnError`` as root when the machine has no user ``userName``.
    public static func command(_ executable: String, _ arguments: [String]) throws -> (String, [String]) {
        guard isRoot else { return (executable, arguments) }
        guard let account else {
            throw SpawnError(description: "no user \(userName) to run \(executable) as")
        }
        return (
            "/usr/bin/setpriv",
            [
                "--reuid=\(account.uid)", "--regid=\(account.gid)", "--clear-groups", "--",
                "/usr/bin/setpriv", "--pdeathsig", "KILL", "--", executable,
            ] + arguments
        )
    }

    /// Makes a new empty folder (mode 0700) under the temporary folder, owned by ``userName``
    /// as root, and returns its path. The caller removes it.
    /// - Throws: ``SpawnError`` when it cannot be made or handed over.
    public static func makeDirectory(prefix: String) throws -> String {
        // Short: a Unix socket's path must fit in 108 bytes.
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SpawnError(description: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        let path = String(cString: made)
        if isRoot, let account, chown(path, account.uid, account.gid) != 0 {
            let reason = String(cString: strerror(errno))
            rmdir(path)
            throw SpawnError(description: "chown \(path): \(reason)")
        }
        return path
    }

    /// The processes whose working folder is `directory` or inside it (read from
    /// `/proc/PID/cwd`): a PostgreSQL server's postmaster and every backend it forked, which
    /// leave the postmaster's process group (setsid) and so escape a kill of the group.
    public static func processes(workingIn directory: String) -> [pid_t] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { name -> pid_t? in
            guard let pid = pid_t(name), pid != getpid() else { return nil }
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(name)/cwd")
            else { return nil }  // gone, or not ours to read
            return cwd == directory || cwd.hasPrefix(directory + "/") ? pid : nil
        }
    }
}

import FlowCore
import FlowTapKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one line printed on stderr when flowtap exits, escaped for the terminal (ASCII only,
/// `->` for `→`, unless the locale is UTF-8).
enum Summary {
    /// `flowtap: 2 sessions (1 failed to connect), 14 B client → server, 7 B server → client`,
    /// then the capture's path and its failure, if any.
    static func line(_ totals: SessionTally.Totals, capturePath: String?) -> String {
        let sessions = totals.sessions
        var line = "flowtap: \(sessions) session\(sessions == 1 ? "" : "s")"
        if totals.failedToConnect > 0 { line += " (\(totals.failedToConnect) failed to connect)" }
        line +=
            ", \(ByteFormat.bytes(totals.clientToServer)) client → server, "
            + "\(ByteFormat.bytes(totals.serverToClient)) server → client"
        if let capturePath { line += ", capture \(capturePath)" }
        if let error = totals.captureError { line += " (capture failed: \(error))" }
        // The capture's path is an argument and the error quotes it: escaped for the terminal.
        return TerminalText.escape(
            localeIsUTF8 ? line : line.replacing("→", with: "->"), ascii: !localeIsUTF8)
    }

    /// True when the locale's character set is UTF-8, as `setlocale(LC_ALL, "")` would choose it:
    /// the first of `LC_ALL`, `LC_CTYPE`, `LANG` that is set names it (`C.UTF-8`, `en_US.utf8`).
    /// Otherwise (`LANG=C`, nothing set) the summary is ASCII only.
    static var localeIsUTF8: Bool {
        for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
            guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else { continue }
            let lower = value.lowercased()
            return lower.contains("utf-8") || lower.contains("utf8")
        }
        return false
    }

    /// The line for the figures of a model (the UI's, or the demo's).
    static func line(_ snapshot: InspectorSnapshot) -> String {
        line(SessionTally.Totals(snapshot), capturePath: snapshot.capturePath)
    }
}

import FlowCore
import FlowTapKit

/// The one line printed on stderr when flowtap exits, escaped for the terminal.
enum Summary {
    static func line(_ snapshot: InspectorSnapshot) -> String {
        let sessions = snapshot.sessions
        let up = sessions.reduce(0) { $0 + $1.c2s.bytes }
        let down = sessions.reduce(0) { $0 + $1.s2c.bytes }
        let failed = sessions.filter { $0.connectError != nil }.count
        var line = "flowtap: \(sessions.count) session\(sessions.count == 1 ? "" : "s")"
        if failed > 0 { line += " (\(failed) failed to connect)" }
        line += ", \(ByteFormat.bytes(up)) client → server, \(ByteFormat.bytes(down)) server → client"
        if let path = snapshot.capturePath { line += ", capture \(path)" }
        if let error = snapshot.captureError { line += " (capture failed: \(error))" }
        // The capture's path is an argument and the error quotes it: escaped for the terminal.
        return TerminalText.escape(line)
    }
}

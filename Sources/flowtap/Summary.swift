import FlowCore
import FlowTapKit

/// The one line printed on stderr when flowtap exits, escaped for the terminal.
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
        return TerminalText.escape(line)
    }

    /// The line for the figures of a model (the UI's, or the demo's).
    static func line(_ snapshot: InspectorSnapshot) -> String {
        line(SessionTally.Totals(snapshot), capturePath: snapshot.capturePath)
    }
}

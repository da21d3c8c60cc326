import FlowCapture
import FlowEvents
import FlowTapKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension FuzzTarget {
    /// `flowtap view`'s whole path on a capture file's bytes: the pcapng or pcap reader and the
    /// session assembly (``CaptureReader/read(bytes:name:)``), then what `view` does with the
    /// sessions (``CaptureReplay``, each event printed as text, as a socat hex dump and as JSON
    /// with its bytes, and the curses UI's model and snapshot), and the script `flowtap replay`
    /// builds from each session. A file the reader refuses is fine; only its message is built.
    /// Each event's JSON line must decode back to an event (the schema `view --json` prints and
    /// `w` writes into a capture is the one the reader takes).
    /// Half the mutations are ``PcapngMutation``s, which keep the blocks whole.
    public static let capture = FuzzTarget(name: "capture", mutation: PcapngMutation.mutate) { bytes in
        let sessions: [CapturedSession]
        do throws(CaptureError) {
            sessions = try CaptureReader.read(bytes: bytes, name: "fuzz.pcapng")
        } catch {
            _ = error.description
            return
        }
        for event in CaptureReplay.events(sessions) {
            _ = EventFormatter.text(event)
            _ = EventFormatter.text(event, payload: .both)
            if let json = EventFormatter.json(event, payload: .both) {
                let decoded = try? JSONDecoder().decode(SessionEvent.self, from: Data(json.utf8))
                require(
                    decoded != nil, "the JSON line of an event read from a capture does not decode: \(json)")
            }
        }
        _ = InspectorSnapshot.from(sessions: sessions, name: "fuzz.pcapng")
        for session in sessions {
            _ = ReplayScript(session)
        }
    }
}

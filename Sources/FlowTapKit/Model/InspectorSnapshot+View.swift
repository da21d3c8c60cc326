import FlowCapture
import FlowEvents

extension InspectorSnapshot {
    /// A snapshot of sessions loaded from a capture, for `flowtap view`: `name` becomes the
    /// target shown in the title (and the capture path); every record is replayed through an
    /// ``InspectorModel`` with an unbounded history, so phases, counters, pauses and the
    /// kept chunks are what the live UI would have shown. A session without an `open` record
    /// (a capture that started late) gets one from its addresses (`"?"` when unknown).
    public static func from(sessions: [CapturedSession], name: String) -> InspectorSnapshot {
        var snapshot = model(from: sessions, name: name).snapshot()
        snapshot.listenAddress = nil
        return snapshot
    }

    /// The model behind ``from(sessions:name:)``, for the offline UI of `flowtap view`.
    public static func model(from sessions: [CapturedSession], name: String) -> InspectorModel {
        let model = InspectorModel(target: name, capturePath: name, historyLimit: Int.max)
        for event in CaptureReplay.events(sessions) { model.record(event) }
        return model
    }
}

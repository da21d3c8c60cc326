import FlowCore
import FlowEvents
import FlowTapKit

/// The ``ChunkEditor`` open over the panes, and what saving it does.
public struct OpenEditor: Sendable, Equatable {
    /// What Enter does with the bytes typed.
    public enum Purpose: Sendable, Equatable {
        /// Send them in place of held chunk number `hold` of the direction.
        case replace(session: Int, direction: Direction, hold: Int)
        /// Write them to the direction's destination.
        case inject(session: Int, direction: Direction)
    }

    /// What Enter does.
    public var purpose: Purpose
    /// The editor.
    public var editor: ChunkEditor

    /// An editor open for `purpose`.
    public init(_ purpose: Purpose, _ editor: ChunkEditor) {
        self.purpose = purpose
        self.editor = editor
    }

    /// The text mode for editing `bytes`: text unless fewer than 70% of them are printable
    /// ASCII or CR, LF, TAB (binary protocols open in hex).
    public static func preferredMode(for bytes: [UInt8]) -> ChunkEditor.Mode {
        guard !bytes.isEmpty else { return .text }
        let printable = bytes.filter { (0x20...0x7e).contains($0) || $0 == 0x0d || $0 == 0x0a || $0 == 0x09 }
        return printable.count * 10 >= bytes.count * 7 ? .text : .hex
    }
}

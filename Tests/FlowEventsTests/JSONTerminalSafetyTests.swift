import FlowEvents
import Foundation
import Testing

@Suite("JSON Lines are as safe on a terminal as text lines")
struct JSONTerminalSafetyTests {
    @Test("C0, C1 and bidirectional controls are \\u escapes; the value decodes unchanged")
    func controlsEscaped() throws {
        let text = "\u{1b}]0;pwned\u{07}\u{9b}2J\u{85}\u{202e}\u{2066}\u{200f}\u{61c}é🦊\u{e0001}"
        let line = try JSONLineEncoder().encode(["s": text])
        #expect(line == #"{"s":"\u001b]0;pwned\u0007\u009b2J\u0085\u202e\u2066\u200f\u061cé🦊\udb40\udc01"}"#)
        let back = try JSONDecoder().decode([String: String].self, from: Data(line.utf8))
        #expect(back["s"] == text)
    }
}
